"""A chat case through `opsgraph eval run --model openai:... --repeat 3` against the loopback
OpenAI-compatible test server: the model routes, searches the knowledge base copied into the
case's tenant and answers with a citation; every request is counted per case, with tokens,
and pass^k is reported up to k = 3. (Event cases: tests/evals/test_eval_model.py.)"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from evals.dataset import write_dataset
from service.cli import app
from tests.fakes.openai_server import ChatRequest, Reply, ToolCall, serve_fake_openai
from tests.fakes.openai_server import use_fake_openai as point_at

QUESTION = "what is our return window for damaged items?"
CASE = {
    "id": "model-kb-damaged",
    "kind": "chat",
    "chat": {
        "turns": [
            {
                "user": QUESTION,
                "expect": {"intent": "policy_question", "facts": ["7 days"], "citations": True},
            }
        ]
    },
    "expect": {
        "intent": "policy_question",
        "tool_calls": [{"name": "search_knowledge_base", "args": {}}],
        "tool_args": {"search_knowledge_base": "ignore"},
        "approvals": [],
    },
}
CALLS_PER_RUN = 3  # route, plan (the search), answer


def answering(request: ChatRequest) -> Reply:
    """Stateless, so every repeat gets the same answers: route, search, cite the passage."""
    if "RouteChoice" in request.tool_names:
        args = {"intent": "policy_question", "specialist": "customer_service", "confidence": 0.9}
        return [ToolCall("RouteChoice", {**args, "clarifying_question": ""})]
    if not request.tool_results:
        return [ToolCall("search_knowledge_base", {"query": "damaged items return window"})]
    found = json.loads(request.tool_results[-1]["content"])
    (n,) = [h["n"] for h in found["results"] if h["heading_path"].endswith("defective items")]
    return f"Send a photo of a damaged item within 7 days of delivery [{n}]."


def test_a_model_chat_run_counts_calls_and_tokens_per_case_and_reports_pass_hat_k(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dataset = tmp_path / "model_chat.jsonl"
    write_dataset(dataset, [CASE])
    out = tmp_path / "out"
    with serve_fake_openai(answering) as fake:
        point_at(monkeypatch, fake)
        result = CliRunner().invoke(
            app,
            [
                "eval", "run", str(dataset), "--model", "openai:fake-model", "--repeat", "3",
                "--out", str(out), "--database-url", database_url,
            ],
        )  # fmt: skip
        requests = len(fake.exchanges)
    assert result.exit_code == 0, result.output
    report = json.loads((out / "report.json").read_text())
    runs = report["cases"]
    assert [run["repeat"] for run in runs] == [0, 1, 2]
    assert all(run["passed"] for run in runs), [run["checks"] for run in runs]
    assert [run["observed"]["model_calls"] for run in runs] == [CALLS_PER_RUN] * 3
    assert requests == CALLS_PER_RUN * 3  # each request the server answered counted once
    assert all(run["observed"]["tokens"] > 0 for run in runs)
    overall = report["metrics"]["overall"]
    assert overall["pass_hat_k"] == {"1": 1.0, "2": 1.0, "3": 1.0}
    assert overall["model_calls_per_case"] == CALLS_PER_RUN
    assert "| model_calls_per_case | 3.000 |" in (out / "report.md").read_text()
