"""`opsgraph demo --exit`: the table shows a done event in each of the five domains."""

from __future__ import annotations

from pathlib import Path

from graph.routing import DOMAINS
from tests.e2e.live import opsgraph_env, run_cli


def test_demo_prints_a_done_event_in_every_domain(tmp_path: Path) -> None:
    result = run_cli("demo", "--exit", env=opsgraph_env(tmp_path / "data"), timeout=180)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("from "))
    rows = [line for line in lines[header + 2 :] if line.strip()][:5]
    assert len(rows) == 5
    assert all(row.rstrip().endswith("done") for row in rows), rows
    seen = {domain for row in rows for domain in DOMAINS if f" {domain}" in row}
    assert seen == set(DOMAINS)
    senders = {row.split()[0].split("/")[0] for row in rows}
    assert senders == {"saleor", "shopify", "crm"}
