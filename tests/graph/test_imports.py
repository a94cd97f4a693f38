"""No import cycles inside graph/: between modules, nor between its rooms (top-level modules
and subpackages, where `models` -> `specialists.base` and `specialists.agent` -> `models`
would be one)."""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

import graph

ROOT = Path(graph.__file__).parent
PACKAGE = "graph"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(ROOT.rglob("*.py"))}


def imported(path: Path, known: Iterable[str]) -> set[str]:
    """Every graph module `path` imports, anywhere in the file (a function-level import
    hides a cycle but does not remove it), with the packages that importing runs."""
    names = set(known)
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            targets = [node.module]
            targets += [f"{node.module}.{alias.name}" for alias in node.names]
        for target in targets:
            parts = target.split(".")
            for end in range(2, len(parts) + 1):
                candidate = ".".join(parts[:end])
                if candidate in names:
                    found.add(candidate)
    return found


def import_graph() -> dict[str, set[str]]:
    found = modules()
    return {name: imported(path, found) - {name, *ancestors(name)} for name, path in found.items()}


def ancestors(module: str) -> set[str]:
    """A module's own packages: importing it has already started them."""
    parts = module.split(".")
    return {".".join(parts[:end]) for end in range(1, len(parts))}


def room(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2])


def rooms_graph(edges: Mapping[str, set[str]]) -> dict[str, set[str]]:
    rooms: dict[str, set[str]] = {}
    for source, targets in edges.items():
        rooms.setdefault(room(source), set()).update(
            room(target) for target in targets if room(target) != room(source)
        )
    return rooms


def cycles(edges: Mapping[str, set[str]]) -> list[list[str]]:
    """One cycle through each node that lies on one (depth-first search)."""
    found: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for target in sorted(edges.get(node, ())):
            if state.get(target) == 1:
                found.append([*stack[stack.index(target) :], target])
            elif target not in state:
                visit(target)
        stack.pop()
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node)
    return found


def test_the_walk_sees_graphs_imports() -> None:
    edges = import_graph()

    assert "graph.tools.base" in edges["graph.tools.billing"]
    assert "graph.models" in edges["graph.agent"]
    assert "graph.specialists" in edges["graph.models"]  # the package's __init__ runs too


def test_the_search_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle_between_graph_modules() -> None:
    assert cycles(import_graph()) == []


def test_no_import_cycle_between_graph_rooms() -> None:
    assert cycles(rooms_graph(import_graph())) == []
