"""The embedded PostgreSQL (pgserver: PostgreSQL 16 with pgvector) kept in a data directory."""

from __future__ import annotations

import json
import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psutil

logger = logging.getLogger(__name__)

USERS_FILE = ".handle_pids.json"
"""pgserver's list of the processes using a server (one pid each), in its data directory."""


def load_pgserver() -> Any:
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); /tmp is fine.
        warnings.simplefilter("ignore")
        import pgserver  # imported here: it is heavy and only the embedded mode needs it
    return pgserver


def is_user(pid: int, listed_at: float) -> bool:
    """Whether `pid` can still be the process that put itself on the list.

    A process that is gone, a zombie (killed, not yet reaped), or one started after the list
    was last written (its pid was reused) is not.
    """
    try:
        process = psutil.Process(pid)
        alive = process.status() != psutil.STATUS_ZOMBIE
        started_at: float = process.create_time()
    except psutil.Error:
        return False
    return alive and started_at <= listed_at


def forget_dead_users(pgdata: Path) -> list[int]:
    """Drop processes that no longer exist from the server's list of users; return them.

    pgserver stops the server when the last process on its list leaves, so a process that
    was killed (and never left) would keep it running forever; held under pgserver's own
    lock, as pgserver edits the list.
    """
    users_file = pgdata / USERS_FILE
    lock = load_pgserver().postgres_server.PostgresServer._lock
    with lock:
        if not users_file.exists():
            return []
        listed_at = users_file.stat().st_mtime + 1.0  # mtime is coarse on some filesystems
        users: list[int] = json.loads(users_file.read_text())
        dead = [pid for pid in users if not is_user(pid, listed_at)]
        if dead:
            users_file.write_text(json.dumps([pid for pid in users if pid not in dead]))
            logger.warning(
                "embedded postgres: forgot %d process(es) that no longer exist", len(dead)
            )
    return dead


@contextmanager
def embedded_postgres(pgdata: Path) -> Iterator[str]:
    """Start (or join) the server in `pgdata` and yield its URL; stop it when the last user leaves.

    pgserver counts the processes holding the directory, so an API process and a worker
    process share one server, and the last one to exit stops it. Processes that died
    without leaving are forgotten on the way in and on the way out, so they neither keep
    the server alive nor make the last live user think someone else still needs it.
    """
    pgserver = load_pgserver()
    pgdata.mkdir(parents=True, exist_ok=True)
    reused = (pgdata / "PG_VERSION").exists()
    forget_dead_users(pgdata)
    server: Any = pgserver.get_server(pgdata, cleanup_mode="stop")
    logger.info("embedded postgres %s in %s", "reused" if reused else "created", pgdata)
    try:
        yield str(server.get_uri())
    finally:
        forget_dead_users(pgdata)
        server.cleanup()
        logger.info("embedded postgres released")
