"""The reviewer inbox: server-rendered pages over the approvals, driven by plain HTML forms.

Signing in with a reviewer or admin API key starts a server-side session (`runtime.sessions`):
the HttpOnly, SameSite=Strict cookie scoped to `/inbox` holds only the session's random id,
never the key. Every request checks the session and its key in the database, so sign-out,
expiry, idleness and key revocation end it at once. SameSite does not separate ports of one
host, so unsafe requests must also come from this origin when the browser says where they
come from. Decisions go through `hitl.decide`.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import parse_qsl, urlsplit

import jinja2
from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from api.approvals import ApprovalView, ToolsDep
from api.deps import ResourcesDep
from graph.toolset import ToolRegistry
from hitl.approvals import ApprovalStatus, get_approval, list_approvals
from hitl.decide import decide
from hitl.decisions import DecisionError, DecisionIn, Voter
from runtime.apikeys import ApiKey, Role, find_key
from runtime.sessions import end_session, find_session, start_session

router = APIRouter(prefix="/inbox", tags=["inbox"], include_in_schema=False)

SESSION_COOKIE = "opsgraph_inbox"
FLASH_COOKIE = "opsgraph_inbox_flash"
COOKIE_PATH = "/inbox"
MAX_FORM_BYTES = 64 * 1024
LIST_LIMIT = 200
COMMENT_MAX = 2000
INBOX_ROLES = frozenset({Role.REVIEWER, Role.ADMIN})
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
}
OUTCOMES = {
    "accept": "Accepted",
    "edit": "Accepted with edited arguments",
    "response": "Answered instead of acting",
    "ignore": "Rejected",
}


@dataclass(frozen=True)
class Flash:
    level: Literal["ok", "info", "error"]
    text: str


@dataclass(frozen=True)
class Block:
    """A piece of a description: inline spans are (text, is_code); code blocks hold one."""

    kind: Literal["heading", "label", "paragraph", "list", "code"]
    items: list[list[tuple[str, bool]]]


@dataclass(frozen=True)
class ArgField:
    name: str
    value: str
    kind: Literal["text", "json"]
    hint: str


@cache
def templates() -> Jinja2Templates:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).with_name("templates")),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters |= {"duration": duration, "stamp": stamp, "as_json": as_json}
    return Jinja2Templates(env=env)


def render(
    request: Request, name: str, context: dict[str, Any], *, status_code: int = 200
) -> HTMLResponse:
    """A page, with the pending flash message shown once and then cleared."""
    context = {"flash": read_flash(request), **context}
    page = templates().TemplateResponse(request, name, context, status_code=status_code)
    page.headers.update(SECURITY_HEADERS)
    if FLASH_COOKIE in request.cookies:
        page.delete_cookie(FLASH_COOKIE, path=COOKIE_PATH)
    return page


def duration(seconds: float) -> str:
    """`2d 3h`, `4h 5m`, `6m`: the two largest units."""
    left = int(abs(seconds)) // 60
    days, hours, minutes = left // 1440, left // 60 % 24, left % 60
    if days:
        return f"{days}d {hours}h"
    return f"{hours}h {minutes}m" if hours else f"{minutes}m"


def stamp(moment: datetime | str) -> str:
    """A moment (or its ISO text, as votes keep it) in UTC to the minute."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def as_json(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, default=str)


def spans(line: str) -> list[tuple[str, bool]]:
    parts = re.split(r"`([^`]*)`", line)
    return [(text, index % 2 == 1) for index, text in enumerate(parts) if text]


def blocks_of(markdown: str) -> list[Block]:
    """The little markdown `hitl.interrupts.describe` writes, as blocks the template escapes."""
    blocks: list[Block] = []
    code: list[str] | None = None
    for line in markdown.splitlines():
        if code is not None:
            if line.strip().startswith("```"):
                blocks.append(Block("code", [[("\n".join(code), True)]]))
                code = None
            else:
                code.append(line)
        elif line.strip().startswith("```"):
            code = []
        elif line.startswith("#"):
            blocks.append(Block("heading", [spans(line.lstrip("#").strip())]))
        elif re.fullmatch(r"\*\*[^*]+\*\*", line.strip()):
            blocks.append(Block("label", [spans(line.strip().strip("*"))]))
        elif line.startswith(("- ", "* ")):
            if blocks and blocks[-1].kind == "list":
                blocks[-1].items.append(spans(line[2:]))
            else:
                blocks.append(Block("list", [spans(line[2:])]))
        elif line.strip():
            blocks.append(Block("paragraph", [spans(line.strip())]))
    if code is not None:
        blocks.append(Block("code", [[("\n".join(code), True)]]))  # an unclosed fence
    return blocks


def arg_fields(tools: ToolRegistry, action: str, args: dict[str, Any]) -> list[ArgField]:
    """One input per argument: the proposed ones, then any others the tool's schema takes."""
    schema = tools.effect(action).schema if tools.is_effect(action) else None
    fields = dict(schema.model_fields) if schema is not None else {}
    found = []
    for name in [*args, *(name for name in fields if name not in args)]:
        value = args.get(name)
        info = fields.get(name)
        hint = (info.description or "") if info is not None else ""
        if isinstance(value, dict | list):
            found.append(ArgField(name, json.dumps(value, indent=2), "json", hint or "JSON"))
        else:
            text = "" if value is None else str(value).lower() if isinstance(value, bool) else value
            found.append(ArgField(name, str(text), "text", hint))
    return found


def edited_args(
    tools: ToolRegistry, form: dict[str, str], action: str, proposed: dict[str, Any]
) -> dict[str, Any]:
    """The edit form's values; `check_edit` coerces them by the tool's schema afterwards."""
    args: dict[str, Any] = {}
    for field in arg_fields(tools, action, proposed):
        raw = form.get(f"arg.{field.name}")
        if raw is None or (raw == "" and field.name not in proposed):
            continue
        if field.kind == "json":
            try:
                args[field.name] = json.loads(raw)
            except ValueError as exc:
                raise DecisionError(422, f"{field.name} is not valid JSON: {exc}") from exc
        else:
            args[field.name] = raw
    return args


async def read_form(request: Request) -> dict[str, str]:
    """An urlencoded form body (what a plain HTML form sends), last value per name."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        raise HTTPException(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, "send an urlencoded form")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, "the form is too large")
    try:
        return dict(parse_qsl(body.decode(), keep_blank_values=True, max_num_fields=200))
    except (UnicodeDecodeError, ValueError) as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "the form cannot be read") from exc


def same_origin(request: Request) -> None:
    """Refuse a form posted from another origin (another port of this host is same-site)."""
    origin = request.headers.get("origin")
    if origin is not None and urlsplit(origin).netloc != request.headers.get("host"):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "cross-origin form refused")


async def session_key(request: Request, resources: ResourcesDep) -> ApiKey | None:
    """The key behind the request's live session, or None (no, ended or unknown session)."""
    session_id = request.cookies.get(SESSION_COOKIE)
    if not session_id:
        return None
    idle_s = resources.settings.session_idle_s
    key = await find_session(resources.pool, session_id, idle_s=idle_s)
    return key if key is not None and key.role in INBOX_ROLES else None


SessionKey = Annotated[ApiKey | None, Depends(session_key)]


def redirect(request: Request, url: str, flash: Flash | None = None) -> RedirectResponse:
    response = RedirectResponse(url, status_code=status.HTTP_303_SEE_OTHER)
    response.headers.update(SECURITY_HEADERS)
    if flash is not None:
        value = json.dumps({"level": flash.level, "text": flash.text[:1500]})
        response.set_cookie(
            FLASH_COOKIE,
            base64.urlsafe_b64encode(value.encode()).decode(),
            max_age=60,
            path=COOKIE_PATH,
            secure=request.url.scheme == "https",
            httponly=True,
            samesite="strict",
        )
    return response


def to_login(request: Request, flash: Flash | None = None) -> RedirectResponse:
    """Back to the sign-in form, saying so when a session the browser held has ended."""
    if flash is None and request.cookies.get(SESSION_COOKIE):
        flash = Flash("info", "Your session has ended; sign in again.")
    response = redirect(request, "/inbox/login", flash)
    response.delete_cookie(SESSION_COOKIE, path=COOKIE_PATH)
    return response


def read_flash(request: Request) -> Flash | None:
    """The message a redirect left behind, if any (the cookie's text is escaped like all)."""
    try:
        found = json.loads(base64.urlsafe_b64decode(request.cookies.get(FLASH_COOKIE) or ""))
        level: Literal["ok", "info", "error"] = (
            found["level"] if found["level"] in ("ok", "error") else "info"
        )
        return Flash(level, str(found["text"]))
    except (ValueError, TypeError, KeyError):
        return None


def login_form(request: Request, error: str | None, status_code: int) -> HTMLResponse:
    return render(request, "login.html", {"error": error}, status_code=status_code)


@router.get("/login", response_class=HTMLResponse)
async def read_login(request: Request) -> HTMLResponse:
    """The sign-in form: paste a reviewer or admin API key."""
    return login_form(request, None, status.HTTP_200_OK)


@router.post("/login", response_class=HTMLResponse)
async def create_session(request: Request, resources: ResourcesDep) -> Response:
    """Check the key and start a session; the cookie carries the session's id, not the key."""
    same_origin(request)
    secret = (await read_form(request)).get("key", "").strip()
    key = await find_key(resources.pool, secret) if secret else None
    if key is None:
        return login_form(request, "That key is unknown or revoked.", status.HTTP_401_UNAUTHORIZED)
    if key.role not in INBOX_ROLES:
        error = f"This is an {key.role.value} key; the inbox needs a reviewer or admin key."
        return login_form(request, error, status.HTTP_403_FORBIDDEN)
    if previous := request.cookies.get(SESSION_COOKIE):
        await end_session(resources.pool, previous)  # one browser, one session
    settings = resources.settings
    session_id = await start_session(
        resources.pool, key, ttl_s=settings.session_ttl_s, idle_s=settings.session_idle_s
    )
    response = redirect(request, "/inbox")
    response.set_cookie(
        SESSION_COOKIE,
        session_id,
        max_age=settings.session_ttl_s,
        path=COOKIE_PATH,
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="strict",
    )
    return response


@router.post("/logout")
async def delete_session(request: Request, resources: ResourcesDep) -> RedirectResponse:
    """End the session on the server (its cookie is then worthless) and clear the cookie."""
    same_origin(request)
    session_id = request.cookies.get(SESSION_COOKIE)
    if session_id:
        await end_session(resources.pool, session_id)
    return to_login(request, Flash("ok", "Signed out."))


@router.get("", response_class=HTMLResponse)
async def read_inbox(request: Request, key: SessionKey, resources: ResourcesDep) -> Response:
    """The tenant's pending approvals, oldest deadline first."""
    if key is None:
        return to_login(request)
    found = await list_approvals(
        resources.pool, tenant_id=key.tenant_id, status=ApprovalStatus.PENDING, limit=LIST_LIMIT
    )
    views = sorted((ApprovalView.of(a) for a in found), key=lambda v: v.deadline_at)
    return render(request, "inbox.html", {"key": key, "approvals": views, "now": datetime.now(UTC)})


@router.get("/{approval_id}", response_class=HTMLResponse)
async def read_inbox_approval(
    approval_id: str, request: Request, key: SessionKey, resources: ResourcesDep, tools: ToolsDep
) -> Response:
    """One approval with its context, the votes so far and the decision forms."""
    if key is None:
        return to_login(request)
    async with resources.pool.connection() as conn:
        approval = await get_approval(conn, tenant_id=key.tenant_id, approval_id=approval_id)
    if approval is None:
        context = {"key": key, "approval_id": approval_id}
        return render(request, "missing.html", context, status_code=status.HTTP_404_NOT_FOUND)
    view = ApprovalView.of(approval)
    now = datetime.now(UTC)
    action = str(view.proposed.get("action", view.tool_name))
    proposed_args = dict(view.proposed.get("args") or {})
    context = {
        "key": key,
        "a": view,
        "now": now,
        "action": action,
        "proposed_args": proposed_args,
        "blocks": blocks_of(view.description),
        "fields": arg_fields(tools, action, proposed_args),
        "config": view.interrupt.get("config") or {},
        "open": view.status is ApprovalStatus.PENDING and now < view.deadline_at,
        "outcomes": OUTCOMES,
    }
    return render(request, "approval.html", context)


@router.post("/{approval_id}/decision")
async def create_inbox_decision(
    approval_id: str, request: Request, key: SessionKey, resources: ResourcesDep, tools: ToolsDep
) -> RedirectResponse:
    """Take the form's decision through `hitl.decide` and come back with what happened."""
    same_origin(request)
    if key is None:
        return to_login(request)
    form = await read_form(request)
    back = f"/inbox/{approval_id}"
    voter = Voter(key.key_id, key.name, request.client.host if request.client else None)
    try:
        decision = await decision_of(form, resources, tools, key, approval_id)
        approval, repeated = await decide(
            resources.pool,
            resources.queue,
            tenant_id=key.tenant_id,
            approval_id=approval_id,
            decision=decision,
            voter=voter,
            check_edit=tools.check_edit,
        )
    except DecisionError as exc:
        if exc.status == status.HTTP_404_NOT_FOUND:
            return redirect(request, "/inbox", Flash("error", str(exc)))
        return redirect(request, back, Flash("error", f"Not decided ({exc.status}): {exc}"))
    if repeated:
        return redirect(
            request, back, Flash("info", "You had already decided this way; nothing changed.")
        )
    if approval.status is ApprovalStatus.PENDING:
        agreeing = len(approval.votes)
        text = (
            f"Your vote is recorded ({agreeing} of {approval.required_approvers}); "
            "waiting for a second approver."
        )
        return redirect(request, back, Flash("info", text))
    label = OUTCOMES.get(decision.type, decision.type)
    return redirect(request, back, Flash("ok", f"Decided: {label}. The run resumes shortly."))


async def decision_of(
    form: dict[str, str],
    resources: ResourcesDep,
    tools: ToolRegistry,
    key: ApiKey,
    approval_id: str,
) -> DecisionIn:
    """The DecisionIn a form stands for (edit arguments read against the proposed action)."""
    kind = form.get("type", "")
    comment = form.get("comment", "").strip() or None
    if kind not in OUTCOMES:
        raise DecisionError(422, f"unknown decision {kind!r}")
    if comment is not None and len(comment) > COMMENT_MAX:
        raise DecisionError(422, f"the comment is longer than {COMMENT_MAX} characters")
    if kind == "response":
        message = form.get("message", "").strip()
        if not message:
            raise DecisionError(422, "write the response to send back")
        return DecisionIn(type="response", args=message, comment=comment)
    if kind != "edit":
        return DecisionIn.model_validate({"type": kind, "comment": comment})
    async with resources.pool.connection() as conn:
        approval = await get_approval(conn, tenant_id=key.tenant_id, approval_id=approval_id)
    if approval is None:
        raise DecisionError(404, f"no approval {approval_id}")
    action = str(approval.proposed.get("action", approval.tool_name))
    args = edited_args(tools, form, action, dict(approval.proposed.get("args") or {}))
    return DecisionIn(type="edit", args=args, comment=comment)
