"""The HTML report opens in headless Chromium and its charts render."""

from __future__ import annotations

from pathlib import Path

from evals.dataset import Case
from evals.metrics import report_metrics
from evals.observe import Observation
from evals.report import build_report, write_reports
from evals.scoring import score
from tests.e2e.browser import headless_chromium

CHARTS = ("chart-metrics", "chart-confusion", "chart-latency")


def sample_report(out: Path) -> Path:
    results = []
    for n, (want, got) in enumerate(
        [(["crm"], ["crm"]), (["billing"], ["billing", "crm"]), (["cms"], [])]
    ):
        case = Case(
            dataset="events" if n else "retail",
            data={"id": f"c{n}", "kind": "event", "expect": {"domains": want}},
        )
        results.append(score(case, 0, Observation(domains=got, latency_s=0.1 * (n + 1))))
    meta = {
        "run_id": "test",
        "model": "offline",
        "repeat": 1,
        "concurrency": 1,
        "datasets": ["x"],
        "cases": 3,
        "runs": 3,
        "duration_s": 1.0,
        "runs_per_s": 3.0,
    }
    write_reports(out, build_report(meta, report_metrics(results), results))
    return out / "report.html"


async def test_the_html_report_renders_its_charts(tmp_path: Path) -> None:
    page_file = sample_report(tmp_path / "report")
    html = page_file.read_text()
    assert "<script" not in html and "src=" not in html and 'href="http' not in html
    async with headless_chromium(tmp_path / "profile") as browser:
        page = await browser.new_page()
        await page.goto(page_file.as_uri())
        for chart in CHARTS:
            box = await page.locator(f"#{chart} svg").bounding_box()
            assert box is not None and box["width"] > 100 and box["height"] > 100, chart
        assert await page.locator("#chart-confusion svg text").count() > 5
        await page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
    assert (tmp_path / "report.png").stat().st_size > 10_000
