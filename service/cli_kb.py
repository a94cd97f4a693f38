"""`opsgraph kb ingest | list | delete | reindex | search`: the knowledge base for operators."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

from rag.embedders import Embedder, UnknownEmbedderError, make_embedder
from rag.index import EmbedderMismatchError, reindex
from rag.ingest import DEFAULT_COLLECTION, IngestSummary, Outcome, ingest_paths
from rag.search import MODES, Mode, SearchError, SearchHit, search
from rag.store import delete_document, list_documents
from runtime.database import Pool
from runtime.resources import open_resources
from runtime.settings import Settings

kb_app = typer.Typer(help="The knowledge base.", no_args_is_help=True)

TenantOption = Annotated[str, typer.Option(help="The tenant whose knowledge base this is.")]
T = TypeVar("T")


class ConsoleProgress:
    """Bars for files and embedded chunks on a terminal; one line per file otherwise (logs)."""

    def __init__(self, progress: Progress | None) -> None:
        self.progress = progress
        self.files: TaskID | None = None
        self.chunks: TaskID | None = None

    def files_found(self, total: int) -> None:
        if self.progress is not None:
            self.files = self.progress.add_task("files", total=total)
            self.chunks = self.progress.add_task("chunks embedded", total=None)
        else:
            typer.echo(f"found {total} file(s)", err=True)

    def file_done(self, source: str, outcome: Outcome, chunks: int) -> None:
        if self.progress is not None and self.files is not None:
            self.progress.advance(self.files)
        line = f"{outcome:<9} {source} ({chunks} chunks)"
        if self.progress is None:
            typer.echo(line, err=True)
        elif outcome == "failed":
            self.progress.console.print(line, highlight=False, soft_wrap=True)

    def chunks_embedded(self, count: int) -> None:
        if self.progress is not None and self.chunks is not None:
            self.progress.advance(self.chunks, count)
        else:
            typer.echo(f"embedded {count} chunk(s)", err=True)


@contextmanager
def console_progress() -> Iterator[ConsoleProgress]:
    console = Console(stderr=True)
    if not console.is_terminal:
        yield ConsoleProgress(None)
        return
    columns = (TextColumn("{task.description:<16}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=console) as bars:
        yield ConsoleProgress(bars)


def summary_line(summary: IngestSummary) -> str:
    return (
        f"{len(summary.results)} file(s): {summary.added} added, {summary.updated} updated, "
        f"{summary.unchanged} unchanged, {len(summary.failed)} failed; "
        f"{summary.chunks} chunk(s) written"
    )


def hit_lines(number: int, hit: SearchHit) -> list[str]:
    place = (
        hit.heading_path
        if hit.heading_path.startswith(hit.title)
        else (" > ".join(part for part in (hit.title, hit.heading_path) if part))
    )
    return [
        f"[{number}] {place}  ({hit.source}, chunk {hit.chunk_id}, score {hit.score:.4f})",
        f"    {' '.join(hit.snippet.split())}",
    ]


def register(settings_loader: Callable[[], Settings]) -> None:
    """Attach the commands; `settings_loader()` gives the CLI's settings."""

    def run(work: Callable[[Pool, Settings], Awaitable[T]]) -> T:
        settings = settings_loader()

        async def go() -> T:
            async with open_resources(settings) as resources:
                return await work(resources.pool, settings)

        try:
            return asyncio.run(go())
        except (EmbedderMismatchError, UnknownEmbedderError, SearchError) as error:
            typer.echo(f"error: {error}", err=True)
            raise typer.Exit(2) from error

    def configured_embedder(settings: Settings) -> Embedder:
        return make_embedder(settings.embedder)

    @kb_app.command("ingest")
    def kb_ingest(
        paths: Annotated[list[Path], typer.Argument(help="Files or folders (recursively).")],
        collection: Annotated[
            str, typer.Option(help="The collection the documents go into.")
        ] = DEFAULT_COLLECTION,
        tenant: TenantOption = "default",
    ) -> None:
        """Ingest Markdown, text, HTML and PDF files; unchanged files are skipped, edited
        ones replace their chunks."""
        missing = [str(path) for path in paths if not path.exists()]
        if missing:
            typer.echo(f"error: no such file or folder: {', '.join(missing)}", err=True)
            raise typer.Exit(2)

        async def work(pool: Pool, settings: Settings) -> IngestSummary:
            embedder = configured_embedder(settings)
            with console_progress() as progress:
                return await ingest_paths(
                    pool,
                    tenant,
                    paths,
                    collection=collection,
                    embedder=embedder,
                    progress=progress,
                )

        summary = run(work)
        for failed in summary.failed:
            typer.echo(f"failed: {failed.source}: {failed.reason}", err=True)
        typer.echo(summary_line(summary))
        if summary.failed:
            raise typer.Exit(1)

    @kb_app.command("list")
    def kb_list(
        collection: Annotated[str | None, typer.Option(help="Only this collection.")] = None,
        tenant: TenantOption = "default",
    ) -> None:
        """The documents: id, collection, chunks, title and source."""

        async def work(pool: Pool, _: Settings) -> None:
            async with pool.connection() as conn:
                documents = await list_documents(conn, tenant, collection=collection)
            for doc in documents:
                typer.echo(
                    f"{doc.document_id}  {doc.collection}  {doc.chunk_count:>4} chunks  "
                    f"{doc.title}  ({doc.source})"
                )
            typer.echo(f"{len(documents)} document(s)")

        run(work)

    @kb_app.command("delete")
    def kb_delete(
        document: Annotated[str, typer.Argument(help="A document id, or a source path.")],
        tenant: TenantOption = "default",
    ) -> None:
        """Delete a document and its chunks."""

        async def work(pool: Pool, _: Settings) -> int:
            async with pool.connection() as conn:
                return len(await delete_document(conn, tenant, document))

        deleted = run(work)
        typer.echo(f"deleted {deleted} document(s)")
        if not deleted:
            raise typer.Exit(1)

    @kb_app.command("reindex")
    def kb_reindex() -> None:
        """Re-embed every chunk (all tenants) with the configured OPSGRAPH_EMBEDDER."""

        async def work(pool: Pool, settings: Settings) -> tuple[int, Embedder]:
            embedder = configured_embedder(settings)
            console = Console(stderr=True)
            with Progress(console=console, disable=not console.is_terminal) as bars:
                task = bars.add_task("re-embedding", total=None)
                count = await reindex(
                    pool,
                    embedder,
                    progress=lambda done, total: bars.update(task, completed=done, total=total),
                )
            return count, embedder

        count, embedder = run(work)
        typer.echo(f"re-embedded {count} chunk(s) with {embedder.name} ({embedder.dimension} dims)")

    @kb_app.command("search")
    def kb_search(
        query: Annotated[str, typer.Argument(help="What to look for (web-search syntax).")],
        k: Annotated[int, typer.Option("--k", help="How many chunks.")] = 5,
        mode: Annotated[str, typer.Option(help=f"One of {', '.join(MODES)}.")] = "hybrid",
        collection: Annotated[str | None, typer.Option(help="Only this collection.")] = None,
        tenant: TenantOption = "default",
    ) -> None:
        """Search as the agents do, and show where each answer comes from."""
        if mode not in MODES:
            typer.echo(f"error: --mode must be one of {', '.join(MODES)}", err=True)
            raise typer.Exit(2)
        chosen: Mode = mode

        async def work(pool: Pool, settings: Settings) -> list[SearchHit]:
            return await search(
                pool,
                tenant,
                query,
                k=k,
                mode=chosen,
                collection=collection,
                embedder=configured_embedder(settings),
            )

        hits = run(work)
        for number, hit in enumerate(hits, start=1):
            for line in hit_lines(number, hit):
                typer.echo(line)
        if not hits:
            typer.echo("no matches")
