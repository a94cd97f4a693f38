"""Queueing a resume is written once (issue 9, structure): every decision surface, the
deadlines and the runner go through `hitl/resume.py`."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("api", "connectors", "graph", "hitl", "rag", "runtime", "service")
QUEUEING = {"defer_resume_run", "queue_thread_resume"}
"""The queue calls behind a resume: only `hitl/resume.py` may make them."""


def called_names(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call):
            func = node.func
            names.add(func.id if isinstance(func, ast.Name) else getattr(func, "attr", ""))
        if isinstance(node, ast.ImportFrom) and node.module == "runtime.thread_resume":
            names.update(
                "queue_thread_resume" for alias in node.names if alias.name == "queue_resume"
            )
    return names


def test_only_hitl_resume_queues_a_resume() -> None:
    callers = {
        str(path.relative_to(ROOT))
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if called_names(path) & QUEUEING
    }

    assert callers == {"hitl/resume.py"}
