"""Scoring one run of one case: each expectation becomes a named check that passed or not."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from evals.dataset import Case
from evals.matching import argument_accuracy, is_subset, trajectory_match
from evals.observe import Observation

CITATION = re.compile(r"\[(\d+)\]")
SOURCE_ENTRY = re.compile(r"\[(\d+)\][^\[]*?chunk\s+(\d+)", re.IGNORECASE)


@dataclass
class CaseResult:
    """One run (repeat) of one case: its checks, and what was observed."""

    key: str
    dataset: str
    case_id: str
    repeat: int
    tags: list[str]
    checks: dict[str, bool] = field(default_factory=dict)
    expected: dict[str, Any] = field(default_factory=dict)
    observed: dict[str, Any] = field(default_factory=dict)
    approvals_tp: int = 0
    approvals_fp: int = 0
    approvals_fn: int = 0
    args_right: int = 0
    args_made: int = 0
    citations_valid: bool | None = None

    @property
    def passed(self) -> bool:
        return not self.observed.get("error") and all(self.checks.values())

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "passed": self.passed}


def cited_ok(reply: str, known_chunks: set[int] | None) -> bool:
    """Every [n] in the answer has a `Sources` entry naming a chunk (that exists, when the
    tenant's chunk ids are known), and there is at least one citation."""
    body, _, sources = reply.partition("Sources:")
    cited = {int(n) for n in CITATION.findall(body)}
    entries = {int(n): int(chunk) for n, chunk in SOURCE_ENTRY.findall(sources)}
    if not cited or not cited <= entries.keys():
        return False
    return known_chunks is None or all(entries[n] in known_chunks for n in cited)


def chat_cited_ok(turn: Mapping[str, Any], known_chunks: set[int] | None) -> bool:
    """A chat turn cites at least one [n], every [n] is one of the turn's citations (the
    chat state's `{n, chunk_id}`, whatever the reply prints), each naming a chunk of the
    tenant's knowledge base when those are known."""
    body = str(turn.get("reply") or "").partition("Sources:")[0]
    cited = {int(n) for n in CITATION.findall(body)}
    chunks = {int(c["n"]): c.get("chunk_id") for c in turn.get("citations") or []}
    if not cited or not cited <= chunks.keys():
        return False
    return known_chunks is None or all(chunks[n] in known_chunks for n in cited)


def score(
    case: Case, repeat: int, observed: Observation, known_chunks: set[int] | None = None
) -> CaseResult:
    expect = case.expect
    result = CaseResult(
        key=case.key,
        dataset=case.dataset,
        case_id=case.id,
        repeat=repeat,
        tags=case.tags,
        expected=dict(expect),
        observed={k: v for k, v in observed.__dict__.items() if k != "chunks"},
    )
    checks = result.checks
    if "status" in expect:
        checks["status"] = observed.status == expect["status"]
    if "deliveries" in expect:
        checks["deliveries"] = len(expect["deliveries"]) <= len(observed.deliveries) and all(
            is_subset(want, got)
            for want, got in zip(expect["deliveries"], observed.deliveries, strict=False)
        )
    if "domains" in expect:
        checks["routing"] = set(expect["domains"]) == set(observed.domains)
    if "specialists" in expect:
        checks["specialists"] = set(expect["specialists"]) == set(observed.specialists)
    if "intent" in expect:
        checks["intent"] = observed.intent == expect["intent"]
    modes = expect.get("tool_args") or {}
    if "tool_calls" in expect:
        wanted = expect["tool_calls"]
        mode = expect.get("trajectory", "superset")
        checks["trajectory"] = trajectory_match(mode, wanted, observed.tool_calls, modes)
        result.args_right, result.args_made = argument_accuracy(wanted, observed.tool_calls, modes)
        checks["tool_args"] = result.args_right == len(wanted)
    if "approvals" in expect:
        raised = {
            rule for a in observed.approvals if a["kind"] != "attention" for rule in a["rules"]
        }
        want = set(expect["approvals"])
        result.approvals_tp = len(raised & want)
        result.approvals_fp = len(raised - want)
        result.approvals_fn = len(want - raised)
        checks["approvals"] = raised == want
    if "attention" in expect:
        attention = any(a["kind"] == "attention" for a in observed.approvals)
        checks["attention"] = attention == expect["attention"]
    if "end_state" in expect:
        checks["end_state"] = is_subset_state(expect["end_state"], observed.end_state)
    reply = expect.get("reply") or {}
    if reply.get("facts") or reply.get("absent"):
        text = observed.reply.lower()
        checks["reply_facts"] = all(
            f.lower() in text for f in reply.get("facts") or []
        ) and not any(f.lower() in text for f in reply.get("absent") or [])
    if reply.get("citations"):
        if case.kind == "chat":
            last = observed.turns[-1] if observed.turns else {}
            result.citations_valid = chat_cited_ok(last, known_chunks)
        else:
            result.citations_valid = cited_ok(observed.reply, known_chunks)
        checks["citations"] = result.citations_valid
    score_turns(case, observed, checks, known_chunks)
    return result


def score_turns(
    case: Case, observed: Observation, checks: dict[str, bool], known_chunks: set[int] | None
) -> None:
    """Chat: each turn's own expectations (intent, facts, absent texts, citations)."""
    turns = (case.data.get("chat") or {}).get("turns") or []
    for index, turn in enumerate(turns):
        want = turn.get("expect") or {}
        if not want:
            continue
        got = (
            observed.turns[index] if index < len(observed.turns) else {"reply": "", "intent": None}
        )
        text = str(got.get("reply") or "").lower()
        if "intent" in want:
            checks["intent"] = checks.get("intent", True) and got.get("intent") == want["intent"]
        if want.get("facts") or want.get("absent"):
            ok = all(f.lower() in text for f in want.get("facts") or []) and not any(
                f.lower() in text for f in want.get("absent") or []
            )
            checks["reply_facts"] = checks.get("reply_facts", True) and ok
        if want.get("citations"):
            checks["citations"] = checks.get("citations", True) and chat_cited_ok(got, known_chunks)


def is_subset_state(expected: dict[str, Any], actual: dict[str, Any]) -> bool:
    """Documents and counts match as subsets; each expected row must match some row."""
    for part in ("orders", "users", "products"):
        for key, doc in (expected.get(part) or {}).items():
            if not is_subset(doc, (actual.get(part) or {}).get(key)):
                return False
    for table, count in (expected.get("counts") or {}).items():
        if (actual.get("counts") or {}).get(table) != count:
            return False
    for table, rows in (expected.get("rows") or {}).items():
        present = (actual.get("rows") or {}).get(table) or []
        if not all(any(is_subset(row, got) for got in present) for row in rows):
            return False
    return True
