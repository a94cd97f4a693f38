"""`opsgraph eval run --model openai:... --repeat 3` through the loopback OpenAI-compatible
test server: model calls and tokens per case, and pass^k up to k = 3."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from evals.dataset import load_dataset, write_dataset
from service.cli import app
from tests.fakes.openai_server import FollowThePlaybook, serve_fake_openai, use_fake_openai

EVENTS = Path(__file__).parents[2] / "evals" / "events.jsonl"
CASES = ("route-lead.created", "route-invoice.paid", "high-value-0-accept")


def test_a_model_run_counts_calls_and_tokens_and_reports_pass_hat_k(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    picked = [dict(c.data) for c in load_dataset(EVENTS) if c.id in CASES]
    dataset = tmp_path / "model_cases.jsonl"
    write_dataset(dataset, picked)
    with serve_fake_openai(FollowThePlaybook()) as fake:
        use_fake_openai(monkeypatch, fake)
        result = CliRunner().invoke(
            app,
            [
                "eval", "run", str(dataset), "--model", "openai:fake-model", "--repeat", "3",
                "--out", str(tmp_path / "out"), "--database-url", database_url,
            ],
        )  # fmt: skip
        requests = len(fake.exchanges)
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    overall = report["metrics"]["overall"]
    assert report["meta"]["model"] == "openai:fake-model"
    assert overall["runs"] == 9
    assert set(overall["pass_hat_k"]) == {"1", "2", "3"}
    assert overall["pass_hat_k"]["3"] == 1.0  # the playbook-following model is deterministic
    calls = sum(case["observed"]["model_calls"] for case in report["cases"])
    assert calls == requests  # every request the server answered was counted, once
    assert overall["model_calls_per_case"] > 0
    assert all(case["observed"]["tokens"] > 0 for case in report["cases"])
