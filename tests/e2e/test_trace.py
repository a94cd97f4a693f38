"""One trace from a webhook's ack to its event's outcome, across the queue; one from a chat
turn's request through its run on a worker.

The service is built with an in-memory span exporter in place of the OTLP one; the webhook
goes in over HTTP, a worker drains the queue, and every span lands in the same trace.
"""

from __future__ import annotations

import io
import json
import logging
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from api.webhooks.signing import shopify_headers
from runtime.apikeys import Role
from runtime.logging import build_formatter
from runtime.resources import Resources
from runtime.settings import Settings
from runtime.tracing import build_tracer_provider, uninstall_tracing
from service.app import build_service_app
from tests.support import drain_queue, make_key

SECRET = "shpss_trace_test"


@pytest.fixture(scope="module")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    folder: Path = tmp_path_factory.mktemp("trace")
    return Settings(
        database_url=database_url,
        data_dir=folder,
        shopify_secrets=SECRET,
        pool_min_size=1,
        pool_max_size=6,
        job_max_attempts=1,
    )


@pytest.fixture(scope="module")
def exporter() -> Iterator[InMemorySpanExporter]:
    spans = InMemorySpanExporter()
    yield spans
    spans.shutdown()  # later spans in this process (it keeps its provider) are dropped


@pytest.fixture(scope="module")
def provider(exporter: InMemorySpanExporter) -> Iterator[TracerProvider]:
    traced = build_tracer_provider(
        service_name="opsgraph-test", processors=[SimpleSpanProcessor(exporter)]
    )
    yield traced
    uninstall_tracing()


@pytest.fixture(scope="module")
async def app(settings: Settings, provider: TracerProvider) -> AsyncIterator[FastAPI]:
    service_app = build_service_app(settings, with_worker=False, tracing=provider)
    async with service_app.router.lifespan_context(service_app):
        yield service_app


def order_body(order_id: int) -> bytes:
    return json.dumps(
        {
            "id": order_id,
            "total_price": "19.00",
            "currency": "USD",
            "email": "buyer@example.com",
            "line_items": [],
        }
    ).encode()


@contextmanager
def json_log(name: str) -> Iterator[list[dict[str, Any]]]:
    """The JSON lines `name` logs inside the block (OPSGRAPH_LOG_FORMAT=json)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(build_formatter("json"))
    logger = logging.getLogger(name)
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    lines: list[dict[str, Any]] = []
    try:
        yield lines
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        lines.extend(json.loads(line) for line in stream.getvalue().splitlines())


def by_trace(spans: tuple[ReadableSpan, ...], trace_id: int) -> list[ReadableSpan]:
    return [span for span in spans if span.context and span.context.trace_id == trace_id]


async def test_one_trace_spans_the_webhook_the_workers_run_and_its_tool_calls(
    client: httpx.AsyncClient, resources: Resources, exporter: InMemorySpanExporter
) -> None:
    body = order_body(7001)
    headers = shopify_headers(body, SECRET, topic="orders/create", webhook_id=uuid.uuid4().hex)

    answer = await client.post("/webhooks/shopify", content=body, headers=headers)
    assert answer.status_code == 202, answer.text
    with json_log("service.runner") as log:
        await drain_queue(resources)

    spans = exporter.get_finished_spans()
    requests = [s for s in spans if s.kind is SpanKind.SERVER and "/webhooks/" in s.name]
    assert len(requests) == 1, [s.name for s in spans]
    request = requests[0]
    assert request.context is not None and request.parent is None
    trace = by_trace(spans, request.context.trace_id)
    names = [span.name for span in trace]

    jobs = [s for s in trace if s.name == "job process_event"]
    assert len(jobs) == 1, names
    job = jobs[0]
    assert job.kind is SpanKind.CONSUMER
    assert job.parent is not None and job.parent.trace_id == request.context.trace_id
    assert job.attributes is not None
    assert job.attributes["opsgraph.event_id"] == answer.json()["event_id"]

    finished = [line for line in log if line["message"].startswith("event ")]
    assert finished and finished[-1]["event_id"] == answer.json()["event_id"], log
    assert finished[-1]["trace_id"] == format(request.context.trace_id, "032x")

    tools = [s for s in trace if s.name.startswith("tool ")]
    assert tools, names
    nodes = {s.name for s in trace if s.name.startswith("node ")}
    assert {"node route", "node plan", "node act"} <= nodes, sorted(nodes)
    database = [s for s in trace if s.kind is SpanKind.CLIENT]
    parents = {s.parent.span_id for s in database if s.parent is not None}
    assert request.context.span_id in parents, "the webhook's own insert is traced"
    job_span_id = job.context.span_id if job.context else None
    assert job_span_id in parents, "the worker's database calls are traced"


async def test_queue_polling_outside_any_request_makes_no_trace(
    resources: Resources, exporter: InMemorySpanExporter
) -> None:
    exporter.clear()
    await drain_queue(resources)

    assert not [s for s in exporter.get_finished_spans() if s.parent is None]


async def test_a_chat_turn_is_one_trace_from_its_request_through_the_run_and_its_tools(
    client: httpx.AsyncClient, resources: Resources, exporter: InMemorySpanExporter
) -> None:
    exporter.clear()
    headers = {"x-api-key": await make_key(resources, Role.OPERATOR)}
    thread = await client.post("/threads", json={}, headers=headers)
    assert thread.status_code == 200, thread.text
    thread_id = thread.json()["thread_id"]
    message = {"role": "user", "content": "what is our return window?"}
    run = await client.post(
        f"/threads/{thread_id}/runs",
        json={"assistant_id": "chat", "input": {"messages": [message]}},
        headers=headers,
    )
    assert run.status_code == 200, run.text
    await drain_queue(resources)

    spans = exporter.get_finished_spans()
    requests = [
        s
        for s in spans
        if s.kind is SpanKind.SERVER and s.name.endswith("/threads/{thread_id}/runs")
    ]
    assert len(requests) == 1, [s.name for s in spans]
    request = requests[0]
    assert request.context is not None
    trace = by_trace(spans, request.context.trace_id)
    names = [span.name for span in trace]

    jobs = [s for s in trace if s.name == "job run_thread"]
    assert len(jobs) == 1, names
    job = jobs[0]
    assert job.kind is SpanKind.CONSUMER and job.attributes is not None
    assert job.attributes["opsgraph.run_id"] == run.json()["run_id"]
    nodes = {s.name for s in trace if s.name.startswith("node ")}
    assert {"node route", "node plan", "node act"} <= nodes, sorted(nodes)
    assert "tool search_knowledge_base" in names, names
    job_span_id = job.context.span_id if job.context else None
    database = [s for s in trace if s.kind is SpanKind.CLIENT]
    assert job_span_id in {s.parent.span_id for s in database if s.parent is not None}
