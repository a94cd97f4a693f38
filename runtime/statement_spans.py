"""One span per database statement, made only inside a sampled trace.

Replaces `opentelemetry-instrumentation-psycopg`, which cost about as much CPU per statement
as the statement itself: it proxies every cursor, runs a regular expression over the whole
SQL text, makes the span current (nothing ever nests under a statement) and sets six
attributes, and it still builds a span (then dropped by the sampler) for every call outside
a trace, such as the queue's polling. Here `execute`/`executemany` of psycopg's cursors are
wrapped once, for the process: outside a recording span a call goes straight through;
inside one it gets a client span named by its verb (`SELECT`, `INSERT` ...) with the
semantic-convention attributes `db.system.name`, `db.operation.name` and `db.query.text`
(the parameterized SQL, never the values). A failed statement is marked with the error's
class only: PostgreSQL quotes the value it refused in its message.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import wraps
from typing import Any

import psycopg
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode, Tracer

VERB = re.compile(r"\s*([A-Za-z]+)")
WRAPPED: list[tuple[type[Any], str, Callable[..., Any]]] = []
"""Each (class, method name, original method) wrapped, to undo."""


def statement_attributes(cursor: Any, query: Any) -> tuple[str, dict[str, str]]:
    """The span name (the statement's verb) and attributes for `query`."""
    if isinstance(query, str):
        text = query
    elif isinstance(query, bytes):
        text = query.decode("utf-8", "replace")
    else:
        text = query.as_string(cursor)  # a psycopg.sql.Composable: rendered, no round trip
    found = VERB.match(text)
    verb = found.group(1).upper() if found else "SQL"
    return verb, {
        "db.system.name": "postgresql",
        "db.operation.name": verb,
        "db.query.text": text,
    }


def traced_async(tracer: Tracer, method: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(method)
    async def traced(self: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
        if not trace.get_current_span().is_recording():
            return await method(self, query, *args, **kwargs)
        name, attributes = statement_attributes(self, query)
        span = tracer.start_span(name, kind=SpanKind.CLIENT, attributes=attributes)
        try:
            return await method(self, query, *args, **kwargs)
        except BaseException as error:
            span.set_status(Status(StatusCode.ERROR, type(error).__name__))
            raise
        finally:
            span.end()

    return traced


def traced_sync(tracer: Tracer, method: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(method)
    def traced(self: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
        if not trace.get_current_span().is_recording():
            return method(self, query, *args, **kwargs)
        name, attributes = statement_attributes(self, query)
        span = tracer.start_span(name, kind=SpanKind.CLIENT, attributes=attributes)
        try:
            return method(self, query, *args, **kwargs)
        except BaseException as error:
            span.set_status(Status(StatusCode.ERROR, type(error).__name__))
            raise
        finally:
            span.end()

    return traced


def trace_statements(tracer: Tracer) -> None:
    """Wrap psycopg's cursors' `execute` and `executemany` (once per process)."""
    if WRAPPED:
        return
    for cls, wrap in ((psycopg.AsyncCursor, traced_async), (psycopg.Cursor, traced_sync)):
        for name in ("execute", "executemany"):
            original = cls.__dict__[name]
            WRAPPED.append((cls, name, original))
            setattr(cls, name, wrap(tracer, original))


def statements_traced() -> bool:
    return bool(WRAPPED)


def untrace_statements() -> None:
    """Put the original methods back (tests)."""
    while WRAPPED:
        cls, name, original = WRAPPED.pop()
        setattr(cls, name, original)
