"""`opsgraph kb ...` run as processes against the module's database."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from rag.search import SearchHit
from service.cli_kb import hit_lines
from service.process import opsgraph_env, run_cli
from tests.rag.support import write_sample_folder


@pytest.fixture
def env(database_url: str, tmp_path: Path) -> dict[str, str]:
    return opsgraph_env(tmp_path / "data", database_url=database_url)


def test_ingest_list_search_delete_and_reindex(env: dict[str, str], tmp_path: Path) -> None:
    folder = write_sample_folder(tmp_path / "kb")

    first = run_cli("kb", "ingest", str(folder), "--collection", "policies", env=env)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip().splitlines()[-1] == (
        "4 file(s): 4 added, 0 updated, 0 unchanged, 0 failed; 9 chunk(s) written"
    )
    # Not a terminal: progress is one line per file and per embedding batch, on stderr.
    assert "found 4 file(s)" in first.stderr
    assert f"added     {folder.as_posix()}/policies/returns.md (3 chunks)" in first.stderr
    assert "embedded 9 chunk(s)" in first.stderr

    again = run_cli("kb", "ingest", str(folder), "--collection", "policies", env=env)
    assert again.stdout.strip().endswith(
        "0 added, 0 updated, 4 unchanged, 0 failed; 0 chunk(s) written"
    )

    listed = run_cli("kb", "list", env=env)
    assert listed.stdout.strip().endswith("4 document(s)")
    assert "Returns and exchanges" in listed.stdout and "policies" in listed.stdout

    found = run_cli("kb", "search", "what if my item arrived damaged", "--k", "2", env=env)
    assert found.returncode == 0, found.stderr
    lines = found.stdout.splitlines()
    assert lines[0].startswith("[1] Returns and exchanges > Returns > Damaged items  (")
    assert "chunk " in lines[0] and "«damaged»" in lines[1]
    assert lines[2].startswith("[2] ")

    bad_mode = run_cli("kb", "search", "x", "--mode", "fuzzy", env=env)
    assert bad_mode.returncode == 2 and "--mode must be one of" in bad_mode.stderr

    deleted = run_cli("kb", "delete", f"{folder.as_posix()}/notes.txt", env=env)
    assert deleted.stdout.strip() == "deleted 1 document(s)"
    assert run_cli("kb", "list", env=env).stdout.strip().endswith("3 document(s)")
    assert run_cli("kb", "delete", "no-such-doc", env=env).returncode == 1

    other = env | {"OPSGRAPH_EMBEDDER": "hashing:256"}
    refused = run_cli("kb", "ingest", str(folder), env=other)
    assert refused.returncode == 2
    assert "run `opsgraph kb reindex`" in refused.stderr
    rebuilt = run_cli("kb", "reindex", env=other)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert rebuilt.stdout.strip() == "re-embedded 8 chunk(s) with hashing-v1-256 (256 dims)"
    after = run_cli("kb", "search", "damaged", "--mode", "vector", env=other)
    assert after.returncode == 0 and after.stdout.startswith("[1] ")
    assert run_cli("kb", "search", "damaged", env=env).returncode == 2


def test_a_hit_whose_heading_path_begins_with_the_title_names_it_once() -> None:
    hit = SearchHit(
        chunk_id=7,
        document_id=uuid.uuid4(),
        collection="policies",
        source="kb/returns.md",
        title="Returns and exchanges",
        heading_path="Returns and exchanges > Damaged items",
        position=0,
        score=0.5,
        snippet="a «damaged» item",
        content="",
    )
    assert hit_lines(1, hit)[0].startswith("[1] Returns and exchanges > Damaged items  (")
    other = SearchHit(**{**hit.as_dict(), "document_id": hit.document_id, "title": "Policies"})
    assert hit_lines(2, other)[0].startswith(
        "[2] Policies > Returns and exchanges > Damaged items  ("
    )
