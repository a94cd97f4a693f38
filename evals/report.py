"""Writing a run's reports: report.json (everything), report.md and report.html."""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from evals.charts import confusion_svg, latency_svg, metric_bars_svg
from evals.scoring import CaseResult

RATE_METRICS = (
    "pass_rate",
    "routing_accuracy",
    "specialist_accuracy",
    "status_accuracy",
    "trajectory_match",
    "tool_args_accuracy",
    "approval_precision",
    "approval_recall",
    "end_state_match",
    "reply_facts",
    "citation_validity",
)


def build_report(
    meta: dict[str, Any], metrics: dict[str, Any], results: Sequence[CaseResult]
) -> dict[str, Any]:
    return {"meta": meta, "metrics": metrics, "cases": [r.to_json() for r in results]}


def fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def markdown(report: dict[str, Any]) -> str:
    meta, metrics = report["meta"], report["metrics"]
    names = ["overall", *metrics["datasets"]]
    tables = {"overall": metrics["overall"], **metrics["datasets"]}
    rows = [
        *RATE_METRICS,
        "model_calls_per_case",
        "tokens_per_case",
        "latency_p50_s",
        "latency_p95_s",
    ]
    lines = [
        f"# Eval report {meta['run_id']}",
        "",
        f"Model `{meta['model']}`, repeat {meta['repeat']}, concurrency {meta['concurrency']}, "
        f"{meta['cases']} cases, {meta['runs']} runs in {meta['duration_s']:.1f} s "
        f"({meta['runs_per_s']:.2f} runs/s); datasets: {', '.join(meta['datasets'])}.",
        "",
        "| metric | " + " | ".join(names) + " |",
        "|---|" + "---|" * len(names),
    ]
    lines += [
        f"| {row} | " + " | ".join(fmt(tables[n].get(row)) for n in names) + " |" for row in rows
    ]
    for k in metrics["overall"]["pass_hat_k"]:
        lines.append(
            f"| pass^{k} | " + " | ".join(fmt(tables[n]["pass_hat_k"].get(k)) for n in names) + " |"
        )
    errors = metrics["overall"]["errors"]
    lines += [
        "",
        "Errors by kind: " + (", ".join(f"{k} {v}" for k, v in errors.items()) or "none"),
        "",
    ]
    failed = [c for c in report["cases"] if not c["passed"]]
    lines += [f"## Failed runs ({len(failed)})", ""]
    for case in failed:
        bad = [name for name, ok in case["checks"].items() if not ok]
        why = case["observed"].get("error") or ", ".join(bad)
        lines.append(f"- `{case['key']}` (repeat {case['repeat']}): {why}")
    return "\n".join(lines) + "\n"


def html_page(report: dict[str, Any]) -> str:
    """One file, no scripts, no external resources: charts are inline SVG."""
    metrics = report["metrics"]
    series = {"overall": metrics["overall"], **metrics["datasets"]}
    latencies = [float(c["observed"].get("latency_s") or 0.0) for c in report["cases"]]
    charts = [
        ("chart-metrics", "Metrics by dataset", metric_bars_svg(series, RATE_METRICS)),
        (
            "chart-confusion",
            "Routing confusion (expected → routed)",
            confusion_svg(metrics["overall"]["confusion"]),
        ),
        ("chart-latency", "Latency per case run", latency_svg(latencies)),
    ]
    figures = "\n".join(
        f'<figure class="chart" id="{cid}">'
        f"<figcaption>{html.escape(title)}</figcaption>{svg}</figure>"
        for cid, title, svg in charts
    )
    body_md = html.escape(markdown(report))
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>Eval report {html.escape(report['meta']['run_id'])}</title>"
        "<style>body{font-family:sans-serif;margin:2em;max-width:1100px}"
        "figure.chart{margin:1em 0;border:1px solid #ddd;padding:.5em}"
        "figure.chart svg{width:100%;height:auto}pre{white-space:pre-wrap}</style>"
        f"</head><body><h1>Eval report</h1>{figures}<pre id='summary'>{body_md}</pre></body></html>"
    )


def write_reports(out: Path, report: dict[str, Any]) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "report.json", out / "report.md", out / "report.html"]
    paths[0].write_text(json.dumps(report, indent=1, default=str, sort_keys=True), "utf-8")
    paths[1].write_text(markdown(report), "utf-8")
    paths[2].write_text(html_page(report), "utf-8")
    return paths
