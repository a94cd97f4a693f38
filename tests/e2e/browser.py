"""Helpers for browser tests: Debian's headless Chromium driven by Playwright, and polling.

The browser is the system's `chromium` package; `playwright install` (which downloads a
browser of its own) is never used. A missing browser fails the test: it does not skip.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

if TYPE_CHECKING:
    from playwright.async_api import BrowserContext

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def require_chromium() -> Path:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: browser tests need Debian's chromium package "
            "(as root: apt-get install -y chromium). Do not run `playwright install`.",
            pytrace=False,
        )
    return CHROMIUM


@asynccontextmanager
async def headless_chromium(profile: Path) -> AsyncIterator[BrowserContext]:
    """A headless Chromium with a fresh user-data dir at `profile`, closed on the way out."""
    executable = require_chromium()
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        pytest.fail(
            "the playwright package is missing: .venv/bin/pip install playwright", pytrace=False
        )
    if profile.exists():
        raise AssertionError(f"{profile} exists; the browser needs a fresh profile")
    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(executable),
            headless=True,
            args=CHROMIUM_ARGS,
        )
        try:
            yield context
        finally:
            await context.close()


async def wait_event_status(
    base_url: str, key: str, event_id: str, wanted: str, *, timeout_s: float = 90
) -> dict[str, Any]:
    """Poll `GET /events/{id}` until the event is `wanted`; fail on another final status."""
    headers = {"Authorization": f"Bearer {key}"}
    deadline = asyncio.get_running_loop().time() + timeout_s
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=5) as http:
        while True:
            view: dict[str, Any] = (await http.get(f"/events/{event_id}")).json()
            if view["status"] == wanted:
                return view
            if view["status"] in {"done", "failed", "skipped", "rejected", "stale"}:
                raise AssertionError(f"event {event_id} ended {view['status']}, not {wanted}")
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"event {event_id} still {view['status']}, not {wanted}")
            await asyncio.sleep(0.25)
