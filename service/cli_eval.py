"""`opsgraph eval run | compare`: the offline eval harness, wired to the real service parts."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import SecretStr

from api.webhooks.config import WebhookConfig
from api.webhooks.intake import ingest
from api.webhooks.normalize import (
    normalize_saleor,
    normalize_shopify,
    normalize_standard,
    normalize_stripe,
)
from api.webhooks.saleor import verify_saleor
from api.webhooks.shopify import verify_shopify
from api.webhooks.signing import saleor_hmac, shopify_headers, standard_headers, stripe_headers
from api.webhooks.standard import verify_standard
from api.webhooks.stripe import verify_stripe
from evals.chat import GraphChatDriver
from evals.compare import compare_reports, load_report, metric_deltas
from evals.dataset import DatasetError, load_datasets
from evals.engine import RunOptions, run_cases
from evals.gate import check_gate, read_gate
from evals.harness import Harness, IntakeAnswer
from evals.metrics import report_metrics
from evals.report import build_report, write_reports
from graph.models import build_planner
from graph.tools.registry import build_tool_registry
from hitl.policy import load_policy
from runtime.logging import configure_logging
from runtime.resources import Resources, open_resources
from runtime.settings import Settings
from service.cli_eval_capture import register_capture
from service.runner import EventRunner, compile_master_graph

eval_app = typer.Typer(help="Offline evals: datasets, metrics, reports, a release gate.")

STANDARD_SOURCE = "crm"


@dataclass(frozen=True)
class SignedIntake:
    """Signs each webhook case with this run's own secrets, then verifies, normalizes and
    stores it exactly as the webhook endpoints do, into the case's tenant."""

    resources: Resources
    config: WebhookConfig
    secret: str

    async def deliver(self, *, tenant_id: str, webhook: Mapping[str, Any]) -> IntakeAnswer:
        raw = json.dumps(webhook["body"]).encode()
        source, name = str(webhook["source"]), str(webhook.get("event_name") or "")
        config = replace(self.config, tenant_id=tenant_id)
        if source == "saleor":
            headers = {"Saleor-Event": name, "Saleor-Signature": saleor_hmac(raw, self.secret)}
            await verify_saleor(raw, headers, jwks=None, hmac_secret=self.secret)
            normalize: Callable[[Any], Any] = lambda body: normalize_saleor(name, raw, body)  # noqa: E731
        elif source == "shopify":
            headers = shopify_headers(raw, self.secret, topic=name, webhook_id=uuid.uuid4().hex)
            verify_shopify(raw, headers, secrets=[self.secret])
            normalize = lambda body: normalize_shopify(name, raw, body)  # noqa: E731
        elif source == "stripe":
            headers = stripe_headers(raw, self.secret)
            verify_stripe(raw, headers, secrets=[self.secret])
            normalize = normalize_stripe
        else:
            origin = str(webhook.get("standard_source") or STANDARD_SOURCE)
            msg_id = str(webhook.get("webhook_id") or f"msg_{uuid.uuid4().hex}")
            headers = standard_headers(raw, self.secret, msg_id=msg_id)
            verify_standard(raw, headers, secret=self.secret)
            stamp = headers["webhook-timestamp"]
            normalize = lambda body: normalize_standard(origin, msg_id, stamp, body)  # noqa: E731
            source = origin
        answer = await ingest(
            self.resources, config, source=source, raw=raw, headers=headers, normalize=normalize
        )
        data = json.loads(bytes(answer.body))
        event_id = data.get("event_id")
        return IntakeAnswer(
            http_status=answer.status_code,
            event_id=uuid.UUID(event_id) if event_id else None,
            duplicate=bool(data.get("duplicate")),
        )


def eval_settings(settings: Settings, database_url: str | None, data_dir: Path | None) -> Settings:
    """Evals get a database of their own: the given URL, or an embedded server under
    DATA_DIR/eval (cases add tenants; they never touch the service's data)."""
    return settings.model_copy(
        update={
            "database_url": SecretStr(database_url) if database_url else None,
            "data_dir": data_dir or settings.data_dir / "eval",
        }
    )


async def run_eval(
    settings: Settings,
    datasets: list[Path],
    options: RunOptions,
    out: Path,
    *,
    progress: Callable[[Any], None] | None = None,
) -> dict[str, Any]:
    """Load, run, score and write the reports; returns the report."""
    cases = load_datasets(datasets)
    tools = build_tool_registry()
    secret = "whsec_" + base64.b64encode(os.urandom(24)).decode()
    async with open_resources(settings) as resources:
        runner = EventRunner(resources, compile_master_graph(resources), tools=tools)
        config = WebhookConfig(
            saleor_jwks=None,
            saleor_hmac_secret=secret,
            shopify_secrets=[secret],
            stripe_secrets=[secret],
            stripe_tolerance_s=settings.stripe_tolerance_s,
            max_body_bytes=settings.max_body_bytes,
            max_age_s=settings.webhook_max_age_s,
        )
        harness = Harness(
            resources=resources,
            events=runner,
            tools=tools,
            model=settings.model,
            embedder=settings.embedder,
            webhooks=SignedIntake(resources, config, secret),
            chat=GraphChatDriver(
                resources,
                planner=build_planner(
                    settings.model,
                    timeout_s=settings.model_timeout_s,
                    max_retries=settings.model_max_retries,
                ),
                policy=load_policy(settings.policy_file),
            ),
        )
        started = time.perf_counter()
        results = await run_cases(harness, cases, options, progress=progress)
        duration = time.perf_counter() - started
    meta = {
        "run_id": uuid.uuid4().hex[:8],
        "model": settings.model,
        "repeat": options.repeat,
        "concurrency": options.concurrency,
        "datasets": [str(p) for p in datasets],
        "cases": len(cases),
        "runs": len(results),
        "duration_s": duration,
        "runs_per_s": len(results) / duration if duration else 0.0,
        "isolation": "tenant per case",
    }
    report = build_report(meta, report_metrics(results), results)
    write_reports(out, report)
    return report


def register(app: typer.Typer, settings_loader: Callable[..., Settings]) -> None:
    """Attach `opsgraph eval`; `settings_loader(model=...)` gives the CLI's settings."""
    app.add_typer(eval_app, name="eval")
    register_capture(eval_app, settings_loader)

    @eval_app.command("run")
    def run(
        datasets: Annotated[list[Path], typer.Argument(help="JSONL datasets (evals/*.jsonl).")],
        model: Annotated[
            str | None, typer.Option(help="offline (default) or openai:<model>.")
        ] = None,
        repeat: Annotated[int, typer.Option(min=1, help="Runs per case (pass^k).")] = 1,
        concurrency: Annotated[int, typer.Option(min=1, help="Cases at once.")] = 1,
        out: Annotated[Path, typer.Option(help="Report directory.")] = Path("eval-report"),
        gate: Annotated[
            Path | None, typer.Option(help="Thresholds (TOML); exit 1 below them.")
        ] = None,
        database_url: Annotated[
            str | None, typer.Option(help="PostgreSQL for the run (default: embedded).")
        ] = None,
        data_dir: Annotated[
            Path | None, typer.Option(help="Embedded server's directory (DATA_DIR/eval).")
        ] = None,
    ) -> None:
        """Run datasets through the real graph, tools, ledger and gate; write the reports."""
        settings = eval_settings(settings_loader(model=model), database_url, data_dir)
        configure_logging("WARNING")  # the progress bar and the summary say what happened
        thresholds = read_gate(gate) if gate else None
        try:
            total = len(load_datasets(datasets)) * repeat
        except (DatasetError, OSError) as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from exc
        with typer.progressbar(length=total, label="cases") as bar:
            report = asyncio.run(
                run_eval(
                    settings,
                    datasets,
                    RunOptions(repeat=repeat, concurrency=concurrency),
                    out,
                    progress=lambda _result: bar.update(1),
                )
            )
        overall = report["metrics"]["overall"]
        routing = overall["routing_accuracy"]
        typer.echo(
            f"{report['meta']['runs']} runs, pass rate {overall['pass_rate']:.3f}, routing "
            f"{'-' if routing is None else f'{routing:.3f}'}; reports in {out}/"
        )
        if thresholds is not None:
            failures = check_gate(thresholds, report["metrics"])
            for line in failures:
                typer.echo(f"gate: {line}", err=True)
            if failures:
                raise typer.Exit(1)
            typer.echo("gate: passed")

    @eval_app.command("compare")
    def compare(
        before: Annotated[Path, typer.Argument(help="Earlier report (directory or JSON).")],
        after: Annotated[Path, typer.Argument(help="Later report.")],
    ) -> None:
        """Name every case that regressed or improved between two runs."""
        earlier, later = load_report(before), load_report(after)
        result = compare_reports(earlier, later)
        for scope, name, old, new in metric_deltas(earlier, later):
            typer.echo(f"metric {scope}.{name}: {old:.4f} -> {new:.4f}")
        for key in result.regressed:
            typer.echo(f"regressed {key}: {', '.join(result.changed_checks.get(key, []))}")
        for key in result.improved:
            typer.echo(f"improved {key}: {', '.join(result.changed_checks.get(key, []))}")
        for key in result.only_before:
            typer.echo(f"removed {key}")
        for key in result.only_after:
            typer.echo(f"added {key}")
        typer.echo(f"{len(result.regressed)} regressed, {len(result.improved)} improved")
