"""Large bodies against a live `opsgraph serve` (API and in-process worker): how fast they
are answered and how much the process grows.

An unauthenticated 40 MB `POST /events` must be answered (401) within 100 ms, and the
process must grow by less than 10 MB. Authenticated uploads over the limit (413) are
measured too, with a Content-Length and chunked (counted as the bytes arrive). Each upload
streams its body over a raw socket until the answer's status line comes back.

Run: `python -m bench.hardening [--uploads N] [--mb M]`.
Exits 1 when an upload is answered with anything but the expected status.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.report import latency_summary, publish
from service.process import background, opsgraph_env, run_cli, wait_healthy

TARGET_ANSWER_MS = 100.0
TARGET_GROWTH_MB = 10.0
CHUNK = b"x" * (64 * 1024)
MB = 1024 * 1024


@dataclass(frozen=True)
class Upload:
    status: int
    answered_s: float
    sent_bytes: int


async def upload(port: int, *, size: int, key: str | None = None, chunked: bool = False) -> Upload:
    """POST `size` bytes to /events, streaming until the status line arrives."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = ["POST /events HTTP/1.1", f"Host: 127.0.0.1:{port}", "Content-Type: application/json"]
    head.append("Transfer-Encoding: chunked" if chunked else f"Content-Length: {size}")
    if key is not None:
        head.append(f"Authorization: Bearer {key}")
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode())
    await writer.drain()
    started = time.perf_counter()
    sent = 0

    async def send_body() -> None:
        nonlocal sent
        for piece in json_body(size):
            writer.write(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
            await writer.drain()
            sent += len(piece)
        if chunked:
            writer.write(b"0\r\n\r\n")
            await writer.drain()

    sender = asyncio.create_task(send_body())
    try:
        status_line = await asyncio.wait_for(reader.readline(), timeout=60)
        answered = time.perf_counter() - started
    finally:
        sender.cancel()
        writer.close()
    with contextlib.suppress(asyncio.CancelledError, ConnectionError):
        await sender
    status = int(status_line.split()[1]) if status_line else 0
    return Upload(status, answered, sent)


def json_body(size: int) -> Iterator[bytes]:
    """A valid event of exactly `size` bytes (a long string in its payload), in chunks:
    a server that parses before it authenticates pays for all of it."""
    head = b'{"type": "order.created", "entity": "order:bench", "payload": {"blob": "'
    tail = b'"}}'
    yield head
    left = size - len(head) - len(tail)
    while left > 0:
        yield CHUNK[:left]
        left -= len(CHUNK)
    yield tail


def rss_mb(pid: int) -> float:
    """The process's resident set size now (Linux /proc), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


class PeakRss:
    """Samples a process's RSS every 10 ms in a thread; `peak` is the highest seen."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = rss_mb(pid)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.sample, daemon=True)

    def sample(self) -> None:
        while not self.stop.wait(0.01):
            self.peak = max(self.peak, rss_mb(self.pid))

    def __enter__(self) -> PeakRss:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()


def scenario(
    name: str, pid: int, port: int, count: int, size: int, expected: int, **kwargs: Any
) -> dict[str, Any]:
    time.sleep(1.0)  # let the worker's start-up allocations settle
    before = rss_mb(pid)
    with PeakRss(pid) as peak:
        uploads = [asyncio.run(upload(port, size=size, **kwargs)) for _ in range(count)]
    after = rss_mb(pid)
    answered = [u.answered_s for u in uploads]
    return {
        "scenario": name,
        "uploads": count,
        "body_mb": round(size / MB, 1),
        "statuses": sorted({u.status for u in uploads}),
        "expected_status": expected,
        "answer": latency_summary(answered),
        "max_answer_ms": round(max(answered) * 1000, 2),
        "mb_written_before_answer_max": round(max(u.sent_bytes for u in uploads) / MB, 2),
        "rss_mb": {
            "before": round(before, 1),
            "peak": round(peak.peak, 1),
            "after": round(after, 1),
            "growth_peak": round(peak.peak - before, 1),
        },
    }


def run(count: int, size: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="opsgraph-bench-") as tmp:
        data_dir = Path(tmp) / "data"
        env = opsgraph_env(data_dir) | {"OPSGRAPH_LOG_LEVEL": "WARNING"}
        created = run_cli("keys", "create", "--role", "operator", "--name", "bench", env=env)
        if created.returncode != 0:
            raise RuntimeError(f"opsgraph keys create failed:\n{created.stderr}")
        key = created.stdout.strip()
        port = int(env["OPSGRAPH_PORT"])
        log = Path(tmp) / "serve.log"
        with background(["service.cli", "serve"], log=log, env=env) as process:
            wait_healthy(process, f"http://127.0.0.1:{port}", log)
            pid = process.pid
            scenarios = [
                scenario("unauthenticated", pid, port, count, size, 401),
                scenario("unknown key", pid, port, count, size, 401, key="og_not-a-key"),
                scenario("over the limit, declared", pid, port, count, size, 413, key=key),
                scenario(
                    "over the limit, chunked", pid, port, count, size, 413, key=key, chunked=True
                ),
            ]
    unauthenticated = scenarios[0]
    return {
        "scenarios": scenarios,
        "targets": {
            "unauthenticated_answer_ms": TARGET_ANSWER_MS,
            "unauthenticated_growth_mb": TARGET_GROWTH_MB,
        },
        "meets_targets": unauthenticated["max_answer_ms"] <= TARGET_ANSWER_MS
        and unauthenticated["rss_mb"]["growth_peak"] < TARGET_GROWTH_MB,
    }


def summary(figures: dict[str, Any]) -> str:
    lines = []
    for s in figures["scenarios"]:
        lines.append(
            f"{s['scenario']:>26}: {s['statuses']} in p50 {s['answer']['p50_ms']} ms, "
            f"max {s['max_answer_ms']} ms; {s['mb_written_before_answer_max']} MB written before "
            f"the answer; RSS {s['rss_mb']['before']} -> peak {s['rss_mb']['peak']} MB "
            f"(+{s['rss_mb']['growth_peak']})"
        )
    verdict = "meets" if figures["meets_targets"] else "MISSES"
    lines.append(
        f"{verdict} the targets: unauthenticated answer <= {TARGET_ANSWER_MS:g} ms, "
        f"growth < {TARGET_GROWTH_MB:g} MB"
    )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--uploads", type=int, default=5, help="per scenario")
    parser.add_argument("--mb", type=int, default=40, help="body size")
    args = parser.parse_args()
    print(f"bench.hardening: {args.uploads} uploads of {args.mb} MB per scenario ...", flush=True)
    figures = run(args.uploads, args.mb * MB)
    publish("hardening", figures, summary(figures))
    right = all(s["statuses"] == [s["expected_status"]] for s in figures["scenarios"])
    return 0 if right else 1


if __name__ == "__main__":
    sys.exit(main())
