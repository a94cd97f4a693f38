"""The embedded PostgreSQL (pgserver: PostgreSQL 16 with pgvector) kept in a data directory."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)


@contextmanager
def embedded_postgres(pgdata: Path) -> Iterator[str]:
    """Start (or join) the server in `pgdata` and yield its URL; stop it when the last user leaves.

    pgserver counts the processes holding the directory, so an API process and a worker
    process share one server, and the last one to exit stops it.
    """
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); /tmp is fine.
        warnings.simplefilter("ignore")
        import pgserver  # imported here: it is heavy and only the embedded mode needs it

    pgdata.mkdir(parents=True, exist_ok=True)
    reused = (pgdata / "PG_VERSION").exists()
    server: Any = pgserver.get_server(pgdata, cleanup_mode="stop")  # type: ignore[attr-defined]
    logger.info("embedded postgres %s in %s", "reused" if reused else "created", pgdata)
    try:
        yield str(server.get_uri())
    finally:
        server.cleanup()
        logger.info("embedded postgres released")
