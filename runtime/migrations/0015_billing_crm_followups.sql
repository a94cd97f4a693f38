-- What the newly routed events act on: invoices paid (and dunning stopped), disputes and
-- the evidence drafted for them, subscriptions, CRM touchpoints and follow-up tasks.
ALTER TABLE store_invoices DROP CONSTRAINT store_invoices_status_check;
ALTER TABLE store_invoices
    ADD CONSTRAINT store_invoices_status_check CHECK (status IN ('draft', 'issued', 'paid', 'void')),
    ADD COLUMN paid_at timestamptz;

CREATE TABLE store_invoice_payments (
    tenant_id   text NOT NULL REFERENCES tenants (tenant_id),
    invoice_ref text NOT NULL,
    amount      numeric(12, 2),
    currency    text,
    paid_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, invoice_ref)
);

CREATE TABLE store_disputes (
    tenant_id   text NOT NULL REFERENCES tenants (tenant_id),
    dispute_id  text NOT NULL,
    order_id    text NOT NULL,
    charge      text,
    amount      numeric(12, 2),
    currency    text,
    reason      text,
    status      text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'evidence_draft')),
    evidence    jsonb,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, dispute_id)
);
CREATE INDEX store_disputes_order ON store_disputes (tenant_id, order_id);

CREATE TABLE store_subscriptions (
    tenant_id          text NOT NULL REFERENCES tenants (tenant_id),
    subscription_id    text NOT NULL,
    customer           text NOT NULL,
    plan               text,
    status             text NOT NULL,
    amount             numeric(12, 2),
    currency           text,
    period_end         timestamptz,
    cancel_at_period_end boolean NOT NULL DEFAULT false,
    updated_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, subscription_id)
);

CREATE TABLE store_crm_touchpoints (
    tenant_id    text NOT NULL REFERENCES tenants (tenant_id),
    touchpoint_id text NOT NULL,
    customer_ref text NOT NULL,
    kind         text NOT NULL,
    subject      text NOT NULL,
    ref          text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, touchpoint_id)
);
CREATE INDEX store_crm_touchpoints_customer ON store_crm_touchpoints (tenant_id, customer_ref);

CREATE TABLE store_crm_tasks (
    tenant_id    text NOT NULL REFERENCES tenants (tenant_id),
    task_id      text NOT NULL,
    customer_ref text NOT NULL,
    kind         text NOT NULL,
    subject      text NOT NULL,
    due_at       timestamptz NOT NULL,
    ref          text,
    status       text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, task_id)
);
