"""A reviewer signs in to the inbox in a real browser and accepts a paused high-value order."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from tests.e2e.browser import headless_chromium, require_chromium, wait_event_status
from tests.e2e.live import opsgraph_env, run_cli, serving
from tests.graph.samples import PENDING_ORDER

HIGH_VALUE = {**PENDING_ORDER, "total": 1360.55}


def create_key(env: dict[str, str], role: str) -> str:
    created = run_cli("keys", "create", "--role", role, "--name", f"browser-{role}", env=env)
    assert created.returncode == 0, created.stderr
    return created.stdout.strip()


async def test_a_reviewer_accepts_an_approval_in_the_browser(tmp_path: Path) -> None:
    require_chromium()
    env = opsgraph_env(tmp_path / "data")
    seeded = run_cli("store", "seed", env=env)
    assert seeded.returncode == 0, seeded.stderr
    operator, reviewer = create_key(env, "operator"), create_key(env, "reviewer")

    with serving(env, log=tmp_path / "serve.log") as base_url:
        if (found := httpx.get(f"{base_url}/inbox/login", timeout=5)).status_code != 200:
            pytest.fail(
                f"GET /inbox/login answered {found.status_code}: is the inbox router "
                "included in api/app.py?",
                pytrace=False,
            )
        posted = httpx.post(
            f"{base_url}/events",
            json={"type": "order.created", "entity": "order:#W9962383", "payload": HIGH_VALUE},
            headers={"Authorization": f"Bearer {operator}"},
            timeout=10,
        )
        assert posted.status_code == 202, posted.text
        event_id = str(posted.json()["event_id"])
        await wait_event_status(base_url, operator, event_id, "awaiting_approval")

        async with headless_chromium(tmp_path / "chromium-profile") as browser:
            page = await browser.new_page()
            await page.goto(f"{base_url}/inbox")
            assert page.url == f"{base_url}/inbox/login"
            await page.get_by_label("API key").fill(reviewer)
            await page.get_by_role("button", name="Sign in").click()
            await page.wait_for_url(f"{base_url}/inbox")
            await page.screenshot(path=str(tmp_path / "inbox.png"), full_page=True)

            await page.get_by_role("link", name="create_fulfillment").click()
            await page.wait_for_url(re.compile(r"/inbox/apr_[0-9a-f]+$"))
            await page.screenshot(path=str(tmp_path / "approval.png"), full_page=True)
            shown = await page.locator("main").inner_text()
            assert "high_value_order" in shown
            assert "create_fulfillment" in shown
            assert '"order_id": "#W9962383"' in shown

            await page.get_by_role("button", name="Accept", exact=True).click()
            await page.wait_for_load_state()
            flash = await page.get_by_role("status").inner_text()
            assert flash.startswith("Decided: Accepted"), flash
            await page.screenshot(path=str(tmp_path / "decided.png"), full_page=True)

        done = await wait_event_status(base_url, operator, event_id, "done")
    assert "shipped with tracking" in str(done["summary"]), done
    assert (tmp_path / "approval.png").stat().st_size > 0
