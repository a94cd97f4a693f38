"""docs/architecture.md's event table says what the event registry does: one row per route
key, with its domains and their stages of specialists (or `ignored`)."""

from __future__ import annotations

import re
from pathlib import Path

from graph.routing import REGISTRY

DOC = Path(__file__).parents[2] / "docs" / "architecture.md"
HEADER = "| route key |"
ROW = re.compile(r"^\| `(?P<key>[^`]+)` \| (?P<routes>[^|]+) \|")


def documented_rows() -> dict[str, str]:
    lines = DOC.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(HEADER))
    rows: dict[str, str] = {}
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        match = ROW.match(line)
        assert match, f"unreadable row in the event table: {line!r}"
        assert match["key"] not in rows, f"{match['key']} has two rows"
        rows[match["key"]] = match["routes"].strip()
    return rows


def registry_cell(key: str) -> str:
    if key in REGISTRY.ignored:
        return "ignored"
    titles = {domain.name: domain.title for domain in REGISTRY.domains}
    return "; ".join(
        f"{titles[route.domain]}: " + " → ".join(" + ".join(stage) for stage in route.stages)
        for route in REGISTRY.routes_for(key)
    )


def test_the_event_table_has_a_row_for_every_route_key_and_no_other() -> None:
    assert set(documented_rows()) == set(REGISTRY.routes) | set(REGISTRY.ignored)


def test_each_row_names_the_registrys_domains_and_stages() -> None:
    wrong = {
        key: (cell, registry_cell(key))
        for key, cell in documented_rows().items()
        if cell != registry_cell(key)
    }
    assert not wrong, f"doc cell vs registry: {wrong}"
