-- Every row of ours carries its tenant: a run's stream events take the tenant of their run.
ALTER TABLE run_events ADD COLUMN tenant_id text REFERENCES tenants (tenant_id);

UPDATE run_events e SET tenant_id = r.tenant_id FROM runs r WHERE r.run_id = e.run_id;

CREATE FUNCTION run_events_tenant() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT r.tenant_id INTO NEW.tenant_id FROM runs r WHERE r.run_id = NEW.run_id;
    RETURN NEW;
END;
$$;

CREATE TRIGGER run_events_tenant BEFORE INSERT ON run_events
    FOR EACH ROW EXECUTE FUNCTION run_events_tenant();

ALTER TABLE run_events ALTER COLUMN tenant_id SET NOT NULL;
