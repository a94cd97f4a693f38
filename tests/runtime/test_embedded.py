"""The embedded server forgets processes that died and stops when the last live one leaves."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from runtime.embedded import USERS_FILE, embedded_postgres, load_pgserver
from service.process import PROJECT_ROOT

HOLD_THE_SERVER = """
import sys, time
from pathlib import Path
from runtime.embedded import embedded_postgres
with embedded_postgres(Path(sys.argv[1])) as url:
    print("up", flush=True)
    time.sleep(600)
"""


@pytest.fixture
def pgdata() -> Iterator[Path]:
    """Outside pytest's basetemp: pgserver runs PostgreSQL as its own system user."""
    root = Path(tempfile.mkdtemp(prefix="opsgraph-test-embedded-"))
    os.chmod(root, 0o755)
    yield root / "pg"
    if (root / "pg" / "postmaster.pid").exists():
        pgserver = load_pgserver()
        server = pgserver.get_server(root / "pg", cleanup_mode=None)
        pgserver._commands.pg_ctl(
            ["-w", "-m", "immediate", "stop"], pgdata=server.pgdata, user=server.system_user
        )
    shutil.rmtree(root, ignore_errors=True)


def users(pgdata: Path) -> list[int]:
    found: list[int] = json.loads((pgdata / USERS_FILE).read_text())
    return found


def test_a_killed_user_is_forgotten_and_the_last_live_one_stops_the_server(
    pgdata: Path,
) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_THE_SERVER, str(pgdata)],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "up"
        assert users(pgdata) == [holder.pid]
    finally:
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(timeout=10)

    with embedded_postgres(pgdata):
        assert users(pgdata) == [os.getpid()]
    assert not (pgdata / "postmaster.pid").exists(), "the server outlived its last user"
    assert users(pgdata) == []
