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
    columns = [
        lines[header].index(name) for name in ("event", "domain", "specialist", "tools", "status")
    ]
    end = lines.index("", header)
    rows = lines[header + 2 : end]
    events = [row for row in rows if row[: columns[0]].strip()]
    assert len(events) == 6
    statuses = [row[columns[4] :].strip() for row in events]
    assert statuses == ["done"] * 5 + ["awaiting_approval"], rows
    done_rows = rows[: rows.index(events[5])]
    domains = {row[columns[1] : columns[2]].strip() for row in done_rows}
    assert domains == set(DOMAINS)
    senders = {row.split()[0].split("/")[0] for row in events}
    assert senders == {"saleor", "shopify", "crm"}
    tools = " ".join(row[columns[3] : columns[4]] for row in rows)
    for effect in ("reserve_stock", "create_fulfillment", "issue_invoice", "push_channel_updates"):
        assert effect in tools
    assert "store: 500 users, 1000 orders, 50 products" in result.stdout
    assert "fraud_review: fraud risk" in result.stdout
    assert "invoicing: invoice INV-" in result.stdout
    assert "1 event waits for a reviewer" in result.stdout
    assert "/inbox" in result.stdout
