"""Datasets: JSONL files of cases, each checked against `schema/case.schema.json`."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

SCHEMA_PATH = Path(__file__).parent / "schema" / "case.schema.json"


@dataclass(frozen=True)
class Case:
    """One case of one dataset; `data` is the validated JSON line."""

    dataset: str
    data: Mapping[str, Any]

    @property
    def id(self) -> str:
        return str(self.data["id"])

    @property
    def key(self) -> str:
        """Unique across datasets: `events/order.created-basic`."""
        return f"{self.dataset}/{self.id}"

    @property
    def kind(self) -> str:
        return str(self.data["kind"])

    @property
    def expect(self) -> Mapping[str, Any]:
        return self.data.get("expect") or {}

    @property
    def tags(self) -> list[str]:
        return list(self.data.get("tags") or [])


class DatasetError(ValueError):
    """A dataset line is not JSON or breaks the schema; says file, line and what to fix."""


@cache
def validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text("utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def validate_case(data: Any, where: str) -> None:
    errors = sorted(validator().iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        path = "/".join(str(p) for p in first.absolute_path) or "(root)"
        raise DatasetError(f"{where}: {path}: {first.message}")


def load_dataset(path: Path) -> list[Case]:
    """Every case of a JSONL file, validated; ids must be unique within the file."""
    name = path.stem
    cases: list[Case] = []
    seen: set[str] = set()
    for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            data = json.loads(line)
        except ValueError as exc:
            raise DatasetError(f"{where}: not JSON: {exc}") from None
        validate_case(data, where)
        if data["id"] in seen:
            raise DatasetError(f"{where}: case id {data['id']!r} appears twice")
        seen.add(data["id"])
        cases.append(Case(dataset=name, data=data))
    return cases


def load_datasets(paths: Iterable[Path]) -> list[Case]:
    cases: list[Case] = []
    for path in paths:
        cases.extend(load_dataset(path))
    return cases


def write_dataset(path: Path, cases: Iterable[Mapping[str, Any]]) -> int:
    """Write cases as JSONL (validated first, so a generator cannot ship a broken set)."""
    lines = []
    for index, case in enumerate(cases):
        validate_case(case, f"{path} case {index}")
        lines.append(json.dumps(case, sort_keys=True, ensure_ascii=False))
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return len(lines)
