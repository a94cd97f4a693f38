"""Running `opsgraph` as a real process on a free loopback port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def opsgraph_env(
    data_dir: Path, *, database_url: str | None = None, port: int = 0
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPSGRAPH_")}
    env |= {"OPSGRAPH_DATA_DIR": str(data_dir), "OPSGRAPH_PORT": str(port or free_port())}
    if database_url is not None:
        env["OPSGRAPH_DATABASE_URL"] = database_url
    return env


def run_cli(
    *args: str, env: dict[str, str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "service.cli", *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@contextmanager
def serving(env: dict[str, str], *extra: str, log: Path) -> Iterator[str]:
    """`opsgraph serve` in the background; yields its base URL once /healthz answers."""
    base_url = f"http://127.0.0.1:{env['OPSGRAPH_PORT']}"
    with log.open("a") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "service.cli", "serve", *extra],
            env=env,
            cwd=REPO,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise AssertionError(f"serve exited early:\n{log.read_text()}")
            try:
                if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"serve did not come up:\n{log.read_text()}")
            time.sleep(0.2)
        yield base_url
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            raise


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
