"""The knowledge-base routes through the ASGI app: roles, tenants, uploads, errors."""

from __future__ import annotations

import httpx
import pytest

from rag.embedders import HashingEmbedder
from rag.index import reindex
from runtime.apikeys import Role
from runtime.resources import Resources
from runtime.settings import Settings
from tests.rag.support import RETURNS_MD, SHIPPING_HTML, add_tenant, pdf_bytes
from tests.support import make_key

UPLOAD_LIMIT = 64 * 1024


@pytest.fixture(scope="module")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=tmp_path_factory.mktemp("data"),
        pool_min_size=1,
        pool_max_size=6,
        kb_max_upload_bytes=UPLOAD_LIMIT,
    )


@pytest.fixture(scope="module")
async def admin_headers(resources: Resources) -> dict[str, str]:
    return {"Authorization": f"Bearer {await make_key(resources, Role.ADMIN)}"}


@pytest.fixture(scope="module")
async def uploaded(client: httpx.AsyncClient, admin_headers: dict[str, str]) -> dict[str, str]:
    """Three documents in the default tenant's `policies` collection: source -> id."""
    files = [
        ("file", ("returns.md", RETURNS_MD.encode(), "text/markdown")),
        ("file", ("shipping.html", SHIPPING_HTML.encode(), "text/html")),
        ("file", ("fraud.pdf", pdf_bytes(["Fraud review\nScores of 70 wait."]), "application/pdf")),
    ]
    answer = await client.post(
        "/kb/documents?collection=policies", files=files, headers=admin_headers
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["collection"] == "policies"
    assert [(r["source"], r["outcome"]) for r in body["results"]] == [
        ("upload/returns.md", "added"),
        ("upload/shipping.html", "added"),
        ("upload/fraud.pdf", "added"),
    ]
    return {r["source"]: r["document_id"] for r in body["results"]}


@pytest.mark.usefixtures("uploaded")
async def test_every_reading_role_searches_and_sees_where_hits_come_from(
    client: httpx.AsyncClient,
    operator_headers: dict[str, str],
    reviewer_headers: dict[str, str],
    admin_headers: dict[str, str],
) -> None:
    for headers in (operator_headers, reviewer_headers, admin_headers):
        answer = await client.get(
            "/kb/search", params={"q": "damaged item photo", "k": 2}, headers=headers
        )
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["mode"] == "hybrid" and len(body["hits"]) == 2
        top = body["hits"][0]
        assert (top["source"], top["heading_path"]) == (
            "upload/returns.md",
            "Returns > Damaged items",
        )
        assert top["collection"] == "policies" and "«photo»" in top["snippet"]
    text = await client.get(
        "/kb/search",
        params={"q": "customs", "mode": "text", "collection": "policies"},
        headers=operator_headers,
    )
    assert [h["heading_path"] for h in text.json()["hits"]] == ["Shipping > International"]
    other = await client.get(
        "/kb/search", params={"q": "customs", "collection": "nothing"}, headers=operator_headers
    )
    assert other.json()["hits"] == []


@pytest.mark.usefixtures("uploaded")
async def test_another_tenant_sees_none_of_it(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    await add_tenant(resources.pool, "kb-api-other")
    headers = {"Authorization": f"Bearer {await make_key(resources, Role.ADMIN, 'kb-api-other')}"}
    for mode in ("hybrid", "text", "vector"):
        answer = await client.get(
            "/kb/search", params={"q": "damaged item", "mode": mode}, headers=headers
        )
        assert answer.status_code == 200 and answer.json()["hits"] == []
    assert (await client.get("/kb/documents", headers=headers)).json() == []


async def test_search_refuses_bad_input_and_anonymous_callers(
    client: httpx.AsyncClient, operator_headers: dict[str, str]
) -> None:
    assert (await client.get("/kb/search", params={"q": "x"})).status_code == 401
    bad: list[dict[str, str]] = [{"q": ""}, {"q": "x", "k": "0"}, {"q": "x", "mode": "fuzzy"}, {}]
    for params in bad:
        answer = await client.get("/kb/search", params=params, headers=operator_headers)
        assert answer.status_code == 422, params
        assert answer.json()["errors"]


async def test_uploads_need_an_admin_key_before_anything_is_read(
    client: httpx.AsyncClient, operator_headers: dict[str, str]
) -> None:
    files = [("file", ("a.md", b"# A", "text/markdown"))]
    assert (await client.post("/kb/documents", files=files)).status_code == 401
    refused = await client.post("/kb/documents", files=files, headers=operator_headers)
    assert refused.status_code == 403


async def test_unreadable_uploads_are_refused_and_nothing_is_ingested(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    mixed = [
        ("file", ("fine.md", b"# Fine\n\nok", "text/markdown")),
        ("file", ("photo.png", b"\x89PNG", "image/png")),
    ]
    answer = await client.post("/kb/documents?collection=bad", files=mixed, headers=admin_headers)
    assert answer.status_code == 415 and "photo.png" in answer.json()["detail"]
    json_body = await client.post("/kb/documents", json={"x": 1}, headers=admin_headers)
    assert json_body.status_code == 415
    no_file = await client.post(
        "/kb/documents", files=[("other", ("a.md", b"# A", "text/markdown"))], headers=admin_headers
    )
    assert no_file.status_code == 422
    big = [("file", ("big.md", b"x" * (UPLOAD_LIMIT + 1), "text/markdown"))]
    too_large = await client.post("/kb/documents", files=big, headers=admin_headers)
    assert too_large.status_code == 413
    listed = await client.get("/kb/documents?collection=bad", headers=admin_headers)
    assert listed.json() == []
    broken = [("file", ("broken.pdf", b"%PDF-1.4 not really", "application/pdf"))]
    failed = await client.post("/kb/documents?collection=bad", files=broken, headers=admin_headers)
    assert failed.status_code == 200
    [result] = failed.json()["results"]
    assert result["outcome"] == "failed" and "PDF" in result["reason"]


async def test_reupload_skips_or_replaces_and_delete_removes(
    client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    operator_headers: dict[str, str],
    uploaded: dict[str, str],
) -> None:
    same = [("file", ("returns.md", RETURNS_MD.encode(), "text/markdown"))]
    again = await client.post(
        "/kb/documents?collection=policies", files=same, headers=admin_headers
    )
    assert again.json()["results"][0]["outcome"] == "unchanged"
    edited = [("file", ("returns.md", b"# Returns\n\nNo returns after 60 days.", "text/markdown"))]
    replaced = await client.post(
        "/kb/documents?collection=policies", files=edited, headers=admin_headers
    )
    [result] = replaced.json()["results"]
    assert (result["outcome"], result["chunks"]) == ("updated", 1)
    assert result["document_id"] == uploaded["upload/returns.md"]

    listed = await client.get("/kb/documents?collection=policies", headers=operator_headers)
    assert {d["source"]: d["chunk_count"] for d in listed.json()}["upload/returns.md"] == 1

    document_id = uploaded["upload/shipping.html"]
    assert (
        await client.delete(f"/kb/documents/{document_id}", headers=operator_headers)
    ).status_code == 403
    deleted = await client.delete(f"/kb/documents/{document_id}", headers=admin_headers)
    assert deleted.status_code == 204
    gone = await client.delete(f"/kb/documents/{document_id}", headers=admin_headers)
    assert gone.status_code == 404
    hits = await client.get("/kb/search", params={"q": "customs"}, headers=operator_headers)
    assert all(h["source"] != "upload/shipping.html" for h in hits.json()["hits"])


async def test_openapi_lists_every_status(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert set(paths["/kb/search"]["get"]["responses"]) >= {
        "200",
        "401",
        "403",
        "409",
        "422",
        "503",
    }
    upload = paths["/kb/documents"]["post"]
    assert set(upload["responses"]) >= {"200", "400", "401", "403", "409", "413", "415", "422"}
    assert "multipart/form-data" in upload["requestBody"]["content"]
    assert set(paths["/kb/documents/{document_id}"]["delete"]["responses"]) >= {"204", "404"}


@pytest.mark.usefixtures("uploaded")
async def test_an_index_built_by_another_embedder_is_a_conflict(
    client: httpx.AsyncClient,
    resources: Resources,
    operator_headers: dict[str, str],
    admin_headers: dict[str, str],
) -> None:
    """Last in the module: it re-embeds the module's index with another embedder."""
    await reindex(resources.pool, HashingEmbedder(256))
    answer = await client.get("/kb/search", params={"q": "returns"}, headers=operator_headers)
    assert answer.status_code == 409
    assert "opsgraph kb reindex" in answer.json()["detail"]
    files = [("file", ("late.md", b"# Late", "text/markdown"))]
    upload = await client.post("/kb/documents", files=files, headers=admin_headers)
    assert upload.status_code == 409
