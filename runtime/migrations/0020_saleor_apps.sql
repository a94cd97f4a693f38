-- A tenant's Saleor link: the shop that installed opsgraph as a Saleor App.
-- One link per tenant and one tenant per shop (its API URL). The app token is sealed
-- (runtime/secretbox.py); uninstalling (APP_DELETED) disables the link, keeping the row.
CREATE TABLE saleor_apps (
    tenant_id        text PRIMARY KEY REFERENCES tenants (tenant_id),
    api_url          text NOT NULL UNIQUE,
    jwks_url         text NOT NULL,
    app_id           text NOT NULL,
    app_token_sealed bytea NOT NULL,
    enabled          boolean NOT NULL DEFAULT true,
    installed_at     timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    disabled_at      timestamptz
);
