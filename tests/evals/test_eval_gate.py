"""The offline release gate on the shipped sets, through `opsgraph eval run`, and what a
broken routing rule does to it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import service.runner
from evals.dataset import load_dataset
from graph.domain import Domain, build_registry
from graph.master import build_master_graph
from graph.routing import IGNORED, REGISTRY
from service.cli import app
from tests.e2e.browser import headless_chromium

EVALS = Path(__file__).parents[2] / "evals"
DATASETS = [
    EVALS / name for name in ("events.jsonl", "retail.jsonl", "kb_answers.jsonl", "chat.jsonl")
]
BROKEN_TYPE = "customer.updated"


def run_eval(database_url: str, out: Path, *datasets: Path, gate: bool = True) -> Any:
    args = ["eval", "run", *map(str, datasets), "--out", str(out), "--concurrency", "4"]
    args += ["--database-url", database_url]
    if gate:
        args += ["--gate", str(EVALS / "gate.toml")]
    return CliRunner().invoke(app, args)


@pytest.fixture(scope="module")
def baseline(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    out = tmp_path_factory.mktemp("baseline")
    result = run_eval(database_url, out, *DATASETS)
    assert result.exit_code == 0, result.output
    yield out


def test_the_shipped_sets_pass_the_gate_and_write_three_reports(baseline: Path) -> None:
    report = json.loads((baseline / "report.json").read_text())
    assert {p.name for p in baseline.iterdir()} >= {"report.json", "report.md", "report.html"}
    assert report["meta"]["cases"] == sum(len(load_dataset(path)) for path in DATASETS)
    events = report["metrics"]["datasets"]["events"]
    assert events["routing_accuracy"] >= 0.99
    assert report["metrics"]["datasets"]["retail"]["end_state_match"] == 1.0
    assert report["metrics"]["datasets"]["kb_answers"]["citation_validity"] == 1.0
    covered = {tag for case in report["cases"] for tag in case["tags"]}
    assert set(REGISTRY.routes) <= covered  # a case for every route key of the registry
    assert "| routing_accuracy |" in (baseline / "report.md").read_text()


async def test_the_shipped_sets_report_renders_in_chromium(baseline: Path, tmp_path: Path) -> None:
    async with headless_chromium(tmp_path / "profile") as browser:
        page = await browser.new_page()
        await page.goto((baseline / "report.html").as_uri())
        for chart in ("chart-metrics", "chart-confusion", "chart-latency"):
            box = await page.locator(f"#{chart} svg").bounding_box()
            assert box is not None and box["width"] > 100 and box["height"] > 100, chart
        labels = await page.locator("#chart-confusion svg text").all_text_contents()
        assert {"ecommerce", "billing", "crm", "cms", "integration"} <= set(labels)
        await page.screenshot(path=str(baseline / "report.png"), full_page=True)
    assert (baseline / "report.png").stat().st_size > 10_000


def broken_registry() -> Any:
    """The registry with CRM no longer handling customer.updated."""
    domains = [
        Domain(
            d.name, d.title, d.description, {k: v for k, v in d.handles.items() if k != BROKEN_TYPE}
        )
        if d.name == "crm"
        else d
        for d in REGISTRY.domains
    ]
    return build_registry(domains=domains, ignored=IGNORED, version=REGISTRY.version)


def test_a_broken_routing_rule_fails_the_gate_and_compare_names_the_cases(
    baseline: Path, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        service.runner,
        "build_master_graph",
        partial(build_master_graph, registry=broken_registry()),
    )
    events = EVALS / "events.jsonl"
    result = run_eval(database_url, tmp_path / "broken", events)
    assert result.exit_code == 1, result.output
    assert "gate: events: routing_accuracy" in result.output

    compared = CliRunner().invoke(app, ["eval", "compare", str(baseline), str(tmp_path / "broken")])
    assert compared.exit_code == 0, compared.output
    regressed = {
        line.split()[1].rstrip(":")
        for line in compared.output.splitlines()
        if line.startswith("regressed ")
    }
    affected = {  # every case with an event of the broken type (a stale one's predecessor too)
        case.key
        for case in load_dataset(events)
        if any(d.get("event", {}).get("type") == BROKEN_TYPE for d in case.data["deliveries"])
    }
    assert affected
    assert regressed == affected
    assert not [line for line in compared.output.splitlines() if line.startswith("improved ")]
