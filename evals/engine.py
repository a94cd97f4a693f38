"""The eval run: every case (times `repeat`) on its own tenant, `concurrency` at a time."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from evals.dataset import Case
from evals.execute import run_case
from evals.harness import Harness
from evals.kb import ingest_template_kb
from evals.scoring import CaseResult, score
from evals.tenants import create_template_tenant

Progress = Callable[[CaseResult], None]


@dataclass(frozen=True)
class RunOptions:
    repeat: int = 1
    concurrency: int = 1


def tenant_for(run_id: str, index: int, repeat: int) -> str:
    return f"eval-{run_id}-{index:04d}-r{repeat}"


async def run_cases(
    harness: Harness,
    cases: Sequence[Case],
    options: RunOptions,
    *,
    progress: Progress | None = None,
) -> list[CaseResult]:
    """Results in case order then repeat order, whatever order they finished in."""
    run_id = uuid.uuid4().hex[:8]
    template = f"eval-{run_id}-template"
    await create_template_tenant(harness.resources.pool, template)
    if any(case.kind == "chat" for case in cases):
        await ingest_template_kb(harness.resources.pool, template)
    gate = asyncio.Semaphore(max(1, options.concurrency))
    jobs = [(i, r) for r in range(options.repeat) for i in range(len(cases))]

    async def one(index: int, repeat: int) -> CaseResult:
        async with gate:
            case = cases[index]
            observed = await run_case(
                harness, case, tenant_for(run_id, index, repeat), template=template
            )
            result = score(case, repeat, observed, set(observed.chunks))
        if progress is not None:
            progress(result)
        return result

    results = await asyncio.gather(*(one(i, r) for i, r in jobs))
    order = {case.key: n for n, case in enumerate(cases)}
    return sorted(results, key=lambda res: (order[res.key], res.repeat))
