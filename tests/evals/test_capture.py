"""`opsgraph eval capture`: a recorded high-value order (signed Shopify webhook, approved by a
reviewer) becomes a redacted case that passes when re-run; redaction on hand-built values."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from typer.testing import CliRunner

from evals.capture import parse_since
from evals.dataset import load_dataset, write_dataset
from evals.redact import redact, redact_text
from service.cli import app

EMAIL = "mei.kovacs8020@example.com"
PHONE = "+1 (415) 555-0142"
CARD = "4242 4242 4242 4242"
HIGH_VALUE = {
    "id": "shopify-high-value-accepted",
    "kind": "event",
    "deliveries": [
        {
            "webhook": {
                "source": "shopify",
                "event_name": "orders/create",
                "body": {
                    "id": "EVCAP1",
                    "name": "#EVCAP1",
                    "email": EMAIL,
                    "phone": PHONE,
                    "currency": "USD",
                    "total_price": "1537.54",
                    "note": f"gift for Mei, card {CARD}, call {PHONE}",
                    "customer": {"first_name": "Mei", "last_name": "Kovacs", "email": EMAIL},
                    "shipping_address": {
                        "first_name": "Mei",
                        "last_name": "Kovacs",
                        "address1": "439 Cedar Avenue",
                        "city": "Columbus",
                        "zip": "43119",
                        "phone": PHONE,
                    },
                    "line_items": [
                        {
                            "sku": "1421289881",
                            "title": "Mechanical Keyboard",
                            "price": "268.77",
                            "quantity": 1,
                        },
                        {
                            "sku": "4238115171",
                            "title": "Tea Kettle",
                            "price": "1268.77",
                            "quantity": 1,
                        },
                    ],
                    "payment_gateway_names": ["credit_card"],
                },
            }
        }
    ],
    "decisions": [{"tool": "create_fulfillment", "type": "accept"}],
    "expect": {"status": "done", "approvals": ["high_value_order"]},
}
PERSONAL = (EMAIL, "Mei", "Kovacs", "439 Cedar", "555-0142", "4242")


def run_cases(dataset: Path, out: Path, database_url: str) -> dict[str, dict[str, object]]:
    result = CliRunner().invoke(
        app, ["eval", "run", str(dataset), "--out", str(out), "--database-url", database_url]
    )
    assert result.exit_code == 0, result.output
    report = json.loads((out / "report.json").read_text())
    return {case["case_id"]: case for case in report["cases"]}


def test_a_captured_high_value_order_is_redacted_and_passes_when_re_run(
    database_url: str, tmp_path: Path
) -> None:
    started = datetime.now(UTC) - timedelta(seconds=5)
    recorded = tmp_path / "recorded.jsonl"
    write_dataset(recorded, [HIGH_VALUE])
    first = run_cases(recorded, tmp_path / "first", database_url)
    assert first["shopify-high-value-accepted"]["passed"], first
    with psycopg.connect(database_url) as conn:
        (tenant,) = conn.execute(
            "SELECT tenant_id FROM events WHERE source = 'shopify' AND status = 'done'"
            " AND entity = 'order:EVCAP1'"
        ).fetchone() or (None,)
    assert tenant is not None

    captured = tmp_path / "captured.jsonl"
    result = CliRunner().invoke(
        app,
        [
            "eval", "capture", "--since", started.isoformat(), "--status", "done",
            "--tenant", tenant, "--out", str(captured), "--database-url", database_url,
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    text = captured.read_text()
    for personal in PERSONAL:
        assert personal not in text, personal
    (case,) = load_dataset(captured)
    assert case.data["decisions"] == [{"tool": "create_fulfillment", "type": "accept"}]
    assert case.expect["approvals"] == ["high_value_order"]
    assert case.expect["status"] == "done"
    assert "create_fulfillment" in [call["name"] for call in case.expect["tool_calls"]]
    body = case.data["deliveries"][0]["webhook"]["body"]
    assert body["total_price"] == "1537.54" and body["id"] == "EVCAP1"

    again = run_cases(captured, tmp_path / "again", database_url)
    assert again[case.id]["passed"], again[case.id]

    failed_only = tmp_path / "failed.jsonl"
    result = CliRunner().invoke(
        app,
        [
            "eval", "capture", "--since", "1h", "--status", "failed", "--tenant", tenant,
            "--out", str(failed_only), "--database-url", database_url,
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "nothing written" in result.output and not failed_only.exists()


def test_capture_refuses_a_status_that_is_not_finished() -> None:
    refused = CliRunner().invoke(app, ["eval", "capture", "--since", "1h", "--status", "queued"])
    assert refused.exit_code == 2
    assert "done or failed" in refused.output


def test_redaction_keeps_store_ids_and_amounts_and_pseudonyms_are_stable() -> None:
    payload: dict[str, Any] = {
        "email": "Ana.Lee@Example.com",
        "customer": {"id": "olivia_ito_3591", "name": "Olivia Ito", "phone": "555-1234"},
        "lines": [{"name": "Gaming Mouse", "sku": "3330317167", "price": "137.32"}],
        "billing_address": {"address1": "570 Elm Avenue", "zip": "80218"},
        "note": "write to ana.lee@example.com, card 4111-1111-1111-1111, on 2026-12-01 10:00",
        "order_id": "#W5442520",
    }
    clean = redact(payload)
    assert clean["email"] == clean["note"].split()[2].rstrip(",")  # same person, same alias
    assert clean["customer"]["id"] == "olivia_ito_3591"
    assert clean["customer"]["name"] != "Olivia Ito" and clean["customer"]["phone"] == "[phone]"
    assert clean["lines"][0] == payload["lines"][0]  # a product's name is not a person's
    assert "570 Elm" not in clean["billing_address"]["address1"]
    assert "[card]" in clean["note"] and "2026-12-01 10:00" in clean["note"]
    assert clean["order_id"] == "#W5442520"
    assert "Olivia" not in json.dumps(redact({**payload, "note": "for Olivia Ito"}))
    assert redact_text("card 4111 1111 1111 1112") == "card 4111 1111 1111 1112"  # not Luhn
    assert redact_text("+44 20 7946 0958") == "[phone]"


def test_since_takes_durations_and_iso_times() -> None:
    now = datetime(2026, 12, 1, 12, tzinfo=UTC)
    assert parse_since("24h", now=now) == datetime(2026, 11, 30, 12, tzinfo=UTC)
    assert parse_since("7d", now=now) == datetime(2026, 11, 24, 12, tzinfo=UTC)
    assert parse_since("2026-11-30") == datetime(2026, 11, 30, tzinfo=UTC)
