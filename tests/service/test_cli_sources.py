"""`opsgraph sources add | list | remove` against the test database.

The secret goes in on standard input and never comes back out; the API the test runs
beside accepts the tenant's deliveries once it is added and refuses them once removed.
The commands run in this process (typer's runner, on a thread: each calls `asyncio.run`),
but one `add` runs as a real process reading a pipe.
"""

from __future__ import annotations

import asyncio
import dataclasses
import io
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import typer
from cryptography.fernet import Fernet
from fastapi import FastAPI
from typer.testing import CliRunner

from api.webhooks.config import WebhookConfig
from api.webhooks.signing import shopify_headers, standard_headers
from runtime.resources import Resources
from runtime.secretbox import SecretBox
from runtime.settings import Settings, get_settings
from runtime.webhook_sources import CACHE_TTL_S, SourceSecrets, fingerprint
from service import cli_sources
from service.cli import app as cli_app
from service.process import PROJECT_ROOT, opsgraph_env

SECRET_KEY = Fernet.generate_key().decode()
STANDARD_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=tmp_path_factory.mktemp("cli-sources"),
        secret_key=SECRET_KEY,
        pool_max_size=4,
    )


@pytest.fixture(scope="module")
def clock(app: FastAPI, settings: Settings) -> Iterator[Clock]:
    ticking = Clock()
    config: WebhookConfig = app.state.webhooks
    cache = SourceSecrets(lambda: SecretBox.from_settings(settings), clock=ticking)
    app.state.webhooks = dataclasses.replace(config, tenant_sources=cache)
    yield ticking
    app.state.webhooks = config


@pytest.fixture
def env(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, str]]:
    """The CLI's settings from the environment, as in production (for both ways of running)."""
    values = opsgraph_env(tmp_path / "data", database_url=database_url) | {
        "OPSGRAPH_SECRET_KEY": SECRET_KEY
    }
    for name in [name for name in os.environ if name.startswith("OPSGRAPH_")]:
        monkeypatch.delenv(name)
    for name, value in values.items():
        if name.startswith("OPSGRAPH_"):
            monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    yield values
    get_settings.cache_clear()


@dataclass(frozen=True)
class Ran:
    returncode: int
    stdout: str
    stderr: str


async def sources(*args: str, stdin: str = "") -> Ran:
    result = await asyncio.to_thread(CliRunner().invoke, cli_app, ["sources", *args], input=stdin)
    return Ran(result.exit_code, result.stdout, result.stderr)


def sources_process(*args: str, env: dict[str, str], stdin: str) -> Ran:
    done = subprocess.run(
        [sys.executable, "-m", "service.cli", "sources", *args],
        input=stdin,
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return Ran(done.returncode, done.stdout, done.stderr)


async def post_order(client: httpx.AsyncClient, tenant: str, secret: str) -> int:
    body = json.dumps({"id": uuid.uuid4().int % 10**12, "line_items": []}).encode()
    headers = shopify_headers(body, secret, topic="orders/create", webhook_id=uuid.uuid4().hex)
    answer = await client.post(f"/webhooks/shopify/t/{tenant}", content=body, headers=headers)
    return answer.status_code


async def test_add_list_remove_round_trip(
    env: dict[str, str], client: httpx.AsyncClient, clock: Clock
) -> None:
    tenant = f"cli-shop-{uuid.uuid4().hex[:6]}"
    secret = f"shpss_{uuid.uuid4().hex}"

    refused = await sources("add", "--tenant", tenant, "--kind", "shopify", stdin=secret)
    assert refused.returncode == 2
    assert f"tenant {tenant!r} does not exist; add --create-tenant" in refused.stderr

    added = sources_process(
        "add", "--tenant", tenant, "--kind", "shopify", "--create-tenant", env=env, stdin=secret
    )
    assert added.returncode == 0, added.stderr
    assert f"created tenant {tenant!r}" in added.stderr
    assert f"/webhooks/shopify/t/{tenant}" in added.stderr
    assert secret not in added.stdout + added.stderr
    clock.now += CACHE_TTL_S
    assert await post_order(client, tenant, secret) == 202

    listed = await sources("list", "--tenant", tenant)
    assert listed.returncode == 0, listed.stderr
    [line] = listed.stdout.splitlines()
    source_id, kind, name, *_, shown_fingerprint, path = line.split()
    assert (kind, name, shown_fingerprint) == ("shopify", "-", fingerprint(secret))
    assert path == f"/webhooks/shopify/t/{tenant}"
    assert secret not in listed.stdout + listed.stderr
    assert secret[6:14] not in listed.stdout

    removed = await sources("remove", source_id, "--tenant", tenant)
    assert removed.returncode == 0, removed.stderr
    assert f"within {CACHE_TTL_S:g} s" in removed.stderr
    clock.now += CACHE_TTL_S
    assert await post_order(client, tenant, secret) == 404
    empty = await sources("list", "--tenant", tenant)
    assert empty.stdout.strip() == f"no webhook secrets for tenant {tenant!r}"
    again = await sources("remove", source_id, "--tenant", tenant)
    assert again.returncode == 1
    assert f"no webhook secret {source_id} for tenant {tenant!r}" in again.stderr


@pytest.mark.usefixtures("env")
async def test_a_standard_source_and_a_reused_secret(
    client: httpx.AsyncClient, clock: Clock, resources: Resources
) -> None:
    tenant = f"cli-std-{uuid.uuid4().hex[:6]}"
    async with resources.pool.connection() as conn:
        await conn.execute("INSERT INTO tenants (tenant_id, name) VALUES (%s, 'CLI')", (tenant,))
    unnamed = await sources("add", "--tenant", tenant, "--kind", "standard", stdin="x")
    assert unnamed.returncode == 2 and "--name" in unnamed.stderr
    malformed = await sources(
        "add", "--tenant", tenant, "--kind", "standard", "--name", "crm", stdin="nope"
    )
    assert malformed.returncode == 2 and "'whsec_' followed by base64" in malformed.stderr

    added = await sources(
        "add",
        "--tenant",
        tenant,
        "--kind",
        "standard",
        "--name",
        "crm",
        stdin=STANDARD_SECRET + "\n",
    )
    assert added.returncode == 0, added.stderr
    assert f"/webhooks/standard/crm/t/{tenant}" in added.stdout
    clock.now += CACHE_TTL_S
    lead = {"type": "lead.created", "timestamp": "2026-11-20T10:00:00Z", "data": {"id": "l-1"}}
    body = json.dumps(lead).encode()
    headers = standard_headers(body, STANDARD_SECRET, msg_id=f"msg_{uuid.uuid4().hex}")
    answer = await client.post(f"/webhooks/standard/crm/t/{tenant}", content=body, headers=headers)
    assert answer.status_code == 202, answer.text

    reused = await sources(
        "add",
        "--tenant",
        tenant,
        "--kind",
        "standard",
        "--name",
        "erp",
        stdin=STANDARD_SECRET,
    )
    assert reused.returncode == 2
    assert "already stored" in reused.stderr and STANDARD_SECRET not in reused.stderr


@pytest.mark.usefixtures("env")
async def test_refusals_are_clear() -> None:
    unknown_kind = await sources("add", "--tenant", "acme", "--kind", "paypal", stdin="s")
    assert unknown_kind.returncode == 2
    assert "--kind" in unknown_kind.stderr and "paypal" in unknown_kind.stderr

    on_the_command_line = await sources(
        "add", "--tenant", "acme", "--kind", "shopify", "--secret", "shpss_x"
    )
    assert on_the_command_line.returncode == 2
    assert "No such option" in on_the_command_line.stderr

    default = await sources("add", "--tenant", "default", "--kind", "stripe", stdin="whsec_1")
    assert default.returncode == 2 and "OPSGRAPH_STRIPE_SECRETS" in default.stderr

    nobody = await sources("list", "--tenant", "nobody-here")
    assert (nobody.returncode, nobody.stderr.strip()) == (
        2,
        "error: tenant 'nobody-here' does not exist",
    )


def test_the_secret_comes_from_a_hidden_prompt_on_a_terminal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    asked: list[dict[str, object]] = []

    def prompt(text: str, **options: object) -> str:
        asked.append({"text": text, **options})
        return "  shpss_typed  "

    monkeypatch.setattr(typer, "prompt", prompt)

    assert cli_sources.read_secret(Terminal("ignored")) == "shpss_typed"
    assert asked == [{"text": "Secret", "hide_input": True}]
    assert cli_sources.read_secret(io.StringIO("shpss_piped\n")) == "shpss_piped"
