-- The audit trail: append-only and hash-chained per tenant. Each entry's hash covers its own
-- fields and the previous entry's hash, so `opsgraph audit verify` finds any edit, deletion or
-- reordering made by someone able to bypass the trigger below (a table owner can disable it).
CREATE TABLE audit_log (
    tenant_id  text NOT NULL REFERENCES tenants (tenant_id),
    seq        bigint NOT NULL CHECK (seq > 0),
    at         timestamptz NOT NULL,
    actor      text NOT NULL,
    action     text NOT NULL,
    subject    text NOT NULL,
    address    text,
    details    jsonb NOT NULL,
    prev_hash  text NOT NULL,
    hash       text NOT NULL,
    PRIMARY KEY (tenant_id, seq)
);

CREATE INDEX audit_log_subject ON audit_log (tenant_id, subject, seq);

CREATE FUNCTION audit_log_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'audit entries are never changed; append a new entry instead';
END;
$$;

CREATE TRIGGER audit_log_append_only
    BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();

-- Row triggers do not fire on TRUNCATE.
CREATE TRIGGER audit_log_no_truncate
    BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();
