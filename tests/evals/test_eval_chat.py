"""Chat scripts through `opsgraph eval run`: the real chat graph on a fresh thread and tenant,
scripted reviewer decisions resuming an approval, per-turn expectations."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from evals.dataset import write_dataset
from service.cli import app

IDENTIFY = {"user": "email mei.ahmed5231@example.com"}
CASES: list[dict[str, Any]] = [
    {
        "id": "status",
        "kind": "chat",
        "chat": {
            "turns": [
                IDENTIFY,
                {
                    "user": "where is order #W2631563?",
                    "expect": {"intent": "order_status", "facts": ["#W2631563", "not shipped"]},
                },
            ]
        },
        "expect": {"intent": "order_status", "approvals": []},
    },
    {
        "id": "cancel-approved",
        "kind": "chat",
        "chat": {
            "turns": [
                IDENTIFY,
                {"user": "cancel order #W2631563, the customer changed their mind"},
                {"user": "yes", "expect": {"facts": ["cancelled"]}},
            ]
        },
        "decisions": [{"tool": "cancel_pending_order", "type": "accept"}],
        "expect": {
            "approvals": ["large_retail_refund"],
            "tool_calls": [{"name": "cancel_pending_order", "args": {"order_id": "#W2631563"}}],
            "end_state": {"orders": {"#W2631563": {"status": "cancelled"}}},
        },
    },
    {
        "id": "cancel-rejected",
        "kind": "chat",
        "chat": {
            "turns": [
                IDENTIFY,
                {"user": "cancel order #W2631563, the customer changed their mind"},
                {"user": "yes"},
            ]
        },
        "decisions": [{"type": "ignore"}],
        "expect": {
            "approvals": ["large_retail_refund"],
            "end_state": {"orders": {"#W2631563": {"status": "cancelled"}}},
        },
    },
]


def test_chat_scripts_run_on_the_chat_graph_with_scripted_reviewers(
    database_url: str, tmp_path: Path
) -> None:
    dataset = tmp_path / "chat_cases.jsonl"
    write_dataset(dataset, CASES)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["eval", "run", str(dataset), "--out", str(out), "--database-url", database_url]
    )
    assert result.exit_code == 0, result.output
    cases = {c["case_id"]: c for c in json.loads((out / "report.json").read_text())["cases"]}
    assert cases["status"]["passed"], cases["status"]
    assert cases["cancel-approved"]["passed"], cases["cancel-approved"]
    # each case had its own store: the approved cancellation did not reach the rejected one
    rejected = cases["cancel-rejected"]
    assert rejected["checks"] == {"approvals": True, "end_state": False}
    assert rejected["observed"]["approvals"][0]["decision"] == "ignore"
