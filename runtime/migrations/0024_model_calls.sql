-- One row per chat-model call a worker (or the API) made: which model, how it ended, the
-- tokens the server reported and how long the call took. `/metrics` tallies new rows at
-- each scrape (keyset over recorded_at, call_id), so the calls made in worker processes
-- are counted by whichever process is scraped.
CREATE TABLE model_calls (
    call_id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id         text NOT NULL REFERENCES tenants (tenant_id),
    model             text NOT NULL,
    outcome           text NOT NULL CHECK (outcome IN ('success', 'error')),
    prompt_tokens     integer NOT NULL DEFAULT 0 CHECK (prompt_tokens >= 0),
    completion_tokens integer NOT NULL DEFAULT 0 CHECK (completion_tokens >= 0),
    seconds           double precision NOT NULL CHECK (seconds >= 0),
    recorded_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX model_calls_recorded ON model_calls (recorded_at, call_id);
CREATE INDEX model_calls_tenant ON model_calls (tenant_id, recorded_at);

-- One row per knowledge-base search a run made as a tool call (chat answers, content
-- drafting), timed where it ran; searches over HTTP are timed by the API process itself.
CREATE TABLE kb_searches (
    search_id   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id   text NOT NULL REFERENCES tenants (tenant_id),
    outcome     text NOT NULL CHECK (outcome IN ('success', 'error')),
    seconds     double precision NOT NULL CHECK (seconds >= 0),
    recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX kb_searches_recorded ON kb_searches (recorded_at, search_id);
