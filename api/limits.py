"""Request bodies: never read before the caller is known, never read past the limit.

FastAPI reads a body parameter before it runs any dependency, so a route declaring
`body: Model` would parse an anonymous 40 MB upload before answering 401. Routes therefore
take JSON bodies through `JsonBody`, a dependency listed after the key check, and
`BodyLimit` refuses any body (JSON, form or webhook bytes) with 413 as soon as it is known
to exceed the limit: from its Content-Length, or while it streams in.
"""

from __future__ import annotations

import json
from typing import Any, Generic, TypeVar

from fastapi import HTTPException, Request, status
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from runtime.bounds import OutOfBounds, check_json

LIMIT_EXTENSION = "x-max-body-bytes"
"""The OpenAPI extension carrying a route's own body limit (see `larger_body`)."""

Model = TypeVar("Model", bound=BaseModel)


class BodyTooLarge(HTTPException):
    """An HTTPException, so the app's handler answers it as every other error (JSON)."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            status.HTTP_413_CONTENT_TOO_LARGE,
            detail=f"request body larger than {limit} bytes; nothing was read past that",
        )


def larger_body(limit: int) -> dict[str, Any]:
    """`openapi_extra` for a route that needs more than the default limit (documented too)."""
    return {LIMIT_EXTENSION: limit}


def route_limit(scope: Scope, default: int) -> int:
    """The matched route's own limit, else `default`."""
    extra = getattr(scope.get("route"), "openapi_extra", None)
    own = extra.get(LIMIT_EXTENSION) if isinstance(extra, dict) else None
    return own if isinstance(own, int) else default


class BodyLimit:
    """ASGI middleware: every request body is bounded, checked when the app starts reading.

    The check waits for the first read so the route (matched by then) can raise its own
    limit, and so a request answered without reading (401) is never judged by its size.
    """

    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit: int | None = None
        received = 0

        async def bounded_receive() -> Message:
            nonlocal limit, received
            if limit is None:
                limit = route_limit(scope, self.max_body_bytes)
                declared = declared_length(scope)
                if declared is not None and declared > limit:
                    raise BodyTooLarge(limit)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        await self.app(scope, bounded_receive, send)


def declared_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


async def read_body(request: Request, limit: int) -> bytes:
    """The raw body, refused with 413 as soon as it is known to exceed `limit` bytes.

    For routes (webhooks) whose own limit comes from elsewhere than the route; `BodyLimit`
    bounds every body anyway.
    """
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(limit)
        chunks.append(chunk)
    return b"".join(chunks)


class JsonBody(Generic[Model]):
    """A dependency reading the body as `model`; list it after the route's key dependency.

    Dependencies run in order, so an unauthenticated request is answered before one byte
    is read. Every JSON body is also checked against `runtime.bounds` (64-bit integers,
    finite numbers, storable strings), whatever the model says about its fields.
    """

    def __init__(self, model: type[Model]) -> None:
        self.model = model

    async def __call__(self, request: Request) -> Model:
        raw = await request.body()
        if not raw:
            raise invalid(("body",), "missing", "a JSON body is required")
        try:
            document = json.loads(raw)
        except RecursionError:
            raise invalid(("body",), "json_invalid", "JSON nested too deeply") from None
        except ValueError as exc:
            raise invalid(("body",), "json_invalid", f"body is not valid JSON: {exc}") from None
        try:
            check_json(document, "body")
            return self.model.model_validate(document)
        except OutOfBounds as exc:
            raise invalid(("body",), "value_error", str(exc)) from None
        except ValidationError as exc:
            errors = exc.errors(include_url=False, include_input=False, include_context=False)
            raise RequestValidationError(
                [{**error, "loc": ("body", *error["loc"])} for error in errors]
            ) from None


def invalid(loc: tuple[str | int, ...], kind: str, message: str) -> RequestValidationError:
    return RequestValidationError([{"loc": loc, "type": kind, "msg": message}])
