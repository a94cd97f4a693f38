"""Acceptance: each dev task's gold actions, run through the tools, reach τ-bench's end state.

`tasks_dev_expected.json` holds, per task, the records τ-bench's own tools change and the
error answers they give; every other record must stay as seeded.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from connectors.store.documents import StoreData
from connectors.store.export import export_store
from connectors.store.seed import load_seed_data, read_seed_file, seed_store
from runtime.resources import Resources
from tests.connectors.store.support import call, dumped

TASKS: list[dict[str, Any]] = read_seed_file("tasks_dev.json")
EXPECTED: list[dict[str, Any]] = read_seed_file("tasks_dev_expected.json")
KINDS = ("users", "orders", "products")


@pytest.fixture(scope="module")
def seed() -> StoreData:
    return load_seed_data()


def test_the_expectations_cover_the_tasks() -> None:
    assert len(TASKS) == len(EXPECTED) == 20
    for index, (task, expected) in enumerate(zip(TASKS, EXPECTED, strict=True)):
        assert expected["index"] == index
        assert (expected["user_id"], expected["actions"]) == (task["user_id"], task["actions"])


@pytest.mark.parametrize("index", range(len(TASKS)), ids=lambda index: f"task-{index:02d}")
async def test_gold_actions_reach_the_expected_end_state(
    resources: Resources, seed: StoreData, index: int
) -> None:
    task, expected = TASKS[index], EXPECTED[index]
    await seed_store(resources.pool, reset=True)

    answers = [
        await call(
            resources.pool,
            action["name"],
            action["kwargs"],
            thread_id=f"dev-task-{index}",
            call_id=f"gold-{position}",
        )
        for position, action in enumerate(task["actions"])
    ]
    assert [answer for answer in answers if answer.startswith("Error")] == expected["errors"]

    after = dumped(await export_store(resources.pool))
    before = dumped(seed)
    for kind in KINDS:
        changed = expected[f"changed_{kind}"]
        assert list(after[kind]) == list(before[kind])
        for key, record in changed.items():
            assert json.loads(after[kind][key]) == record, f"{kind} {key}"
            assert after[kind][key] == json.dumps(record), f"{kind} {key} serialized"
        unchanged = [key for key in before[kind] if key not in changed]
        assert [key for key in unchanged if after[kind][key] != before[kind][key]] == []

    # The last answer about each changed order is that order, exactly as τ-bench renders it.
    last_answer: dict[str, str] = {}
    for action, answer in zip(task["actions"], answers, strict=True):
        order_id = action["kwargs"].get("order_id")
        if order_id is not None and not answer.startswith("Error"):
            last_answer[order_id] = answer
    for order_id, answer in last_answer.items():
        assert answer == json.dumps(expected["changed_orders"][order_id])
