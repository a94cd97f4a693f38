"""Chat on the threads/runs API: turn latency, first SSE event, concurrent throughput and
checkpoint bytes per turn, on a live `opsgraph serve` (offline planner, embedded Postgres);
side by side, the official `langgraph dev` server serving the same chat graph.

Run: `python -m bench.chat [--threads 50] [--long 200]` (or `make bench`).
- turn latency: `POST /threads/{id}/runs/wait`, client-side, for a scripted conversation
  (greeting, identify by email: a tool call, an order look-up: another) and for greetings;
- first SSE event: `POST .../runs/stream` until the first event (`metadata`) and until the
  first event the graph produced;
- throughput: `--threads` threads at once, each sending `TURNS_EACH` greetings (runs/wait);
- checkpoint bytes per turn: one thread, `--long` turns; the bytes its checkpoint tables
  grew by during turns 1, 50 and 200.
The `langgraph dev` row (the `langgraph-dev` extra) runs the greeting figures on the same
graph through `langgraph.json`; it keeps its state in memory where opsgraph writes Postgres.
Exits 1 only when a run failed.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import psycopg

from bench.ingest import postgres_uri
from bench.report import latency_summary, save_results
from service.process import PROJECT_ROOT, free_port, opsgraph_env, run_cli, serving

TARGET_P95_MS = 250.0
TARGET_FIRST_EVENT_MS = 100.0
TURNS_EACH = 4
LATENCY_THREADS = 20
STREAMS = 30
MEASURED_TURNS = (1, 50, 200)
SCRIPT = ("hello", "email mei.ahmed5231@example.com", "where is order #W2631563?")
GREETINGS = ("hello", "what can you do?")
CHECKPOINT_BYTES_SQL = """
SELECT (SELECT coalesce(sum(octet_length(checkpoint::text) + octet_length(metadata::text)), 0)
          FROM checkpoints WHERE thread_id = %(t)s)
     + (SELECT coalesce(sum(octet_length(blob)), 0) FROM checkpoint_blobs WHERE thread_id = %(t)s)
     + (SELECT coalesce(sum(octet_length(blob)), 0) FROM checkpoint_writes WHERE thread_id = %(t)s)
"""


def user(text: str) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": text}]}


class Chat:
    """A client for one server: opsgraph (with a key) or langgraph dev."""

    def __init__(self, base_url: str, headers: dict[str, str]) -> None:
        limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
        self.http = httpx.AsyncClient(
            base_url=base_url, headers=headers, timeout=120, limits=limits
        )
        self.failures = 0

    async def thread(self) -> str:
        answer = await self.http.post("/threads", json={})
        answer.raise_for_status()
        return str(answer.json()["thread_id"])

    async def turn(self, thread_id: str, text: str) -> float:
        started = time.perf_counter()
        answer = await self.http.post(
            f"/threads/{thread_id}/runs/wait", json={"assistant_id": "chat", "input": user(text)}
        )
        elapsed = time.perf_counter() - started
        if answer.status_code != 200 or "__error__" in answer.json():
            self.failures += 1
        return elapsed

    async def first_events(self, thread_id: str, text: str) -> tuple[float, float]:
        """Seconds to the first SSE event, and to the first event the graph produced."""
        body = {"assistant_id": "chat", "input": user(text), "stream_mode": ["updates"]}
        started = time.perf_counter()
        first = produced = 0.0
        async with self.http.stream("POST", f"/threads/{thread_id}/runs/stream", json=body) as r:
            async for line in r.aiter_lines():
                if not line.startswith("event: "):
                    continue
                now = time.perf_counter() - started
                first = first or now
                if line[7:] not in ("metadata", "end") and not produced:
                    produced = now
                if line[7:] == "error":
                    self.failures += 1
        return first, produced

    async def close(self) -> None:
        await self.http.aclose()


async def greeting_figures(chat: Chat, threads: int) -> dict[str, Any]:
    """The figures both servers are compared on: greetings (no tool, no database)."""
    thread_ids = [await chat.thread() for _ in range(LATENCY_THREADS)]
    for thread_id in thread_ids[:3]:  # warm-up: graph compilation, connections
        await chat.turn(thread_id, "hello")
    samples = [await chat.turn(thread_id, text) for thread_id in thread_ids for text in GREETINGS]
    firsts = [await chat.first_events(await chat.thread(), "hello") for _ in range(STREAMS)]
    many = [await chat.thread() for _ in range(threads)]

    async def converse(thread_id: str) -> None:
        for i in range(TURNS_EACH):
            await chat.turn(thread_id, GREETINGS[i % 2])

    started = time.perf_counter()
    await asyncio.gather(*(converse(thread_id) for thread_id in many))
    elapsed = time.perf_counter() - started
    return {
        "greeting_turn": latency_summary(samples),
        "first_event": latency_summary([f for f, _ in firsts]),
        "first_graph_event": latency_summary([p for _, p in firsts]),
        "concurrent": {
            "threads": threads,
            "turns": threads * TURNS_EACH,
            "seconds": round(elapsed, 2),
            "runs_per_s": round(threads * TURNS_EACH / elapsed, 2),
        },
    }


async def opsgraph_figures(
    chat: Chat, database_uri: str, threads: int, long: int
) -> dict[str, Any]:
    figures = await greeting_figures(chat, threads)
    scripted = []
    for _ in range(LATENCY_THREADS):
        thread_id = await chat.thread()
        scripted += [await chat.turn(thread_id, text) for text in SCRIPT]
    figures["scripted_turn"] = latency_summary(scripted)
    thread_id = await chat.thread()
    per_turn: dict[str, int] = {}
    with psycopg.connect(database_uri, autocommit=True) as conn:
        for turn in range(1, long + 1):
            before = conn.execute(CHECKPOINT_BYTES_SQL, {"t": thread_id}).fetchone()
            await chat.turn(thread_id, GREETINGS[turn % 2])
            after = conn.execute(CHECKPOINT_BYTES_SQL, {"t": thread_id}).fetchone()
            if turn in MEASURED_TURNS and before and after:
                per_turn[str(turn)] = int(after[0]) - int(before[0])
    figures["checkpoint_bytes_per_turn"] = per_turn
    return figures


@contextmanager
def langgraph_dev(folder: Path) -> Iterator[str | None]:
    """`langgraph dev` serving graph/studio.py's chat graph, or None when not installed."""
    binary = shutil.which("langgraph", path=str(Path(sys.executable).parent))
    if binary is None or importlib.util.find_spec("langgraph_runtime_inmem") is None:
        yield None
        return
    config = folder / "langgraph.json"
    graph = PROJECT_ROOT / "graph" / "studio.py"
    config.write_text(
        json.dumps(
            {"dependencies": [str(PROJECT_ROOT)], "graphs": {"chat": f"{graph}:make_chat_graph"}}
        )
    )
    port = free_port()
    env = {**os.environ, "OPSGRAPH_MODEL": "offline", "PYTHONPATH": str(PROJECT_ROOT)}
    with (folder / "langgraph-dev.log").open("a") as log:
        process = subprocess.Popen(
            [
                binary,
                "dev",
                "--config",
                str(config),
                "--port",
                str(port),
                "--no-browser",
                "--no-reload",
                "--server-log-level",
                "WARNING",
            ],
            cwd=folder,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"langgraph dev exited: see {folder / 'langgraph-dev.log'}")
            try:
                if httpx.get(f"{url}/ok", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("langgraph dev did not come up in 120 s")
            time.sleep(0.5)
        yield url
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def checked(result: subprocess.CompletedProcess[str], what: str) -> str:
    if result.returncode != 0:
        raise RuntimeError(f"{what} failed: {result.stderr}")
    return result.stdout.strip()


def run(threads: int, long: int) -> tuple[dict[str, Any], int]:
    with tempfile.TemporaryDirectory(prefix="opsgraph-bench-chat-") as tmp:
        folder = Path(tmp)
        env = opsgraph_env(folder / "data") | {
            "OPSGRAPH_MODEL": "offline",
            "OPSGRAPH_LOG_LEVEL": "WARNING",
            "OPSGRAPH_WORKER_CONCURRENCY": "8",
        }
        checked(run_cli("store", "seed", env=env), "opsgraph store seed")
        with serving(env, log=folder / "serve.log") as base_url:
            database_uri, _ = postgres_uri(folder / "data" / "pg")
            key = checked(
                run_cli("keys", "create", "--role", "operator", "--name", "bench-chat", env=env),
                "opsgraph keys create",
            )

            async def ours() -> tuple[dict[str, Any], int]:
                chat = Chat(base_url, {"x-api-key": key})
                try:
                    return await opsgraph_figures(chat, database_uri, threads, long), chat.failures
                finally:
                    await chat.close()

            figures, failures = asyncio.run(ours())
        result: dict[str, Any] = {"opsgraph": figures}
        with langgraph_dev(folder) as dev_url:
            if dev_url is None:
                result["langgraph_dev"] = "skipped: install the langgraph-dev extra"
            else:

                async def theirs() -> tuple[dict[str, Any], int]:
                    chat = Chat(dev_url, {})
                    try:
                        return await greeting_figures(chat, threads), chat.failures
                    finally:
                        await chat.close()

                dev, dev_failures = asyncio.run(theirs())
                result["langgraph_dev"] = dev
                result["ratios"] = {
                    "runs_per_s": round(
                        figures["concurrent"]["runs_per_s"] / dev["concurrent"]["runs_per_s"], 2
                    ),
                    "first_event_p50": round(
                        figures["first_event"]["p50_ms"] / dev["first_event"]["p50_ms"], 2
                    ),
                    "first_graph_event_p50": round(
                        figures["first_graph_event"]["p50_ms"] / dev["first_graph_event"]["p50_ms"],
                        2,
                    ),
                }
                result["langgraph_dev_failures"] = dev_failures
    result["failures"] = failures
    return result, failures


def report(result: dict[str, Any]) -> None:
    ours = result["opsgraph"]
    print("chat (offline planner, opsgraph serve, embedded Postgres):")
    for name in ("scripted_turn", "greeting_turn", "first_event", "first_graph_event"):
        figures = ours[name]
        print(f"  {name:<18} p50 {figures['p50_ms']:>8.1f} ms   p95 {figures['p95_ms']:>8.1f} ms")
    print(
        f"  targets: turn p95 <= {TARGET_P95_MS:.0f} ms, first SSE event <= "
        f"{TARGET_FIRST_EVENT_MS:.0f} ms"
    )
    concurrent = ours["concurrent"]
    print(
        f"  {concurrent['threads']} threads at once: {concurrent['turns']} turns in "
        f"{concurrent['seconds']} s = {concurrent['runs_per_s']} runs/s"
    )
    print(f"  checkpoint bytes written per turn: {ours['checkpoint_bytes_per_turn']}")
    dev = result["langgraph_dev"]
    if isinstance(dev, str):
        print(f"  langgraph dev: {dev}")
        return
    print(
        f"  langgraph dev (in-memory state), same graph, same load: "
        f"{dev['concurrent']['runs_per_s']} runs/s, first event p50 "
        f"{dev['first_event']['p50_ms']} ms, first graph event p50 "
        f"{dev['first_graph_event']['p50_ms']} ms"
    )
    print(f"  opsgraph / langgraph dev: {result['ratios']}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=50)
    parser.add_argument("--long", type=int, default=max(MEASURED_TURNS))
    args = parser.parse_args()
    result, failures = run(args.threads, args.long)
    report(result)
    print(f"saved {save_results('chat', result)}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
