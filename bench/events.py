"""End-to-end events: POST /events -> queue -> hierarchy -> done, on a live `opsgraph serve`.

Run: `python -m bench.events [--events N] [--senders C]` (or `make bench`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.report import latency_summary, machine_context, save_results
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


async def wait_all_done(base_url: str, key: str, ids: list[str], timeout_s: float) -> float:
    """Poll the done count until every event finished; return when the last one did."""
    headers = {"Authorization": f"Bearer {key}"}
    deadline = time.perf_counter() + timeout_s
    pending = set(ids)
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=30) as client:
        while pending:
            if time.perf_counter() > deadline:
                raise RuntimeError(f"{len(pending)} events not done after {timeout_s:.0f}s")
            done = (await client.get("/events", params={"status": "done", "limit": 500})).json()
            pending -= {item["event_id"] for item in done}
            failed = (await client.get("/events", params={"status": "failed"})).json()
            if failed:
                raise RuntimeError(f"{len(failed)} events failed: {failed[0]['error']}")
            await asyncio.sleep(0.2)
    return time.perf_counter()


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
            finished = asyncio.run(wait_all_done(base_url, key, ids, timeout_s=600))
    total_s = finished - t0
    return {
        "events": events,
        "senders": senders,
        "ack_latency": latency_summary(latencies),
        "acks_per_s": round(events / send_s, 1),
        "end_to_end_s": round(total_s, 2),
        "events_done_per_s": round(events / total_s, 1),
        "setup": "opsgraph serve (API + in-process worker, concurrency 4), embedded PostgreSQL",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=300)
    parser.add_argument("--senders", type=int, default=8)
    args = parser.parse_args()
    print(f"bench.events: {args.events} events, {args.senders} senders ...", flush=True)
    figures = run(args.events, args.senders)
    path = save_results("events", figures)
    print(json.dumps({"context": machine_context(), **figures}, indent=2))
    print(f"saved {path}")


if __name__ == "__main__":
    main()
