"""Posting canonical events to a live service from a few concurrent clients."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterable
from typing import Any

import httpx


async def post_events(
    base_url: str, key: str, bodies: Iterable[dict[str, Any]], *, senders: int
) -> tuple[list[str], Counter[str]]:
    """POST every body to /events from `senders` clients; the accepted event ids, and the
    answers counted by status code (or transport error name)."""
    accepted: list[str] = []
    answers: Counter[str] = Counter()
    queue = iter(bodies)

    async def sender(client: httpx.AsyncClient) -> None:
        for body in queue:
            try:
                answer = await client.post("/events", json=body)
            except httpx.HTTPError as exc:
                answers[type(exc).__name__] += 1
                continue
            answers[str(answer.status_code)] += 1
            if answer.status_code == 202:
                accepted.append(answer.json()["event_id"])

    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=30) as client:
        await asyncio.gather(*(sender(client) for _ in range(senders)))
    return accepted, answers
