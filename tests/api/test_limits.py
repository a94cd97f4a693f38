"""Bodies: nothing is read before the key is checked; nothing past the limit is read at all."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import Depends, FastAPI
from pydantic import BaseModel

from api.app import create_app
from api.auth import current_key
from api.errors import api_routes, calls, install_error_handlers
from api.limits import BodyLimit, JsonBody, larger_body
from runtime.settings import Settings

MB = 1024 * 1024
EVENT = {"type": "lead.created", "entity": "lead:limits", "payload": {"email": "a@b.example"}}


class Upload:
    """A streamed request body that counts how many of its chunks the server pulled."""

    def __init__(self, chunks: int, chunk: bytes = b" " * MB) -> None:
        self.chunks = chunks
        self.chunk = chunk
        self.pulled = 0

    async def stream(self) -> AsyncIterator[bytes]:
        for _ in range(self.chunks):
            self.pulled += 1
            yield self.chunk


def keyed_body_routes(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path) of every route that may take a body and needs an API key."""
    return [
        (method, str(route.path_format).replace("{", "").replace("}", ""))
        for route in api_routes(app)
        if current_key in set(calls(route.dependant))
        for method in route.methods or ()
        if method in {"POST", "PUT", "PATCH"}
    ]


def test_no_route_lets_fastapi_parse_a_body_before_its_dependencies() -> None:
    """FastAPI reads a declared body before any dependency: such routes must use JsonBody."""
    app = create_app(Settings(database_url="postgresql://unused@127.0.0.1/unused"))
    parsed_first = [
        f"{sorted(route.methods or ())} {route.path_format}"
        for route in api_routes(app)
        if route.body_field is not None
    ]
    assert parsed_first == []


async def test_every_keyed_body_route_answers_401_without_reading(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    routes = keyed_body_routes(app)
    assert ("POST", "/events") in routes
    for method, path in routes:
        for headers in ({}, {"Authorization": "Bearer og_not-a-real-key"}):
            upload = Upload(40)
            answer = await client.request(
                method,
                path,
                content=upload.stream(),
                headers={"Content-Type": "application/json", **headers},
            )
            assert answer.status_code == 401, (method, path, answer.text)
            assert answer.json()["detail"]
            assert upload.pulled == 0, (method, path)


async def test_wrong_role_is_refused_before_the_body_is_read(
    client: httpx.AsyncClient, reviewer_headers: dict[str, str]
) -> None:
    upload = Upload(40)
    answer = await client.post(
        "/events",
        content=upload.stream(),
        headers={"Content-Type": "application/json", **reviewer_headers},
    )
    assert answer.status_code == 403
    assert upload.pulled == 0


async def test_declared_oversize_body_is_413_before_reading(
    client: httpx.AsyncClient, operator_headers: dict[str, str], settings: Settings
) -> None:
    body = json.dumps({**EVENT, "payload": {"blob": "x" * settings.max_body_bytes}})
    answer = await client.post(
        "/events",
        content=body,
        headers={"Content-Type": "application/json", **operator_headers},
    )
    assert answer.status_code == 413
    assert answer.json() == {
        "detail": f"request body larger than {settings.max_body_bytes} bytes; "
        "nothing was read past that"
    }


async def test_streamed_oversize_body_is_cut_off_at_the_limit(
    client: httpx.AsyncClient, operator_headers: dict[str, str], settings: Settings
) -> None:
    """No Content-Length (chunked): the limit is counted as the body arrives."""
    chunk = b" " * 64 * 1024
    upload = Upload(640, chunk)  # 40 MB
    answer = await client.post(
        "/events",
        content=upload.stream(),
        headers={"Content-Type": "application/json", **operator_headers},
    )
    assert answer.status_code == 413
    assert "larger than" in answer.json()["detail"]
    assert upload.pulled <= settings.max_body_bytes // len(chunk) + 1


async def test_approval_decisions_are_bounded_too(
    client: httpx.AsyncClient, reviewer_headers: dict[str, str], settings: Settings
) -> None:
    body = json.dumps({"type": "response", "args": "x" * settings.max_body_bytes})
    answer = await client.post(
        "/approvals/any/decision",
        content=body,
        headers={"Content-Type": "application/json", **reviewer_headers},
    )
    assert answer.status_code == 413


class Note(BaseModel):
    text: str


@pytest.fixture(scope="module")
def bounded_app() -> FastAPI:
    """A bare app with two routes: one under the default limit, one allowed more."""
    app = FastAPI()
    app.add_middleware(BodyLimit, max_body_bytes=1024)
    install_error_handlers(app)

    @app.post("/small")
    async def small(note: Note = Depends(JsonBody(Note))) -> dict[str, int]:  # noqa: B008
        return {"length": len(note.text)}

    @app.post("/large", openapi_extra=larger_body(8192))
    async def large(note: Note = Depends(JsonBody(Note))) -> dict[str, int]:  # noqa: B008
        return {"length": len(note.text)}

    return app


@pytest.mark.parametrize(
    ("path", "size", "code"),
    [
        ("/small", 1000, 200),
        ("/small", 2000, 413),
        ("/large", 2000, 200),
        ("/large", 9000, 413),
    ],
)
async def test_a_route_can_raise_its_own_limit(
    bounded_app: FastAPI, path: str, size: int, code: int
) -> None:
    transport = httpx.ASGITransport(app=bounded_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        answer = await http.post(path, json={"text": "x" * (size - 12)})
    assert answer.status_code == code, answer.text
    schema = bounded_app.openapi()
    assert schema["paths"]["/large"]["post"]["x-max-body-bytes"] == 8192


async def test_body_that_is_not_json_is_422_with_the_reason(
    client: httpx.AsyncClient, operator_headers: dict[str, str]
) -> None:
    for content, reason in ((b"", "a JSON body is required"), (b"{", "not valid JSON")):
        answer = await client.post(
            "/events",
            content=content,
            headers={"Content-Type": "application/json", **operator_headers},
        )
        assert answer.status_code == 422
        assert reason in answer.json()["detail"]
        assert answer.json()["errors"][0]["loc"] == ["body"]
