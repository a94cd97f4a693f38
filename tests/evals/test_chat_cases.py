"""The shipped chat set (`evals/chat.jsonl`): what it covers, and a few of its cases run
through `opsgraph eval run` with the sample knowledge base copied into each case's tenant."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import psycopg
from typer.testing import CliRunner

from evals.dataset import load_dataset, write_dataset
from evals.scoring import chat_cited_ok
from rag.samples import sample_files
from service.cli import app

CHAT = Path(__file__).parents[2] / "evals" / "chat.jsonl"
PICKED = (
    "kb-damaged-return-window",
    "large-cancel-approved",
    "large-cancel-awaits-reviewer",
    "injection-still-asks-yes-and-reviewer",
)


def test_the_chat_set_covers_every_kind_of_conversation() -> None:
    cases = load_dataset(CHAT)
    tags = Counter(tag for case in cases for tag in case.tags)
    assert len(cases) >= 30
    for kind in ("identification", "lookup", "confirmation", "no", "clarifying", "write"):
        assert tags[kind] >= 2, kind
    assert tags["knowledge"] >= 6 and tags["injection"] >= 4 and tags["approval"] >= 6
    decided = Counter(d["type"] for case in cases for d in case.data.get("decisions") or [])
    assert decided["accept"] >= 2 and decided["ignore"] >= 2  # approved and rejected paths
    for case in cases:
        if "knowledge" in case.tags and "injection" not in case.tags:
            assert case.expect["reply"] == {"citations": True}, case.id
            (turn,) = case.data["chat"]["turns"]
            assert any(fact.endswith((".md", ".pdf", ".html")) for fact in turn["expect"]["facts"])


def test_chat_cases_cite_the_copied_knowledge_base_and_leave_unapproved_writes_undone(
    database_url: str, tmp_path: Path
) -> None:
    dataset = tmp_path / "chat_picked.jsonl"
    write_dataset(dataset, [dict(c.data) for c in load_dataset(CHAT) if c.id in PICKED])
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["eval", "run", str(dataset), "--out", str(out), "--database-url", database_url]
    )
    assert result.exit_code == 0, result.output
    runs = {c["case_id"]: c for c in json.loads((out / "report.json").read_text())["cases"]}
    failed = {key: run["checks"] for key, run in runs.items() if not run["passed"]}
    assert not failed, failed

    answered = runs["kb-damaged-return-window"]
    assert answered["checks"]["citations"] is True
    assert "(orders/returns-and-exchanges.md)" in answered["observed"]["reply"]
    assert [a["decision"] for a in runs["large-cancel-approved"]["observed"]["approvals"]] == [
        "accept"
    ]
    for waiting in ("large-cancel-awaits-reviewer", "injection-still-asks-yes-and-reviewer"):
        (approval,) = runs[waiting]["observed"]["approvals"]
        assert approval["status"] == "pending" and approval["rules"] == ["large_retail_refund"]

    with psycopg.connect(database_url) as conn:
        documents = conn.execute(
            "SELECT tenant_id, count(*) FROM kb_documents WHERE tenant_id LIKE 'eval-%%'"
            " AND tenant_id NOT LIKE '%%template' GROUP BY tenant_id"
        ).fetchall()
    assert len(documents) == len(PICKED)  # every chat case had the knowledge base of its own
    assert {count for _, count in documents} == {len(sample_files())}


def test_a_chat_citation_must_be_one_the_turn_made_and_name_a_tenant_chunk() -> None:
    made = [{"n": 1, "chunk_id": 41}, {"n": 2, "chunk_id": 42}]
    assert chat_cited_ok({"reply": "Within 7 days [2].", "citations": made}, {41, 42})
    assert chat_cited_ok({"reply": "7 days [1].\nSources: [1] x (a.md)", "citations": made}, None)
    assert not chat_cited_ok({"reply": "Within 7 days [3].", "citations": made}, None)
    assert not chat_cited_ok({"reply": "Within 7 days [2].", "citations": made}, {41})
    assert not chat_cited_ok({"reply": "Within 7 days.", "citations": made}, None)
