"""One JSON shape for every error answer, and an OpenAPI entry that lists them."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from psycopg_pool import PoolTimeout

from api.app import create_app
from api.errors import install_error_handlers, printable
from runtime.settings import Settings

ERROR_REF = {"$ref": "#/components/schemas/ErrorBody"}


async def test_invalid_query_is_422_with_a_sentence_and_the_inputs(
    client: httpx.AsyncClient, operator_headers: dict[str, str]
) -> None:
    answer = await client.get("/events?limit=abc&status=nope", headers=operator_headers)
    assert answer.status_code == 422
    body = answer.json()
    assert body["detail"].startswith("invalid request: ")
    assert "query.limit" in body["detail"]
    assert {tuple(error["loc"]) for error in body["errors"]} == {
        ("query", "limit"),
        ("query", "status"),
    }
    assert all(set(error) == {"loc", "msg", "type"} for error in body["errors"])


async def test_an_invalid_body_does_not_echo_its_input(
    client: httpx.AsyncClient, operator_headers: dict[str, str]
) -> None:
    card = "4111111111111111"
    answer = await client.post(
        "/events",
        json={"type": "order.created", "entity": "", "payload": {}, "card": card},
        headers=operator_headers,
    )
    assert answer.status_code == 422
    assert card not in answer.text
    assert {tuple(e["loc"]) for e in answer.json()["errors"]} == {
        ("body", "entity"),
        ("body", "card"),
    }


async def test_unknown_route_is_json(client: httpx.AsyncClient) -> None:
    answer = await client.get("/no-such-route")
    assert answer.status_code == 404
    assert answer.json() == {"detail": "Not Found"}


@pytest.fixture(scope="module")
def failing_app() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/busy")
    async def busy() -> None:
        raise PoolTimeout("no connection within 5s")

    @app.get("/broken")
    async def broken() -> None:
        raise RuntimeError("secret payload text 4111111111111111")

    return app


async def test_database_unavailable_is_503_with_retry_after(failing_app: FastAPI) -> None:
    transport = httpx.ASGITransport(app=failing_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        answer = await http.get("/busy")
    assert answer.status_code == 503
    assert answer.headers["retry-after"] == "5"
    assert "retry later" in answer.json()["detail"]


async def test_a_bug_is_500_in_the_same_shape_without_its_message(failing_app: FastAPI) -> None:
    transport = httpx.ASGITransport(app=failing_app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        answer = await http.get("/broken")
    assert answer.status_code == 500
    assert answer.json() == {"detail": "internal error"}


def test_printable_escapes_lone_surrogates() -> None:
    assert printable("a\ud800b") == "a\\ud800b"
    assert printable("café") == "café"


def operations(schema: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"{method.upper()} {path}", operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
    ]


def test_every_error_in_the_contract_has_the_one_shape() -> None:
    schema = create_app(Settings(database_url="postgresql://unused@127.0.0.1/x")).openapi()
    assert "HTTPValidationError" not in str(schema)
    for name, operation in operations(schema):
        for code, response in operation["responses"].items():
            if int(code) >= 400:
                assert response["content"]["application/json"]["schema"] == ERROR_REF, (
                    name,
                    code,
                )
    body = schema["components"]["schemas"]["ErrorBody"]
    assert body["properties"]["detail"]["type"] == "string"


def test_keyed_and_body_routes_document_what_they_answer() -> None:
    schema = create_app(Settings(database_url="postgresql://unused@127.0.0.1/x")).openapi()
    found = dict(operations(schema))
    for name in ("POST /events", "POST /approvals/{approval_id}/decision"):
        assert {"401", "403", "413", "422", "503"} <= set(found[name]["responses"]), name
        assert found[name]["requestBody"]["required"] is True
    assert {"401", "403", "404", "422", "503"} <= set(found["GET /events/{event_id}"]["responses"])
    assert {"404", "409", "410"} <= set(
        found["POST /approvals/{approval_id}/decision"]["responses"]
    )
    assert "401" not in found["GET /healthz"]["responses"]


async def test_a_nul_in_a_path_or_query_value_is_422_not_a_database_error(
    client: httpx.AsyncClient, reviewer_headers: dict[str, str]
) -> None:
    answer = await client.get("/approvals/a%00b", headers=reviewer_headers)
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["loc"] == ["path", "approval_id"]
    assert "NUL" in answer.json()["detail"]
    undeclared = await client.get("/approvals?junk=%00", headers=reviewer_headers)
    assert undeclared.status_code == 200
