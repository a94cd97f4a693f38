"""The reviewer inbox over HTTP: sign-in, the pending list, escaping, decisions by form."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from api import inbox
from api.inbox import blocks_of
from runtime.apikeys import Role, revoke_key
from runtime.resources import Resources
from runtime.sessions import hash_session_id
from tests.graph.samples import PENDING_ORDER
from tests.support import drain_queue, make_key

SCRIPT = "<script>alert('inbox')</script>"
ORDERS: dict[str, dict[str, Any]] = {
    "accept": {"order_id": "#W9962383", "total": 1360.55},
    "escape": {"order_id": "#W2631563", "total": 1300.0, "email": f"{SCRIPT}@shop.example"},
    "edit": {"order_id": "#W5918442", "total": 1463.7},
    "four_eyes": {"order_id": "#W7619352", "total": 6200.0},
    "respond": {"order_id": "#W6779827", "total": 4079.45},
}

SignIn = Callable[[str], Awaitable[httpx.AsyncClient]]


@dataclass(frozen=True)
class Raised:
    event_id: str
    approval_id: str


@pytest.fixture(scope="module")
def inbox_app(app: FastAPI) -> FastAPI:
    """The service app, which serves the inbox."""
    return app


@pytest.fixture(scope="module")
async def raised(
    inbox_app: FastAPI, client: httpx.AsyncClient, resources: Resources
) -> dict[str, Raised]:
    """One high-value order per test, each paused at its approval."""
    del inbox_app
    operator = {"Authorization": f"Bearer {await make_key(resources, Role.OPERATOR)}"}
    events = {}
    for name, order in ORDERS.items():
        payload = {**PENDING_ORDER, **order}
        answer = await client.post(
            "/events",
            json={
                "type": "order.created",
                "entity": f"order:{order['order_id']}",
                "payload": payload,
            },
            headers=operator,
        )
        assert answer.status_code == 202, answer.text
        events[name] = str(answer.json()["event_id"])
    await drain_queue(resources)
    reviewer = {"Authorization": f"Bearer {await make_key(resources, Role.REVIEWER)}"}
    pending = (await client.get("/approvals?status=pending", headers=reviewer)).json()
    by_event = {a["event_id"]: a["approval_id"] for a in pending}
    return {name: Raised(event_id, by_event[event_id]) for name, event_id in events.items()}


@pytest.fixture
async def sign_in(inbox_app: FastAPI) -> AsyncIterator[SignIn]:
    """Sign in with a key on a client of its own (its own cookie jar)."""
    clients: list[httpx.AsyncClient] = []

    async def signed_in(secret: str) -> httpx.AsyncClient:
        http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=inbox_app), base_url="http://testserver"
        )
        clients.append(http)
        answer = await http.post("/inbox/login", data={"key": secret})
        assert answer.status_code == 303, answer.text
        assert answer.headers["location"] == "/inbox"
        return http

    yield signed_in
    for http in clients:
        await http.aclose()


@pytest.fixture(scope="module")
async def reviewer_key(resources: Resources) -> str:
    return await make_key(resources, Role.REVIEWER)


async def decide_by_form(
    http: httpx.AsyncClient, approval_id: str, form: dict[str, str]
) -> httpx.Response:
    """Post a decision form and follow the redirect back, as a browser does."""
    answer = await http.post(f"/inbox/{approval_id}/decision", data=form)
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == f"/inbox/{approval_id}"
    return await http.get(answer.headers["location"])


async def event_status(client: httpx.AsyncClient, resources: Resources, event_id: str) -> str:
    headers = {"Authorization": f"Bearer {await make_key(resources, Role.OPERATOR)}"}
    return str((await client.get(f"/events/{event_id}", headers=headers)).json()["status"])


async def test_pages_need_a_session(inbox_app: FastAPI, client: httpx.AsyncClient) -> None:
    del inbox_app
    for path in ("/inbox", "/inbox/apr_00000000000000000000"):
        answer = await client.get(path)
        assert answer.status_code == 303
        assert answer.headers["location"] == "/inbox/login"
    answer = await client.post("/inbox/apr_0/decision", data={"type": "accept"})
    assert (answer.status_code, answer.headers["location"]) == (303, "/inbox/login")
    login = await client.get("/inbox/login")
    assert login.status_code == 200
    assert '<input type="password" id="key" name="key"' in login.text
    assert "default-src 'none'" in login.headers["content-security-policy"]


async def test_an_unknown_key_gets_the_form_again_with_401(
    inbox_app: FastAPI, client: httpx.AsyncClient
) -> None:
    del inbox_app
    answer = await client.post("/inbox/login", data={"key": "og_not-a-real-key"})
    assert answer.status_code == 401
    assert "That key is unknown or revoked." in answer.text
    assert 'name="key"' in answer.text
    assert "set-cookie" not in answer.headers


async def test_an_operator_key_cannot_sign_in(
    inbox_app: FastAPI, client: httpx.AsyncClient, resources: Resources
) -> None:
    del inbox_app
    secret = await make_key(resources, Role.OPERATOR)
    answer = await client.post("/inbox/login", data={"key": secret})
    assert answer.status_code == 403
    assert "the inbox needs a reviewer or admin key" in answer.text
    assert "set-cookie" not in answer.headers


async def test_the_session_cookie_is_http_only_strict_and_scoped(
    inbox_app: FastAPI, client: httpx.AsyncClient, reviewer_key: str
) -> None:
    del inbox_app
    answer = await client.post("/inbox/login", data={"key": reviewer_key})
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith(f"{inbox.SESSION_COOKIE}=")
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    assert "Path=/inbox" in cookie
    assert "Secure" not in cookie  # plain http here; https requests get Secure


def session_id_of(http: httpx.AsyncClient) -> str:
    found = http.cookies.get(inbox.SESSION_COOKIE)
    assert found, "no session cookie"
    return found


async def with_cookie(inbox_app: FastAPI, path: str, value: str) -> httpx.Response:
    """GET `path` from a fresh client that presents `value` as the session cookie."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=inbox_app),
        base_url="http://testserver",
        cookies={inbox.SESSION_COOKIE: value},
    ) as http:
        return await http.get(path)


async def move_session(
    resources: Resources,
    session_id: str,
    *,
    last_seen_ago: timedelta | None = None,
    expires_in: timedelta | None = None,
) -> None:
    """Move a session's stored timestamps (time travel without sleeping)."""
    async with resources.pool.connection() as conn:
        cursor = await conn.execute(
            """
            UPDATE inbox_sessions
               SET last_seen_at = coalesce(now() - %s::interval, last_seen_at),
                   expires_at = coalesce(now() + %s::interval, expires_at)
             WHERE session_hash = %s
            """,
            (last_seen_ago, expires_in, hash_session_id(session_id)),
        )
        assert cursor.rowcount == 1


async def seen_ago(resources: Resources, session_id: str) -> timedelta:
    async with resources.pool.connection() as conn:
        cursor = await conn.execute(
            "SELECT now() - last_seen_at AS ago FROM inbox_sessions WHERE session_hash = %s",
            (hash_session_id(session_id),),
        )
        row = await cursor.fetchone()
    assert row is not None
    ago: timedelta = row["ago"]
    return ago


async def test_the_cookie_holds_a_session_id_and_only_its_hash_is_stored(
    sign_in: SignIn, reviewer_key: str, resources: Resources
) -> None:
    http = await sign_in(reviewer_key)
    session_id = session_id_of(http)
    assert reviewer_key not in session_id
    assert len(session_id) >= 43  # 256 random bits
    async with resources.pool.connection() as conn:
        rows = await (await conn.execute("SELECT * FROM inbox_sessions")).fetchall()
    assert session_id not in repr(rows)
    mine = [row for row in rows if row["session_hash"] == hash_session_id(session_id)]
    assert len(mine) == 1
    assert mine[0]["tenant_id"] == "default"
    assert mine[0]["expires_at"] - mine[0]["created_at"] == timedelta(hours=8)


async def test_a_raw_api_key_is_not_a_session(inbox_app: FastAPI, reviewer_key: str) -> None:
    answer = await with_cookie(inbox_app, "/inbox", reviewer_key)
    assert (answer.status_code, answer.headers["location"]) == (303, "/inbox/login")


async def test_a_session_id_is_not_an_api_key(
    sign_in: SignIn, reviewer_key: str, client: httpx.AsyncClient
) -> None:
    session_id = session_id_of(await sign_in(reviewer_key))
    answer = await client.get("/approvals", headers={"Authorization": f"Bearer {session_id}"})
    assert answer.status_code == 401


async def test_signing_out_ends_the_session(
    sign_in: SignIn, reviewer_key: str, inbox_app: FastAPI
) -> None:
    http = await sign_in(reviewer_key)
    session_id = session_id_of(http)
    assert (await http.get("/inbox")).status_code == 200
    answer = await http.post("/inbox/logout")
    assert (answer.status_code, answer.headers["location"]) == (303, "/inbox/login")
    assert 'role="status">Signed out.</div>' in (await http.get("/inbox/login")).text
    assert (await http.get("/inbox")).status_code == 303
    replayed = await with_cookie(inbox_app, "/inbox", session_id)  # a copy kept elsewhere
    assert (replayed.status_code, replayed.headers["location"]) == (303, "/inbox/login")


async def test_signing_in_again_ends_the_browsers_previous_session(
    sign_in: SignIn, reviewer_key: str, inbox_app: FastAPI
) -> None:
    http = await sign_in(reviewer_key)
    before = session_id_of(http)
    again = await http.post("/inbox/login", data={"key": reviewer_key})
    assert again.status_code == 303
    assert session_id_of(http) != before
    assert (await http.get("/inbox")).status_code == 200
    assert (await with_cookie(inbox_app, "/inbox", before)).status_code == 303


async def test_signing_out_leaves_other_sessions_of_the_key(
    sign_in: SignIn, reviewer_key: str
) -> None:
    first, second = await sign_in(reviewer_key), await sign_in(reviewer_key)
    assert session_id_of(first) != session_id_of(second)
    await first.post("/inbox/logout")
    assert (await second.get("/inbox")).status_code == 200


async def test_an_idle_session_ends(
    sign_in: SignIn, reviewer_key: str, resources: Resources
) -> None:
    http = await sign_in(reviewer_key)
    session_id = session_id_of(http)
    await move_session(resources, session_id, last_seen_ago=timedelta(minutes=29))
    assert (await http.get("/inbox")).status_code == 200
    assert await seen_ago(resources, session_id) < timedelta(minutes=1)  # that use counts
    await move_session(resources, session_id, last_seen_ago=timedelta(minutes=31))
    answer = await http.get("/inbox")
    assert (answer.status_code, answer.headers["location"]) == (303, "/inbox/login")
    login = await http.get("/inbox/login")
    assert 'role="status">Your session has ended; sign in again.</div>' in login.text


async def test_a_session_ends_at_its_expiry_however_busy(
    sign_in: SignIn, reviewer_key: str, resources: Resources
) -> None:
    http = await sign_in(reviewer_key)
    session_id = session_id_of(http)
    await move_session(resources, session_id, expires_in=timedelta(minutes=1))
    assert (await http.get("/inbox")).status_code == 200
    await move_session(resources, session_id, expires_in=timedelta(seconds=-1))
    assert (await http.get("/inbox")).status_code == 303


async def test_ended_sessions_are_forgotten_at_the_next_sign_in(
    sign_in: SignIn, reviewer_key: str, resources: Resources
) -> None:
    old = session_id_of(await sign_in(reviewer_key))
    await move_session(resources, old, expires_in=timedelta(seconds=-1))
    await sign_in(reviewer_key)
    async with resources.pool.connection() as conn:
        cursor = await conn.execute(
            "SELECT 1 FROM inbox_sessions WHERE session_hash = %s", (hash_session_id(old),)
        )
        assert await cursor.fetchone() is None


async def test_revoking_the_key_ends_its_sessions(
    sign_in: SignIn, resources: Resources, inbox_app: FastAPI
) -> None:
    secret = await make_key(resources, Role.REVIEWER)
    http = await sign_in(secret)
    session_id = session_id_of(http)
    assert (await http.get("/inbox")).status_code == 200
    key_id = await key_id_of(resources, http)
    assert await revoke_key(resources.pool, tenant_id="default", key_id=key_id) is not None
    answer = await http.get("/inbox")
    assert (answer.status_code, answer.headers["location"]) == (303, "/inbox/login")
    assert (await with_cookie(inbox_app, "/inbox", session_id)).status_code == 303
    again = await http.post("/inbox/login", data={"key": secret})
    assert again.status_code == 401


async def test_a_revoked_key_is_refused_even_if_its_session_row_survives(
    sign_in: SignIn, resources: Resources
) -> None:
    http = await sign_in(await make_key(resources, Role.REVIEWER))
    key_id = await key_id_of(resources, http)
    async with resources.pool.connection() as conn:
        await conn.execute("UPDATE api_keys SET revoked_at = now() WHERE key_id = %s", (key_id,))
    assert (await http.get("/inbox")).status_code == 303


async def key_id_of(resources: Resources, http: httpx.AsyncClient) -> uuid.UUID:
    async with resources.pool.connection() as conn:
        cursor = await conn.execute(
            "SELECT key_id FROM inbox_sessions WHERE session_hash = %s",
            (hash_session_id(session_id_of(http)),),
        )
        row = await cursor.fetchone()
    assert row is not None
    key_id: uuid.UUID = row["key_id"]
    return key_id


async def test_over_https_the_cookie_is_secure(inbox_app: FastAPI, reviewer_key: str) -> None:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=inbox_app), base_url="https://testserver"
    ) as http:
        answer = await http.post("/inbox/login", data={"key": reviewer_key})
    assert answer.status_code == 303
    assert "Secure" in answer.headers["set-cookie"]


async def test_a_form_from_another_origin_is_refused(sign_in: SignIn, reviewer_key: str) -> None:
    http = await sign_in(reviewer_key)
    answer = await http.post("/inbox/logout", headers={"Origin": "http://127.0.0.1:9"}, data={})
    assert answer.status_code == 403


async def test_the_list_shows_pending_approvals(
    sign_in: SignIn, reviewer_key: str, raised: dict[str, Raised]
) -> None:
    page = await (await sign_in(reviewer_key)).get("/inbox")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    approval_id = raised["edit"].approval_id  # a test that leaves it pending
    row = page.text[page.text.index(f'href="/inbox/{approval_id}"') :].split("</tr>")[0]
    assert "create_fulfillment" in row
    assert "#W5918442" in row
    assert "<code>high_value_order</code>" in row
    assert "1,463.70 USD" in row
    assert "0 of 1" in row


async def test_the_detail_escapes_what_customers_wrote(
    sign_in: SignIn, reviewer_key: str, raised: dict[str, Raised]
) -> None:
    page = await (await sign_in(reviewer_key)).get(f"/inbox/{raised['escape'].approval_id}")
    assert page.status_code == 200
    assert "customer: &lt;script&gt;alert(&#39;inbox&#39;)&lt;/script&gt;@shop.example" in page.text
    assert "<script" not in page.text
    assert "<h3>Approve <code>create_fulfillment</code>?</h3>" in page.text
    assert "<li>high_value_order: Orders of 1,000 or more" in page.text


async def test_accept_by_form_decides_and_the_event_completes(
    sign_in: SignIn,
    reviewer_key: str,
    raised: dict[str, Raised],
    client: httpx.AsyncClient,
    resources: Resources,
) -> None:
    http = await sign_in(reviewer_key)
    detail = await http.get(f"/inbox/{raised['accept'].approval_id}")
    field = r'<input type="text" id="arg-order_id" name="arg.order_id"\s+value="#W9962383">'
    assert re.search(field, detail.text)
    page = await decide_by_form(http, raised["accept"].approval_id, {"type": "accept"})
    assert 'role="status">Decided: Accepted. The run resumes shortly.</div>' in page.text
    assert 'id="outcome"><strong>Accepted</strong>' in page.text
    assert 'value="accept"' not in page.text  # no forms once decided
    assert "inbox_flash" in page.headers["set-cookie"]  # shown once, then cleared
    await drain_queue(resources)
    assert await event_status(client, resources, raised["accept"].event_id) == "done"
    again = await decide_by_form(http, raised["accept"].approval_id, {"type": "ignore"})
    assert "Not decided (409): this approval is already decided differently" in again.text


async def test_an_invalid_edit_shows_the_422_message(
    sign_in: SignIn, reviewer_key: str, raised: dict[str, Raised]
) -> None:
    http = await sign_in(reviewer_key)
    approval_id = raised["edit"].approval_id
    page = await decide_by_form(http, approval_id, {"type": "edit", "arg.order_id": ""})
    assert 'role="alert">Not decided (422): edited arguments are invalid:' in page.text
    assert "String should have at least 1 character" in page.text
    assert 'value="edit"' in page.text  # still pending: the forms are there


async def test_a_four_eyes_approval_waits_for_a_second_key(
    sign_in: SignIn, reviewer_key: str, raised: dict[str, Raised], resources: Resources
) -> None:
    approval_id = raised["four_eyes"].approval_id
    first = await decide_by_form(await sign_in(reviewer_key), approval_id, {"type": "accept"})
    assert "Your vote is recorded (1 of 2); waiting for a second approver." in first.text
    assert "Votes (1 of 2 needed)" in first.text
    admin = await sign_in(await make_key(resources, Role.ADMIN))
    second = await decide_by_form(admin, approval_id, {"type": "accept", "comment": "ok <b>"})
    assert "Decided: Accepted." in second.text
    assert "“ok &lt;b&gt;”" in second.text


async def test_respond_needs_a_message_then_answers(
    sign_in: SignIn, reviewer_key: str, raised: dict[str, Raised]
) -> None:
    http = await sign_in(reviewer_key)
    approval_id = raised["respond"].approval_id
    empty = await decide_by_form(http, approval_id, {"type": "response", "message": " "})
    assert "Not decided (422): write the response to send back" in empty.text
    page = await decide_by_form(
        http, approval_id, {"type": "response", "message": "Call the customer first."}
    )
    assert "Decided: Answered instead of acting." in page.text
    assert "&#34;Call the customer first.&#34;" in page.text


async def test_an_unknown_approval_is_404(sign_in: SignIn, reviewer_key: str) -> None:
    page = await (await sign_in(reviewer_key)).get("/inbox/apr_<b>")
    assert page.status_code == 404
    assert "<code>apr_&lt;b&gt;</code>" in page.text


def test_description_blocks_keep_markup_as_text() -> None:
    blocks = blocks_of('## Approve `x`?\n**Why**\n- a: <b>\n- b\n```json\n{"<i>": 1}\n```\ntail')
    assert [b.kind for b in blocks] == ["heading", "label", "list", "code", "paragraph"]
    assert blocks[0].items == [[("Approve ", False), ("x", True), ("?", False)]]
    assert blocks[2].items == [[("a: <b>", False)], [("b", False)]]
    assert blocks[3].items == [[('{"<i>": 1}', True)]]
