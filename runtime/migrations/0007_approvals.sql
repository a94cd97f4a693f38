-- Approvals: one row per gated tool call awaiting (or past) a human decision.
CREATE TABLE approvals (
    tenant_id          text NOT NULL REFERENCES tenants (tenant_id),
    approval_id        text NOT NULL,
    event_id           uuid,
    thread_id          text NOT NULL,
    tool_call_id       text NOT NULL,
    interrupt_id       text,
    tool_name          text NOT NULL,
    args               jsonb NOT NULL,
    proposed           jsonb NOT NULL,
    facts              jsonb NOT NULL,
    rules              jsonb NOT NULL,
    policy_version     text NOT NULL,
    required_approvers integer NOT NULL DEFAULT 1,
    description        text NOT NULL,
    payload            jsonb NOT NULL,
    status             text NOT NULL DEFAULT 'pending'
                       CHECK (status IN ('pending', 'decided', 'expired')),
    decision           jsonb,
    votes              jsonb NOT NULL DEFAULT '[]'::jsonb,
    requested_by       uuid,
    applied            boolean NOT NULL DEFAULT false,
    on_expiry          text NOT NULL DEFAULT 'reject',
    created_at         timestamptz NOT NULL DEFAULT now(),
    warn_at            timestamptz NOT NULL,
    deadline_at        timestamptz NOT NULL,
    escalated_at       timestamptz,
    decided_at         timestamptz,
    PRIMARY KEY (tenant_id, approval_id)
);
CREATE INDEX approvals_status ON approvals (tenant_id, status, created_at);
CREATE INDEX approvals_event ON approvals (tenant_id, event_id);
