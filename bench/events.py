"""End-to-end events: POST /events -> queue -> hierarchy -> settled, on a live `opsgraph serve`.

Settled is finished (done, failed, ...) or paused for a reviewer: one sample in five is a
high-value order the policy holds for approval, and this benchmark decides nothing.

Run: `python -m bench.events [--events N] [--senders C]` (or `make bench`).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.report import latency_summary, publish
from service.demo import SAMPLE_EVENTS
from service.process import opsgraph_env, run_cli, serving


async def send_all(
    base_url: str, key: str, *, events: int, senders: int
) -> tuple[list[float], list[str], float]:
    """POST `events` samples from `senders` concurrent clients; return ack latencies and ids."""
    headers = {"Authorization": f"Bearer {key}"}
    latencies: list[float] = []
    ids: list[str] = []
    counter = iter(range(events))
    started = time.perf_counter()

    async def sender(client: httpx.AsyncClient) -> None:
        for index in counter:
            sample = dict(SAMPLE_EVENTS[index % len(SAMPLE_EVENTS)])
            sample["entity"] = f"{sample['entity']}-{index}"
            t0 = time.perf_counter()
            answer = await client.post("/events", json=sample)
            latencies.append(time.perf_counter() - t0)
            answer.raise_for_status()
            ids.append(answer.json()["event_id"])

    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=30) as client:
        await asyncio.gather(*(sender(client) for _ in range(senders)))
    return latencies, ids, time.perf_counter() - started


LIST_LIMIT = 500
"""The most events one `GET /events?status=...` answers."""
SETTLED = ("done", "awaiting_approval", "failed", "skipped", "stale", "ignored", "rejected")
"""Where an event stays without a person: finished, or paused for a reviewer's decision."""


@dataclass
class Settled:
    """Each event's settled status, and when (perf_counter) it was first seen settled."""

    status: dict[str, str] = field(default_factory=dict)
    seen_at: dict[str, float] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def last(self, *statuses: str) -> float | None:
        times = [self.seen_at[i] for i, status in self.status.items() if status in statuses]
        return max(times) if times else None


async def wait_settled(base_url: str, key: str, ids: list[str], timeout_s: float) -> Settled:
    """Poll until every event is finished or waits for approval.

    The sample high-value order pauses for a reviewer by policy and nobody decides here, so
    `awaiting_approval` is settled for this benchmark (and counted on its own); the decision
    path is what `bench.approvals` measures.
    """
    headers = {"Authorization": f"Bearer {key}"}
    deadline = time.perf_counter() + timeout_s
    ours, settled = set(ids), Settled()
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=30) as client:
        while len(settled.status) < len(ours):
            if time.perf_counter() > deadline:
                left = len(ours) - len(settled.status)
                raise RuntimeError(f"{left} events not settled after {timeout_s:.0f}s")
            for status in SETTLED:
                answer = await client.get("/events", params={"status": status, "limit": LIST_LIMIT})
                answer.raise_for_status()
                now = time.perf_counter()
                for item in answer.json():
                    event_id = item["event_id"]
                    if event_id in ours and settled.status.get(event_id) != status:
                        settled.status[event_id] = status
                        settled.seen_at.setdefault(event_id, now)
                        if status == "failed":
                            settled.errors.append(str(item.get("error")))
            await asyncio.sleep(0.2)
    return settled


def run(events: int, senders: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="opsgraph-bench-") as tmp:
        env = opsgraph_env(Path(tmp) / "data")
        with serving(env, log=Path(tmp) / "serve.log") as base_url:
            created = run_cli("keys", "create", "--role", "operator", "--name", "bench", env=env)
            key = created.stdout.strip()
            t0 = time.perf_counter()
            latencies, ids, send_s = asyncio.run(
                send_all(base_url, key, events=events, senders=senders)
            )
            settled = asyncio.run(wait_settled(base_url, key, ids, timeout_s=600))
    counts = Counter(settled.status.values())
    total_s = (settled.last(*SETTLED) or t0) - t0
    done_s = (settled.last("done") or t0) - t0
    return {
        "events": events,
        "senders": senders,
        "ack_latency": latency_summary(latencies),
        "acks_per_s": round(events / send_s, 1),
        "settled": {status: counts[status] for status in SETTLED if counts[status]},
        "end_to_end_s": round(total_s, 2),
        "events_settled_per_s": round(events / total_s, 1) if total_s else None,
        "done": counts["done"],
        "done_s": round(done_s, 2),
        "events_done_per_s": round(counts["done"] / done_s, 1) if done_s else None,
        "awaiting_approval": counts["awaiting_approval"],
        "failed": counts["failed"],
        "first_error": settled.errors[0] if settled.errors else None,
        "setup": "opsgraph serve (API + in-process worker, concurrency 4), embedded PostgreSQL;"
        " events paused for approval count as settled and are not decided",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=300)
    parser.add_argument("--senders", type=int, default=8)
    args = parser.parse_args()
    if not 0 < args.events <= LIST_LIMIT:
        parser.error(f"--events must be from 1 to {LIST_LIMIT}")
    print(f"bench.events: {args.events} events, {args.senders} senders ...", flush=True)
    figures = run(args.events, args.senders)
    publish("events", figures)
    if figures["failed"]:
        raise SystemExit(f"bench.events: {figures['failed']} events failed")


if __name__ == "__main__":
    main()
