"""Dead workers, told apart from slow ones, and their jobs put back without costing an attempt.

Each worker holds a session advisory lock on its id (its *liveness lock*) for as long as its
process lives. A worker whose heartbeat is late *and* whose lock is free is dead: a process
that is only slow (a blocked event loop) still holds its lock, and a process that was killed
lost it with its connection. A host that vanishes without closing its connection loses the
lock when the server's TCP keepalive gives up on it (set short on that session).

A crash is not an error: the job goes back to `todo` with its attempt count unchanged, so
only errors use up an event's retries. A job whose workers keep dying under it (a poison
job that kills every worker) is failed after `MAX_CRASHES`.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import DictRow

from runtime.database import Pool

logger = logging.getLogger(__name__)

LIVENESS_NAMESPACE = 0x6F67
"""The first key of every liveness lock (the second is the worker id)."""

MAX_CRASHES = 5
"""Runs of one job that may end with their worker's death before the job is failed."""

KEEPALIVE_SQL = (
    "SET tcp_keepalives_idle = 5; SET tcp_keepalives_interval = 2; SET tcp_keepalives_count = 3"
)

# One sweep at a time across all workers (the others skip theirs): two sweeps forgetting the
# same dead worker would otherwise wait on each other's job rows.
SWEEP_SQL = "SELECT pg_try_advisory_xact_lock(%s, 0) AS mine"
SWEEP_NAMESPACE = LIVENESS_NAMESPACE + 1

HOLD_SQL = "SELECT pg_advisory_lock(%s, %s)"
RELEASE_SQL = "SELECT pg_advisory_unlock(%s, %s)"

# Workers silent for `stalled_after_s` whose liveness lock nobody holds.
DEAD_WORKERS_SQL = """
SELECT coalesce(array_agg(w.id), '{}') AS ids
  FROM procrastinate_workers w
 WHERE w.last_heartbeat < now() - make_interval(secs => %(stalled_after_s)s)
   AND NOT EXISTS (
       SELECT 1 FROM pg_locks l
        WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
          AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND l.classid = %(namespace)s::oid
          AND l.objid = (w.id %% 2147483647)::oid)
"""

# Their running jobs, and jobs left `doing` by a worker row already pruned (its id is NULL).
# Each run adds a `started` event and each error an attempt, so the rest were crashes.
DEAD_JOBS_SQL = """
SELECT j.id, j.queue_name, j.task_name, j.args,
       (SELECT count(*) FROM procrastinate_events e
         WHERE e.job_id = j.id AND e.type = 'started') - j.attempts AS crashes
  FROM procrastinate_jobs j
 WHERE j.status = 'doing' AND (j.worker_id IS NULL OR j.worker_id = ANY(%(dead)s))
   FOR UPDATE OF j
"""

REQUEUE_SQL = """
UPDATE procrastinate_jobs SET status = 'todo', worker_id = NULL
 WHERE id = %(job_id)s AND status = 'doing'
"""

FAIL_SQL = """
UPDATE procrastinate_jobs SET status = 'failed', worker_id = NULL
 WHERE id = %(job_id)s AND status = 'doing'
"""

FORGET_WORKERS_SQL = "DELETE FROM procrastinate_workers WHERE id = ANY(%(ids)s)"

# Procrastinate's own insert trigger sends this; a job put back by hand must wake workers too.
WAKE_SQL = """
SELECT pg_notify('procrastinate_queue_v1#' || %(queue)s, %(payload)s),
       pg_notify('procrastinate_any_queue_v1', %(payload)s)
"""


def liveness_key(worker_id: int) -> tuple[int, int]:
    return LIVENESS_NAMESPACE, worker_id % 2147483647


async def hold_liveness(conn: AsyncConnection[DictRow], worker_id: int) -> None:
    """Take the worker's liveness lock on `conn`, which must stay open while it lives."""
    await conn.execute(KEEPALIVE_SQL)
    await conn.execute(HOLD_SQL, liveness_key(worker_id))


async def release_liveness(conn: AsyncConnection[DictRow], worker_id: int) -> None:
    await conn.execute(RELEASE_SQL, liveness_key(worker_id))


@dataclass(frozen=True)
class Recovered:
    """A job of a dead worker: queued again, or failed after `MAX_CRASHES` deaths."""

    job_id: int
    task_name: str
    args: dict[str, Any]
    crashes: int
    failed: bool


async def recover_dead_workers(pool: Pool, *, stalled_after_s: float) -> list[Recovered]:
    """Put the jobs of dead workers back in the queue (or fail a poison job), forget the
    dead workers, and wake the workers waiting for jobs. Every worker runs it; one at a
    time does the work."""
    params = {"stalled_after_s": stalled_after_s, "namespace": LIVENESS_NAMESPACE}
    recovered: list[Recovered] = []
    async with pool.connection() as conn, conn.transaction():
        sweep = await (await conn.execute(SWEEP_SQL, (SWEEP_NAMESPACE,))).fetchone()
        if sweep is None or not sweep["mine"]:
            return []
        found = await (await conn.execute(DEAD_WORKERS_SQL, params)).fetchone()
        dead: list[int] = found["ids"] if found else []
        rows = await (await conn.execute(DEAD_JOBS_SQL, {"dead": dead})).fetchall()
        for row in rows:
            failed = row["crashes"] >= MAX_CRASHES
            await conn.execute(FAIL_SQL if failed else REQUEUE_SQL, {"job_id": row["id"]})
            if not failed:
                payload = json.dumps({"type": "job_inserted", "job_id": row["id"]})
                await conn.execute(WAKE_SQL, {"queue": row["queue_name"], "payload": payload})
            recovered.append(
                Recovered(row["id"], row["task_name"], row["args"], row["crashes"], failed)
            )
        if dead:
            await conn.execute(FORGET_WORKERS_SQL, {"ids": dead})
    for job in recovered:
        if job.failed:
            logger.error(
                "job %s (%s) failed: its worker died %d times running it",
                job.job_id,
                job.task_name,
                job.crashes,
            )
        else:
            logger.warning("job %s (%s) of a dead worker queued again", job.job_id, job.task_name)
    return recovered
