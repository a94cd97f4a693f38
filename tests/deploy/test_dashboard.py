"""deploy/: the Grafana dashboard asks only for metrics `/metrics` exposes after a run, and the
compose file, scrape config and Grafana provisioning agree with each other.

No container engine runs here, so the files are checked as data: parsed, cross-referenced,
and the dashboard's PromQL compared with a real scrape of the app after signed webhooks ran.
"""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

from runtime.resources import Resources
from runtime.settings import Settings
from service.demo_webhooks import DemoSenders
from tests.support import drain_queue

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
DASHBOARD = DEPLOY / "grafana" / "dashboards" / "opsgraph.json"
SENDERS = DemoSenders.create()
TOKEN = "dashboard-test-token"

PROMQL_WORDS = frozenset(
    {
        "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset",
        "and", "or", "unless", "sum", "min", "max", "avg", "count", "topk", "bottomk",
        "quantile", "stddev", "stdvar", "count_values", "group", "inf", "nan",
    }
)  # fmt: skip
SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum")}


def metric_names(expr: str) -> set[str]:
    """The series names a PromQL expression selects: what is left once strings, label
    matchers, ranges, grouping clauses, function calls, keywords and numbers are removed."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', "", expr)
    text = re.sub(r"\{[^}]*\}", "", text)
    text = re.sub(r"\[[^\]]*\]", "", text)
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", text)
    names = set()
    for match in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", text):
        name = match.group(0)
        follows = text[match.end() :].lstrip()
        if follows.startswith("(") or name.lower() in PROMQL_WORDS:
            continue
        names.add(name)
    return names


def dashboard_exprs(dashboard: dict[str, Any]) -> list[str]:
    return [
        target["expr"]
        for panel in dashboard["panels"]
        for target in panel.get("targets", [])
        if target.get("expr")
    ]


def exposed_names(text: str) -> set[str]:
    """Every series name the exposition offers: its samples', and each declared family's
    (a counter nobody has bumped yet still exists: its TYPE is declared)."""
    names: set[str] = set()
    for family in text_string_to_metric_families(text):
        names.update(sample.name for sample in family.samples)
        names.update(family.name + suffix for suffix in SUFFIXES.get(family.type, ("",)))
    return names


@pytest.fixture(scope="module")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    base = Settings(
        database_url=database_url,
        data_dir=tmp_path_factory.mktemp("dashboard"),
        pool_max_size=6,
        job_max_attempts=1,
        metrics_token=SecretStr(TOKEN),
    )
    return SENDERS.trusted_by(base)


def test_the_expression_parser_finds_names_and_only_names() -> None:
    expr = (
        'histogram_quantile(0.95, sum by (le, source) (rate(a_bucket{x="y z"}[5m]))) '
        "/ max without (instance) (b_total) + 60 * c"
    )
    assert metric_names(expr) == {"a_bucket", "b_total", "c"}


async def test_the_dashboard_references_only_metrics_that_exist(
    app: FastAPI, client: httpx.AsyncClient, resources: Resources
) -> None:
    for path, body, headers in SENDERS.deliveries():
        assert (await client.post(path, content=body, headers=headers)).status_code in {200, 202}
    await drain_queue(resources)
    await asyncio.sleep(app.state.metrics.tally.settle_s + 0.2)  # finished runs count
    answer = await client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 200
    exposed = exposed_names(answer.text)
    dashboard = json.loads(DASHBOARD.read_text())
    exprs = dashboard_exprs(dashboard)
    assert len(exprs) >= 20
    referenced = set().union(*(metric_names(expr) for expr in exprs))
    assert all(name.startswith("opsgraph_") for name in referenced), referenced
    assert referenced <= exposed, sorted(referenced - exposed)
    for sampled in ("opsgraph_webhooks_received_total", "opsgraph_event_run_seconds_bucket"):
        assert sampled in {s.name for f in text_string_to_metric_families(answer.text)
                           for s in f.samples}  # fmt: skip


def test_panels_use_the_provisioned_datasource_and_do_not_overlap() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    provisioned = yaml.safe_load(
        (DEPLOY / "grafana/provisioning/datasources/prometheus.yaml").read_text()
    )
    uid = provisioned["datasources"][0]["uid"]
    cells: set[tuple[int, int]] = set()
    for panel in dashboard["panels"]:
        if panel["type"] != "row":
            assert panel["datasource"]["uid"] == uid
            assert all(target["datasource"]["uid"] == uid for target in panel["targets"])
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24
        area = {
            (x, y)
            for x in range(grid["x"], grid["x"] + grid["w"])
            for y in range(grid["y"], grid["y"] + grid["h"])
        }
        assert not area & cells, panel["title"]
        cells |= area
    assert len({panel["id"] for panel in dashboard["panels"]}) == len(dashboard["panels"])


def test_compose_runs_prometheus_and_grafana_beside_the_service() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert {"db", "api", "worker", "prometheus", "grafana"} <= services.keys()
    for name in ("prometheus", "grafana"):
        for volume in services[name]["volumes"]:
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (DEPLOY / source).exists(), f"{name} mounts a missing {source}"
    assert "OPSGRAPH_METRICS_TOKEN" in services["api"]["environment"]
    secret = services["prometheus"]["secrets"][0]
    assert compose["secrets"][secret]["environment"] == "OPSGRAPH_METRICS_TOKEN"

    scrape = yaml.safe_load((DEPLOY / "prometheus.yml").read_text())
    job = scrape["scrape_configs"][0]
    assert job["metrics_path"] == "/metrics"
    assert job["authorization"]["credentials_file"] == f"/run/secrets/{secret}"
    target = job["static_configs"][0]["targets"][0]
    host, port = target.split(":")
    assert host == "api" and port in services["api"]["ports"][0].split(":")

    dashboards = yaml.safe_load(
        (DEPLOY / "grafana/provisioning/dashboards/opsgraph.yaml").read_text()
    )
    mounted = dict(reversed(volume.split(":")[:2]) for volume in services["grafana"]["volumes"])
    assert mounted[dashboards["providers"][0]["options"]["path"]] == "./grafana/dashboards"
    datasources = yaml.safe_load(
        (DEPLOY / "grafana/provisioning/datasources/prometheus.yaml").read_text()
    )
    assert datasources["datasources"][0]["url"] == "http://prometheus:9090"
    assert "9090:9090" in services["prometheus"]["ports"]
