-- Per-tenant webhook secrets for Shopify, Stripe and Standard Webhooks senders, sealed with
-- the process's secret box (runtime/secretbox.py). A source may hold several secrets at
-- once, so a rotation keeps the old one valid until it is removed. The default tenant's
-- secrets stay in the settings (OPSGRAPH_*_SECRETS), not here.
CREATE TABLE webhook_sources (
    source_id     uuid PRIMARY KEY,
    tenant_id     text NOT NULL REFERENCES tenants (tenant_id),
    kind          text NOT NULL CHECK (kind IN ('shopify', 'stripe', 'standard')),
    source_name   text NOT NULL DEFAULT '',
    sealed_secret bytea NOT NULL,
    fingerprint   text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    -- Standard Webhooks senders are told apart by name; Shopify and Stripe are one per tenant.
    CHECK ((kind = 'standard') = (source_name <> ''))
);

CREATE INDEX webhook_sources_lookup ON webhook_sources (tenant_id, kind, source_name);
