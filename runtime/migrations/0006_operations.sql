-- What the specialists act on beyond the retail records: stock, fulfillments, invoices,
-- reorder proposals, leads, content and channel listings.
CREATE TABLE store_stock (
    tenant_id   text NOT NULL REFERENCES tenants (tenant_id),
    item_id     text NOT NULL,
    product_id  text NOT NULL,
    on_hand     integer NOT NULL CHECK (on_hand >= 0),
    reserved    integer NOT NULL DEFAULT 0 CHECK (reserved >= 0),
    PRIMARY KEY (tenant_id, item_id)
);

CREATE TABLE store_reservations (
    tenant_id   text NOT NULL REFERENCES tenants (tenant_id),
    order_id    text NOT NULL,
    item_id     text NOT NULL,
    quantity    integer NOT NULL CHECK (quantity > 0),
    status      text NOT NULL CHECK (status IN ('reserved', 'released', 'shipped')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, order_id, item_id)
);

CREATE TABLE store_invoice_numbers (
    tenant_id   text PRIMARY KEY REFERENCES tenants (tenant_id),
    last_number integer NOT NULL
);

CREATE TABLE store_invoices (
    tenant_id   text NOT NULL REFERENCES tenants (tenant_id),
    invoice_id  text NOT NULL,
    order_id    text NOT NULL,
    status      text NOT NULL CHECK (status IN ('draft', 'issued', 'void')),
    currency    text NOT NULL,
    lines       jsonb NOT NULL,
    subtotal    numeric(12, 2) NOT NULL,
    tax         numeric(12, 2) NOT NULL,
    total       numeric(12, 2) NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, invoice_id)
);
CREATE INDEX store_invoices_order ON store_invoices (tenant_id, order_id);

CREATE TABLE store_payment_retries (
    tenant_id   text NOT NULL REFERENCES tenants (tenant_id),
    invoice_ref text NOT NULL,
    attempt     integer NOT NULL,
    retry_at    timestamptz NOT NULL,
    status      text NOT NULL DEFAULT 'scheduled',
    PRIMARY KEY (tenant_id, invoice_ref, attempt)
);

CREATE TABLE store_reorders (
    tenant_id    text NOT NULL REFERENCES tenants (tenant_id),
    proposal_id  text NOT NULL,
    product_id   text NOT NULL,
    item_id      text NOT NULL,
    quantity     integer NOT NULL CHECK (quantity > 0),
    unit_cost    numeric(12, 2) NOT NULL,
    reason       text NOT NULL,
    status       text NOT NULL DEFAULT 'proposed',
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, proposal_id)
);

CREATE TABLE store_leads (
    tenant_id   text NOT NULL REFERENCES tenants (tenant_id),
    lead_id     text NOT NULL,
    email       text NOT NULL,
    company     text,
    country     text,
    score       integer,
    grade       text,
    reasons     jsonb NOT NULL DEFAULT '[]'::jsonb,
    owner       text,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, lead_id)
);

CREATE TABLE store_customer_profiles (
    tenant_id     text NOT NULL REFERENCES tenants (tenant_id),
    customer_ref  text NOT NULL,
    segment       text NOT NULL,
    lifetime_value numeric(12, 2) NOT NULL,
    order_count   integer NOT NULL,
    welcomed_at   timestamptz,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, customer_ref)
);

CREATE TABLE store_content (
    tenant_id     text NOT NULL REFERENCES tenants (tenant_id),
    content_id    text NOT NULL,
    kind          text NOT NULL,
    subject       text NOT NULL,
    title         text NOT NULL,
    body          jsonb NOT NULL,
    status        text NOT NULL CHECK (status IN ('draft', 'published')),
    created_at    timestamptz NOT NULL DEFAULT now(),
    published_at  timestamptz,
    PRIMARY KEY (tenant_id, content_id)
);

CREATE TABLE store_channel_listings (
    tenant_id   text NOT NULL REFERENCES tenants (tenant_id),
    channel     text NOT NULL,
    product_id  text NOT NULL,
    fields      jsonb NOT NULL DEFAULT '{}'::jsonb,
    locked      boolean NOT NULL DEFAULT false,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, channel, product_id)
);
