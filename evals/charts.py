"""The report's charts, drawn with matplotlib (Agg) and inlined as SVG text."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any


def figure_svg(fig: Any) -> str:
    import matplotlib.pyplot as plt

    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight")
    plt.close(fig)
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams["svg.fonttype"] = "none"  # labels stay text: smaller, searchable
    import matplotlib.pyplot as plt

    return plt


def metric_bars_svg(series: Mapping[str, Mapping[str, Any]], names: Sequence[str]) -> str:
    """Grouped bars: one group per metric, one bar per dataset (and overall)."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(11, 4.2))
    width = 0.8 / max(1, len(series))
    for n, (label, values) in enumerate(series.items()):
        heights = [float(values.get(name) or 0.0) for name in names]
        ax.bar([i + n * width for i in range(len(names))], heights, width, label=label)
    ax.set_xticks([i + 0.4 - width / 2 for i in range(len(names))], names, rotation=30, ha="right")
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("rate")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return figure_svg(fig)


def confusion_svg(matrix: Mapping[str, Mapping[str, int]]) -> str:
    """Heat map of expected (rows) against routed (columns) domains."""
    plt = pyplot()
    labels = sorted({*matrix, *(c for row in matrix.values() for c in row)})
    grid = [[matrix.get(r, {}).get(c, 0) for c in labels] for r in labels]
    fig, ax = plt.subplots(figsize=(6, 5))
    if not labels:  # no case stated its domains
        ax.text(0.5, 0.5, "no routing expectations", ha="center", va="center")
        ax.set_axis_off()
        return figure_svg(fig)
    image = ax.imshow(grid, cmap="Blues")
    ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("routed")
    ax.set_ylabel("expected")
    for i, row in enumerate(grid):
        for j, value in enumerate(row):
            if value:
                ax.text(j, i, str(value), ha="center", va="center", fontsize=8)
    fig.colorbar(image, ax=ax)
    return figure_svg(fig)


def latency_svg(latencies: Sequence[float]) -> str:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(8, 3.2))
    ax.hist([value * 1000 for value in latencies] or [0.0], bins=30, color="#4c72b0")
    ax.set_xlabel("latency per case run (ms)")
    ax.set_ylabel("runs")
    return figure_svg(fig)
