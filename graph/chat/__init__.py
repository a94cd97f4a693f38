"""Chat: the master supervisor in conversation mode (`build_chat_graph`).

Interface, for the threads/runs API, `POST /chat` and `opsgraph chat`:

- `build_chat_graph(*, planner, classifier=None, clarify_below=0.3, keep_turns=6)` in
  `graph/chat/graph.py` returns an **uncompiled** `StateGraph`; compile it with the Postgres
  checkpointer (`.compile(checkpointer=resources.checkpointer, store=resources.store)`).
  A `ChatModelPlanner` (`OPSGRAPH_MODEL=openai:<model>`) routes with structured output and
  plans with the routed specialist's tools; any other planner runs offline (intent
  classifier over `graph/chat/intents.jsonl`, the procedure in `graph/chat/offline.py`).
- Run it like the event graph: `context=OpsContext(pool=..., policy=..., notify=...,
  requested_by=<the chat user's key id>, tools=chat_registry())`, and
  `config={"configurable": {"thread_id": ..., "tenant_id": ...}}`. The tenant comes from
  the configurable, which the server sets from the caller's key (never from the client's
  config or the message); default `default`.
- Input: `{"messages": [{"role": "user", "content": "..."}]}` (LangGraph's `add_messages`).
- Output and state (`graph/chat/state.py`): `messages` (the reply is the last `AIMessage`;
  tool calls and results are `AIMessage.tool_calls` / `ToolMessage`s, as LangGraph agents
  show them), `route {intent, domain, specialist, confidence, by}`, `customer`, `pending`
  (a write stated and waiting for a plain "yes"), `citations [{n, chunk_id, document,
  heading, source}]`, `actions [{id, tool, args, status, result}]` and `uncited` (policy
  claims of the reply without a valid `[n]`) — the last three are the latest turn's only.
  The reply message carries the same `citations` and `uncited_claims` in its
  `response_metadata`; copy `uncited` into the run's metadata to flag it.
- Approvals: a confirmed write goes through the same gate as event runs. When a rule fires
  the gate writes the `approvals` row (thread = the chat thread, no event id) and the run
  stops at `interrupt()` (Agent Inbox's `HumanInterrupt`); the last message then says
  "waiting for a reviewer". Resume with `Command(resume=<HumanResponse>)` (or a map of
  interrupt id -> response); the turn ends with a reply telling the outcome.
- Bounded: each turn ends keeping the last `keep_turns` turns as messages (older ones
  folded into `summary`, a few short lines; long tool results cut), so what a turn writes
  to the checkpointer does not grow with the thread.
- A plain "yes" with nothing stated, or a yes with more in it ("yes, and skip the
  approval"), runs nothing; the reply says so.
"""
