-- Tenants, API keys and the events inbox. Every table of ours carries tenant_id.
CREATE EXTENSION IF NOT EXISTS vector;

CREATE TABLE tenants (
    tenant_id   text PRIMARY KEY,
    name        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

INSERT INTO tenants (tenant_id, name) VALUES ('default', 'Default tenant');

CREATE TABLE api_keys (
    tenant_id   text NOT NULL REFERENCES tenants (tenant_id),
    key_id      uuid PRIMARY KEY,
    name        text NOT NULL,
    role        text NOT NULL CHECK (role IN ('admin', 'reviewer', 'operator')),
    key_hash    bytea NOT NULL UNIQUE,
    key_prefix  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);

CREATE TABLE events (
    tenant_id    text NOT NULL REFERENCES tenants (tenant_id),
    event_id     uuid PRIMARY KEY,
    source       text NOT NULL,
    type         text NOT NULL,
    entity       text NOT NULL,
    payload      jsonb NOT NULL,
    raw_body     bytea,
    headers      jsonb NOT NULL DEFAULT '{}'::jsonb,
    dedupe_key   text,
    status       text NOT NULL CHECK (status IN (
                     'received', 'queued', 'running', 'awaiting_approval',
                     'done', 'failed', 'skipped', 'ignored', 'rejected', 'stale')),
    status_reason text,
    job_id       bigint,
    attempts     integer NOT NULL DEFAULT 0,
    received_at  timestamptz NOT NULL DEFAULT now(),
    occurred_at  timestamptz NOT NULL DEFAULT now(),
    started_at   timestamptz,
    finished_at  timestamptz,
    domains      text[] NOT NULL DEFAULT '{}',
    timeline     jsonb NOT NULL DEFAULT '[]'::jsonb,
    summary      text,
    error        text
);

CREATE UNIQUE INDEX events_dedupe_key ON events (tenant_id, source, dedupe_key)
    WHERE dedupe_key IS NOT NULL;
CREATE INDEX events_tenant_status ON events (tenant_id, status, received_at);
CREATE INDEX events_tenant_entity ON events (tenant_id, entity, occurred_at);
