"""Helpers for tests that drive `opsgraph` as a real process."""

from __future__ import annotations

import time

import httpx

from service.process import opsgraph_env, run_cli, serving

__all__ = ["opsgraph_env", "run_cli", "serving", "wait_event"]


def wait_event(
    base_url: str, key: str, event_id: str, *, timeout_s: float = 60
) -> dict[str, object]:
    headers = {"Authorization": f"Bearer {key}"}
    deadline = time.monotonic() + timeout_s
    while True:
        view: dict[str, object] = httpx.get(
            f"{base_url}/events/{event_id}", headers=headers, timeout=5
        ).json()
        if view["status"] in {"done", "failed", "skipped"}:
            return view
        if time.monotonic() > deadline:
            raise AssertionError(f"event {event_id} still {view['status']}")
        time.sleep(0.2)
