-- Inbox sessions: the cookie holds a random id, this table only its SHA-256. A session lives
-- until its absolute expiry, or until it is idle longer than OPSGRAPH_SESSION_IDLE_S, its
-- reviewer signs out, or the API key it was made with is revoked.
CREATE TABLE inbox_sessions (
    tenant_id     text NOT NULL REFERENCES tenants (tenant_id),
    session_hash  bytea PRIMARY KEY,
    key_id        uuid NOT NULL REFERENCES api_keys (key_id) ON DELETE CASCADE,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_seen_at  timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL
);

CREATE INDEX inbox_sessions_key ON inbox_sessions (key_id);
CREATE INDEX inbox_sessions_expires ON inbox_sessions (expires_at);
