-- Conversation threads and their runs (the LangGraph threads/runs API), and each run's
-- stream as the worker produced it, which the API relays and a client may rejoin.
CREATE TABLE threads (
    thread_id   text PRIMARY KEY,
    tenant_id   text NOT NULL REFERENCES tenants (tenant_id),
    graph_id    text NOT NULL DEFAULT 'chat',
    metadata    jsonb NOT NULL DEFAULT '{}'::jsonb,
    status      text NOT NULL DEFAULT 'idle'
                CHECK (status IN ('idle', 'busy', 'interrupted', 'error')),
    created_by  uuid,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX threads_tenant ON threads (tenant_id, updated_at DESC);

CREATE TABLE runs (
    run_id             uuid PRIMARY KEY,
    thread_id          text NOT NULL REFERENCES threads (thread_id) ON DELETE CASCADE,
    tenant_id          text NOT NULL REFERENCES tenants (tenant_id),
    assistant_id       text NOT NULL,
    kind               text NOT NULL CHECK (kind IN ('input', 'resume')),
    status             text NOT NULL DEFAULT 'pending'
                       CHECK (status IN ('pending', 'running', 'error', 'success', 'timeout',
                                         'interrupted')),
    input              jsonb,
    resume             jsonb,
    stream_mode        text[] NOT NULL DEFAULT '{}',
    stream_subgraphs   boolean NOT NULL DEFAULT false,
    metadata           jsonb NOT NULL DEFAULT '{}'::jsonb,
    multitask_strategy text NOT NULL DEFAULT 'reject',
    requested_by       uuid,
    cancel_requested   boolean NOT NULL DEFAULT false,
    output             jsonb,
    error              text,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX runs_thread ON runs (thread_id, created_at);
CREATE INDEX runs_open ON runs (thread_id) WHERE status IN ('pending', 'running');

CREATE TABLE run_events (
    run_id   uuid NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
    seq      integer NOT NULL,
    event    text NOT NULL,
    data     text NOT NULL,
    at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, seq)
);
