"""`opsgraph serve` as a child process on a loopback port (for tests and benchmarks)."""

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

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def opsgraph_env(
    data_dir: Path, *, database_url: str | None = None, port: int = 0
) -> dict[str, str]:
    """This process's environment without OPSGRAPH_* settings, plus the given ones."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPSGRAPH_")}
    env |= {"OPSGRAPH_DATA_DIR": str(data_dir), "OPSGRAPH_PORT": str(port or free_port())}
    if database_url is not None:
        env["OPSGRAPH_DATABASE_URL"] = database_url
    return env


def run_cli(
    *args: str, env: dict[str, str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run one `opsgraph` command to completion."""
    return subprocess.run(
        [sys.executable, "-m", "service.cli", *args],
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def start(
    args: list[str], *, log: Path, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """`python -m <args>` from the project root, its output appended to `log`."""
    with log.open("a") as sink:
        return subprocess.Popen(
            [sys.executable, "-m", *args],
            env=env,
            cwd=PROJECT_ROOT,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )


@contextmanager
def background(
    args: list[str], *, log: Path, env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """A child process for the block, stopped with SIGINT (as Ctrl-C would) on the way out."""
    process = start(args, log=log, env=env)
    try:
        yield process
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            raise


@contextmanager
def serving(env: dict[str, str], *extra: str, log: Path) -> Iterator[str]:
    """`opsgraph serve` in the background; yields its base URL once /healthz answers."""
    base_url = f"http://127.0.0.1:{env['OPSGRAPH_PORT']}"
    with background(["service.cli", "serve", *extra], log=log, env=env) as process:
        wait_healthy(process, base_url, log)
        yield base_url


def wait_healthy(
    process: subprocess.Popen[bytes], base_url: str, log: Path, *, timeout_s: float = 60
) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"serve exited early:\n{log.read_text()}")
        try:
            if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"serve did not come up in {timeout_s:.0f}s:\n{log.read_text()}")
        time.sleep(0.2)
