"""Run-time context handed to every graph run (not checkpointed): the connections to act with."""

from __future__ import annotations

from dataclasses import dataclass

from runtime.database import Pool


@dataclass(frozen=True)
class OpsContext:
    """What tools reach the systems of record through."""

    pool: Pool
