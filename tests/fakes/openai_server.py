"""A real OpenAI-compatible chat completions server on loopback, answering from a script.

`serve_fake_openai()` runs it with uvicorn in a background thread; point the OpenAI client at
`server.base_url` (see `use_fake_openai`). A policy decides each answer from the parsed request;
every exchange is recorded for assertions.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
import uvicorn
from langchain_core.messages import ToolMessage
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from graph.specialists import SPECIALISTS
from graph.state import EventData, SpecialistOutcome
from runtime.settings import Settings

FAKE_API_KEY = "sk-fake-openai-test-key"
START_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class ToolCall:
    """A function call the fake model makes; `args` given as a string is sent verbatim."""

    name: str
    args: Mapping[str, Any] | str = field(default_factory=dict)


@dataclass(frozen=True)
class HttpError:
    """Answer with an OpenAI error body instead of a completion.

    `retryable` sets `x-should-retry`, which the openai SDK obeys; when it retries, it waits
    the `retry-after-ms` we send (1 ms) rather than its default backoff.
    """

    status: int = 500
    message: str = "The server had an error while processing your request."
    retryable: bool = True


Reply = Sequence[ToolCall] | str | HttpError
"""Tool calls to make, the final text, or an HTTP error."""


@dataclass(frozen=True)
class ChatRequest:
    """A parsed `POST /v1/chat/completions` body."""

    model: str
    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]]
    body: dict[str, Any]
    api_key: str | None

    @property
    def system(self) -> str | None:
        """The system prompt: which specialist is talking."""
        for message in self.messages:
            if message["role"] == "system" and isinstance(message.get("content"), str):
                content: str = message["content"]
                return content
        return None

    @property
    def tool_names(self) -> list[str]:
        return [tool["function"]["name"] for tool in self.tools]

    def tool_parameters(self, name: str) -> dict[str, Any]:
        """The JSON schema of the bound tool `name`'s arguments."""
        for tool in self.tools:
            if tool["function"]["name"] == name:
                parameters: dict[str, Any] = tool["function"].get("parameters", {})
                return parameters
        raise KeyError(f"tool {name!r} was not bound; bound: {self.tool_names}")

    @property
    def turn(self) -> int:
        """How many times the model already answered in this conversation."""
        return sum(message["role"] == "assistant" for message in self.messages)

    @property
    def tool_results(self) -> list[dict[str, Any]]:
        return [message for message in self.messages if message["role"] == "tool"]

    def tool_name_of(self, call_id: str) -> str:
        """The name of the tool the model called as `call_id` earlier in the conversation."""
        for message in self.messages:
            for call in message.get("tool_calls") or []:
                if call["id"] == call_id:
                    name: str = call["function"]["name"]
                    return name
        raise KeyError(f"no tool call {call_id!r} in the conversation")

    def event(self) -> dict[str, Any]:
        """The JSON the first user message carries (the event brief), or {} if it is not JSON."""
        for message in self.messages:
            if message["role"] == "user" and isinstance(message.get("content"), str):
                try:
                    brief = json.loads(message["content"])
                except ValueError:
                    return {}
                return brief if isinstance(brief, dict) else {}
        return {}


@dataclass(frozen=True)
class Exchange:
    """One request and the answer the server gave it."""

    request: ChatRequest
    status: int
    body: dict[str, Any]

    @property
    def message(self) -> dict[str, Any]:
        """The assistant message answered; empty when the answer was an HTTP error."""
        if self.status != 200:
            return {}
        message: dict[str, Any] = self.body["choices"][0]["message"]
        return message

    @property
    def tool_call_ids(self) -> list[str]:
        return [call["id"] for call in self.message.get("tool_calls") or []]

    @property
    def text(self) -> str | None:
        content: str | None = self.message.get("content")
        return content


Policy = Callable[[ChatRequest], Reply]


ArgsBuilder = Callable[[Mapping[str, Any]], dict[str, Any]]
"""From the event brief (`type`, `entity`, `payload`) to a tool's arguments."""


def _present(values: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


def _entity_id(brief: Mapping[str, Any]) -> str:
    return str(brief.get("entity", "")).split(":", 1)[-1]


def _order_risk_args(brief: Mapping[str, Any]) -> dict[str, Any]:
    """The tool names the order only; it reads the order's facts itself."""
    payload = brief.get("payload") or {}
    return {"order_id": str(payload.get("order_id") or _entity_id(brief))}


def _invoice_args(brief: Mapping[str, Any]) -> dict[str, Any]:
    payload = brief.get("payload") or {}
    lines = [
        _present(
            {
                "sku": line.get("sku"),
                "description": line.get("name"),
                "quantity": line.get("quantity"),
                "unit_price": line.get("unit_price"),
            }
        )
        for line in payload.get("lines") or []
    ]
    return _present(
        {
            "order_id": payload.get("order_id") or _entity_id(brief),
            "currency": payload.get("currency"),
            "lines": lines,
            "tax_rate": payload.get("tax_rate"),
        }
    )


def _seo_copy_args(brief: Mapping[str, Any]) -> dict[str, Any]:
    payload = brief.get("payload") or {}
    return _present(
        {
            "name": payload.get("name"),
            "description": payload.get("description"),
            "brand": payload.get("brand"),
        }
    )


def _channel_sync_args(brief: Mapping[str, Any]) -> dict[str, Any]:
    payload = brief.get("payload") or {}
    return _present(
        {
            "product_id": _entity_id(brief),
            "sku": payload.get("sku"),
            "name": payload.get("name"),
            "price": payload.get("price"),
            "stock": payload.get("stock"),
        }
    )


def _lead_args(brief: Mapping[str, Any]) -> dict[str, Any]:
    payload = brief.get("payload") or {}
    fields = ("email", "company", "employees", "budget", "source")
    return _present({name: payload.get(name) for name in fields})


def _customer_args(brief: Mapping[str, Any]) -> dict[str, Any]:
    payload = brief.get("payload") or {}
    customer = payload.get("customer") or {}
    ref = customer.get("id") or payload.get("customer_id") or payload.get("email")
    return {"customer": str(ref or customer.get("email") or brief.get("entity", "guest"))}


def _content_args(brief: Mapping[str, Any]) -> dict[str, Any]:
    payload = brief.get("payload") or {}
    subject = payload.get("subject") or payload.get("title") or payload.get("name")
    points = payload.get("points") or [payload[k] for k in ("description",) if payload.get(k)]
    return {"subject": str(subject or _entity_id(brief)), "points": [str(p) for p in points]}


def _dunning_args(brief: Mapping[str, Any]) -> dict[str, Any]:
    payload = brief.get("payload") or {}
    return _present(
        {
            "invoice_ref": str(payload.get("id") or brief.get("entity", "")),
            "email": payload.get("email") or payload.get("customer_email"),
            "amount": payload.get("amount", 0),
            "currency": payload.get("currency", "USD"),
        }
    )


ARGUMENT_BUILDERS: Mapping[str, ArgsBuilder] = {
    "score_order_risk": _order_risk_args,
    "draft_invoice": _invoice_args,
    "draft_seo_copy": _seo_copy_args,
    "plan_channel_sync": _channel_sync_args,
    "score_lead": _lead_args,
    "get_customer_history": _customer_args,
    "get_customer_value": _customer_args,
    "draft_content": _content_args,
    "schedule_payment_retries": _dunning_args,
}
"""How the fake model fills in each tool it knows from the event (others: `matching_arguments`)."""


def matching_arguments(parameters: Mapping[str, Any], brief: Mapping[str, Any]) -> dict[str, Any]:
    """For tools without a builder: payload fields named like a parameter, and `<kind>_id`
    from an entity `<kind>:<id>`."""
    payload = brief.get("payload") or {}
    kind = str(brief.get("entity", "")).split(":", 1)[0]
    args: dict[str, Any] = {}
    for name in parameters.get("properties") or {}:
        if payload.get(name) is not None:
            args[name] = payload[name]
        elif name == f"{kind}_id":
            args[name] = _entity_id(brief)
    return args


def arguments_for(
    tool_name: str, brief: Mapping[str, Any], parameters: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The arguments the fake model fills in for `tool_name` from the event brief."""
    builder = ARGUMENT_BUILDERS.get(tool_name)
    if builder is not None:
        return builder(brief)
    return matching_arguments(parameters or {}, brief)


class FollowTheTools:
    """Call the first bound tool with arguments read from the event, then quote its result."""

    def __call__(self, request: ChatRequest) -> Reply:
        if request.tool_results:
            last = request.tool_results[-1]
            return f"{request.tool_name_of(last['tool_call_id'])} returned {last['content']}"
        if not request.tools:
            return "no tools bound, nothing to do"
        first = request.tool_names[0]
        args = arguments_for(first, request.event(), request.tool_parameters(first))
        return [ToolCall(first, args)]


class FollowThePlaybook:
    """Plan as the specialist's offline playbook would: the model path then makes the same
    tool calls as the offline path, through langchain-openai and real HTTP."""

    def __call__(self, request: ChatRequest) -> Reply:
        specialist = next((s for s in SPECIALISTS.values() if s.prompt == request.system), None)
        if specialist is None:
            return HttpError(400, "fake model: unknown system prompt", retryable=False)
        brief = request.event()
        event: EventData = {
            "event_id": "",
            "tenant_id": "default",
            "source": "model",
            "type": str(brief.get("type", "")),
            "entity": str(brief.get("entity", "")),
            "payload": dict(brief.get("payload") or {}),
            "prior": prior_from(brief),
        }
        results = [
            ToolMessage(
                content=result["content"],
                tool_call_id=result["tool_call_id"],
                name=request.tool_name_of(result["tool_call_id"]),
            )
            for result in request.tool_results
        ]
        step = specialist.playbook(event, results)
        if isinstance(step, str):
            return step
        return [ToolCall(call["name"], call["args"]) for call in step]


def prior_from(brief: Mapping[str, Any]) -> list[SpecialistOutcome]:
    """Earlier stages' outcomes as the brief reports them (summary and successful results)."""
    findings = brief.get("earlier_findings") or {}
    return [
        {
            "domain": "",
            "specialist": name,
            "summary": str(found.get("summary", "")),
            "tool_calls": [
                {"id": "", "name": tool, "args": {}, "result": result, "status": "success"}
                for tool, result in (found.get("results") or {}).items()
            ],
        }
        for name, found in findings.items()
    ]


class Scripted:
    """Answer with the given replies in order; running out is a test failure (HTTP 500)."""

    def __init__(self, replies: Sequence[Reply]) -> None:
        self.replies = list(replies)

    def __call__(self, request: ChatRequest) -> Reply:  # noqa: ARG002 - the script decides
        if not self.replies:
            return HttpError(500, "fake model: script exhausted", retryable=False)
        return self.replies.pop(0)


def _error_body(message: str, kind: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": None, "code": None}}


def _tokens(value: Any) -> int:
    """A rough, deterministic token count (four characters per token)."""
    return max(1, len(json.dumps(value, default=str)) // 4)


def completion_body(model: str, reply: Sequence[ToolCall] | str, prompt: Any) -> dict[str, Any]:
    """A `chat.completion` object exactly as the OpenAI API shapes it."""
    message: dict[str, Any] = {"role": "assistant", "content": None, "refusal": None}
    if isinstance(reply, str):
        message["content"] = reply
        finish_reason = "stop"
    else:
        message["tool_calls"] = [
            {
                "id": f"call_{uuid.uuid4().hex[:24]}",
                "type": "function",
                "function": {
                    "name": call.name,
                    "arguments": call.args if isinstance(call.args, str) else json.dumps(call.args),
                },
            }
            for call in reply
        ]
        finish_reason = "tool_calls"
    prompt_tokens, completion_tokens = _tokens(prompt), _tokens(message)
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {"index": 0, "message": message, "logprobs": None, "finish_reason": finish_reason}
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
        "system_fingerprint": None,
    }


class FakeOpenAI:
    """The server's state: the policy answering requests and the exchanges so far."""

    def __init__(self, policy: Policy | None = None) -> None:
        self.policy: Policy = policy or FollowTheTools()
        self.base_url = ""
        self.delay_s = 0.0
        """How long each answer takes (a slow model, to catch a run in the middle)."""
        self._exchanges: list[Exchange] = []
        self._lock = threading.Lock()

    def reset(self, policy: Policy | None = None) -> None:
        """Forget the exchanges and answer with `policy` (default `FollowTheTools`) from now."""
        with self._lock:
            self._exchanges.clear()
            self.policy = policy or FollowTheTools()
            self.delay_s = 0.0

    @property
    def exchanges(self) -> list[Exchange]:
        with self._lock:
            return list(self._exchanges)

    def exchanges_binding(self, tool_name: str) -> list[Exchange]:
        """The exchanges of conversations that had `tool_name` bound (one specialist's)."""
        return [x for x in self.exchanges if tool_name in x.request.tool_names]

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/v1/chat/completions", self._complete, methods=["POST"])])

    async def _complete(self, http: Request) -> JSONResponse:
        try:
            body = await http.json()
        except ValueError:
            return JSONResponse(_error_body("body is not JSON", "invalid_request_error"), 400)
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
            return JSONResponse(_error_body("'messages' is required", "invalid_request_error"), 400)
        if body.get("stream"):
            message = "the fake OpenAI server does not stream; call it without stream=True"
            return JSONResponse(_error_body(message, "invalid_request_error"), 400)
        authorization = http.headers.get("authorization", "")
        request = ChatRequest(
            model=str(body.get("model", "")),
            messages=body["messages"],
            tools=list(body.get("tools") or []),
            body=body,
            api_key=authorization.removeprefix("Bearer ") or None,
        )
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        try:
            reply = self.policy(request)
        except Exception as exc:  # a broken policy must show as such, not as a hang
            reply = HttpError(500, f"fake model policy failed: {exc!r}", retryable=False)
        if isinstance(reply, HttpError):
            kind = "server_error" if reply.status >= 500 else "invalid_request_error"
            status, answer = reply.status, _error_body(reply.message, kind)
            headers = {"x-should-retry": "true" if reply.retryable else "false"}
            if reply.retryable:
                headers["retry-after-ms"] = "1"
        else:
            status, answer, headers = 200, completion_body(request.model, reply, body), {}
        with self._lock:
            self._exchanges.append(Exchange(request, status, answer))
        return JSONResponse(answer, status, headers=headers)


@contextmanager
def serve_fake_openai(policy: Policy | None = None) -> Iterator[FakeOpenAI]:
    """Serve a `FakeOpenAI` on 127.0.0.1 at a free port until the block ends."""
    fake = FakeOpenAI(policy)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        fake.app(), log_config=None, access_log=False, lifespan="off", ws="none"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="fake-openai", daemon=True
    )
    thread.start()
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("the fake OpenAI server stopped during start-up")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the fake OpenAI server did not start in {START_TIMEOUT_S}s")
            time.sleep(0.01)
        fake.base_url = f"http://127.0.0.1:{port}/v1"
        yield fake
    finally:
        server.should_exit = True
        thread.join(timeout=START_TIMEOUT_S)
        sock.close()
        if thread.is_alive():
            raise RuntimeError(f"the fake OpenAI server did not stop in {START_TIMEOUT_S}s")


def use_fake_openai(monkeypatch: pytest.MonkeyPatch, fake: FakeOpenAI) -> None:
    """Point the OpenAI client (as langchain-openai builds it) at `fake`, with a dummy key."""
    monkeypatch.setenv("OPENAI_BASE_URL", fake.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_API_KEY)
    # The first two would win over OPENAI_BASE_URL; tracing would try to reach LangSmith.
    for name in (
        "OPENAI_API_BASE",
        "LANGSMITH_GATEWAY",
        "LANGSMITH_TRACING",
        "LANGCHAIN_TRACING_V2",
    ):
        monkeypatch.delenv(name, raising=False)


def model_settings(fake: FakeOpenAI, **values: Any) -> Settings:
    """Settings for a service that plans with `fake` (`openai:fake-model`): made while the
    OpenAI client's variables point at it, since the settings read its base URL."""
    with pytest.MonkeyPatch.context() as patch:
        use_fake_openai(patch, fake)
        return Settings(model="openai:fake-model", **values)
