-- The side-effect ledger: one row per executed side-effecting tool call, keyed by
-- (thread, tool call id), holding the result a repeat returns instead of acting again.
CREATE TABLE tool_ledger (
    tenant_id     text NOT NULL REFERENCES tenants (tenant_id),
    thread_id     text NOT NULL,
    tool_call_id  text NOT NULL,
    tool_name     text NOT NULL,
    args          jsonb NOT NULL,
    result        jsonb NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, thread_id, tool_call_id)
);

-- Rendered messages waiting for (or done with) delivery.
CREATE TABLE email_outbox (
    tenant_id        text NOT NULL REFERENCES tenants (tenant_id),
    message_id       uuid PRIMARY KEY,
    idempotency_key  text NOT NULL,
    recipient        text NOT NULL,
    subject          text NOT NULL,
    body             text NOT NULL,
    status           text NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    last_error       text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    sent_at          timestamptz,
    UNIQUE (tenant_id, idempotency_key)
);
