"""One JSON shape for every error answer, and an OpenAPI document that lists them all.

Every 4xx and 5xx body is an `ErrorBody`: `detail` says what went wrong in words; a 422
adds `errors`, one entry per invalid input. Some answers add context beside these (a
rejected webhook's `event_id`, readiness checks). `complete_contract` derives the statuses
a route can answer from what it depends on (a key: 401/403; a body or parameters: 422; a
body: 413; the database: 503) and adds them, with this shape, to its OpenAPI entry; routes
declare only their own (404, 409, 410) with `error_responses`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import psycopg
from fastapi import FastAPI, Request, status
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts
from procrastinate.exceptions import ConnectorException
from psycopg_pool import PoolTimeout
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from api.auth import current_key
from api.deps import declared_params, get_resources
from api.limits import LIMIT_EXTENSION, JsonBody

logger = logging.getLogger(__name__)

DESCRIPTIONS = {
    400: "Malformed request",
    401: "Missing, unknown or revoked API key",
    403: "This key's role may not do this",
    404: "Not found",
    409: "Conflicts with the current state",
    410: "Gone: past its deadline",
    413: "Request body too large",
    415: "Unsupported media type",
    422: "Invalid request: `errors` says which input and why",
    503: "Database unavailable or busy: nothing was changed, retry (see Retry-After)",
}
UNAVAILABLE_RETRY_S = 5


class FieldError(BaseModel):
    """One invalid input: where (`loc`, from `body`, `query` or `path`), what and why."""

    loc: list[str | int]
    msg: str
    type: str


class ErrorBody(BaseModel):
    """The body of every 4xx and 5xx answer."""

    detail: str = Field(description="What went wrong and, where it helps, what to do.")
    errors: list[FieldError] | None = Field(
        default=None, description="422 only: each invalid input."
    )


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for the statuses a route answers of its own accord (404, 409, ...)."""
    return {code: {"description": DESCRIPTIONS.get(code, "Error")} for code in codes}


def printable(text: str) -> str:
    """`text` with lone surrogates escaped: JSON answers must encode as UTF-8."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def error_answer(
    code: int, detail: str, headers: Mapping[str, str] | None = None, **extra: Any
) -> JSONResponse:
    body = {"detail": printable(detail), **extra}
    return JSONResponse(body, status_code=code, headers=headers)


async def answer_http_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code < 200 or exc.status_code in {204, 304}:
        return Response(status_code=exc.status_code, headers=exc.headers)
    return error_answer(exc.status_code, str(exc.detail), exc.headers)


async def answer_invalid_request(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = [
        FieldError(
            loc=[printable(part) if isinstance(part, str) else part for part in error["loc"]],
            msg=printable(str(error.get("msg", "invalid"))),
            type=str(error.get("type", "value_error")),
        )
        for error in exc.errors()
    ]
    summary = "; ".join(f"{'.'.join(map(str, e.loc))}: {e.msg}" for e in errors[:3])
    more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
    return error_answer(
        status.HTTP_422_UNPROCESSABLE_CONTENT,
        f"invalid request: {summary}{more}",
        errors=[error.model_dump() for error in errors],
    )


async def answer_store_unavailable(request: Request, exc: Exception) -> Response:
    logger.warning(
        "%s %s: database unavailable: %s", request.method, request.url.path, type(exc).__name__
    )
    return error_answer(
        status.HTTP_503_SERVICE_UNAVAILABLE,
        "database unavailable or busy; nothing was changed, retry later",
        {"Retry-After": str(UNAVAILABLE_RETRY_S)},
    )


async def answer_unexpected(_request: Request, _exc: Exception) -> Response:
    """The server's own fault; the traceback is logged by the server, not sent."""
    return error_answer(status.HTTP_500_INTERNAL_SERVER_ERROR, "internal error")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(HTTPException, answer_http_error)
    app.add_exception_handler(RequestValidationError, answer_invalid_request)
    app.add_exception_handler(psycopg.OperationalError, answer_store_unavailable)
    app.add_exception_handler(PoolTimeout, answer_store_unavailable)
    app.add_exception_handler(ConnectorException, answer_store_unavailable)
    app.add_exception_handler(Exception, answer_unexpected)


def calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for dependency in dependant.dependencies:
        if dependency.call is not None:
            yield dependency.call
        yield from calls(dependency)


def api_routes(app: FastAPI) -> list[RouteContext]:
    """Every API route as served (included routers' prefixes and dependencies applied)."""
    return [
        context
        for context in iter_route_contexts(app.routes)
        if isinstance(context.original_route, APIRoute)
    ]


def derived_statuses(route: RouteContext) -> set[int]:
    """What a route can answer because of what it depends on."""
    found = set(calls(route.dependant))
    codes: set[int] = set()
    if current_key in found:
        codes |= {401, 403}
    if route.body_field is not None or any(isinstance(call, JsonBody) for call in found):
        codes |= {413, 422}
    if any(declared_params(route.dependant)):
        codes.add(422)
    if get_resources in found:
        codes.add(503)
    return codes


def complete_contract(app: FastAPI) -> None:
    """Make `app.openapi()` list every status each route answers, all as `ErrorBody`."""
    generate = app.openapi
    completed: list[dict[str, Any]] = []  # FastAPI caches the document until routes change

    def openapi() -> dict[str, Any]:
        schema = generate()
        if not completed or completed[0] is not schema:
            complete(schema, api_routes(app))
            completed[:] = [schema]
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def complete(schema: dict[str, Any], routes: list[RouteContext]) -> None:
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    add_model(components, ErrorBody)
    error_ref = {"$ref": "#/components/schemas/ErrorBody"}
    for route in routes:
        for method in route.methods or ():
            operation = schema["paths"].get(route.path_format, {}).get(method.lower())
            if operation is None:
                continue
            body = next((c for c in calls(route.dependant) if isinstance(c, JsonBody)), None)
            if body is not None:
                add_model(components, body.model)
                ref = {"$ref": f"#/components/schemas/{body.model.__name__}"}
                operation["requestBody"] = {
                    "required": True,
                    "content": {"application/json": {"schema": ref}},
                }
            answers = operation.setdefault("responses", {})
            declared = {int(code) for code in answers if code.isdigit()}
            for code in sorted(derived_statuses(route) | declared):
                if code < 400:
                    continue
                entry = answers.setdefault(str(code), {})
                entry["description"] = describe(code, entry.get("description"), route)
                content = entry.get("content", {}).get("application/json", {})
                if not content.get("schema") or "HTTPValidationError" in str(content):
                    entry["content"] = {"application/json": {"schema": error_ref}}
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)


def describe(code: int, declared: str | None, route: RouteContext) -> str:
    if code == 413 and route.openapi_extra and LIMIT_EXTENSION in route.openapi_extra:
        return f"Request body larger than {route.openapi_extra[LIMIT_EXTENSION]} bytes"
    if declared and declared != "Additional Response":
        return declared
    return DESCRIPTIONS.get(code, "Error")


def add_model(components: dict[str, Any], model: type[BaseModel]) -> None:
    found = model.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, definition in found.pop("$defs", {}).items():
        components.setdefault(name, definition)
    components.setdefault(model.__name__, found)
