"""Reading documents: Markdown and plain text as they are, HTML through markdownify (so its
headings survive into the same heading-aware splitter), PDF through pypdf."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import PurePath

MARKDOWN = "text/markdown"
PLAIN = "text/plain"
HTML = "text/html"
PDF = "application/pdf"

MEDIA_TYPES = {
    ".md": MARKDOWN,
    ".markdown": MARKDOWN,
    ".mdx": MARKDOWN,
    ".txt": PLAIN,
    ".text": PLAIN,
    ".rst": PLAIN,
    ".html": HTML,
    ".htm": HTML,
    ".pdf": PDF,
}

FRONT_MATTER = re.compile(r"\A---\s*\n(?P<body>.*?)\n---\s*\n", re.DOTALL)
FRONT_MATTER_TITLE = re.compile(r"^title:\s*(?P<title>.+?)\s*$", re.MULTILINE)
FIRST_HEADING = re.compile(r"^#{1,6}\s+(?P<title>.+?)\s*#*\s*$", re.MULTILINE)
UNREADABLE_TAGS = ("script", "style", "noscript", "template", "svg", "iframe")


class UnsupportedDocumentError(ValueError):
    """A file type we cannot read, or a file that does not decode as its type."""


@dataclass(frozen=True)
class PageText:
    """A page of a PDF and the outline entries (bookmarks) it falls under."""

    number: int
    text: str
    headings: tuple[str, ...] = ()


@dataclass(frozen=True)
class LoadedDocument:
    """A document as text: Markdown (for md and HTML), plain text, or PDF pages."""

    title: str
    media_type: str
    text: str = ""
    pages: tuple[PageText, ...] = field(default_factory=tuple)


def media_type_of(name: str) -> str | None:
    """The media type we read a file as, from its extension; None if we do not read it."""
    return MEDIA_TYPES.get(PurePath(name).suffix.lower())


def load_document(name: str, data: bytes, media_type: str | None = None) -> LoadedDocument:
    """Turn a file's bytes into text; `name` gives the fallback title."""
    media_type = media_type or media_type_of(name)
    fallback = PurePath(name).stem.replace("_", " ").replace("-", " ").strip() or name
    if media_type == PDF:
        return load_pdf(data, fallback)
    if media_type not in (MARKDOWN, PLAIN, HTML):
        raise UnsupportedDocumentError(
            f"{name}: not a Markdown, text, HTML or PDF file ({media_type or 'unknown type'})"
        )
    text = decode_text(name, data)
    if media_type == HTML:
        return load_html(text, fallback)
    if media_type == MARKDOWN:
        return load_markdown(text, fallback)
    return LoadedDocument(title=first_line(text) or fallback, media_type=PLAIN, text=text)


def decode_text(name: str, data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError as error:
            raise UnsupportedDocumentError(f"{name}: not UTF-8 or Windows-1252 text") from error


def first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip()[:200]
    return ""


def load_markdown(text: str, fallback: str) -> LoadedDocument:
    """Front matter is dropped (its `title:` kept); the title is that, or the first heading."""
    title = ""
    matter = FRONT_MATTER.match(text)
    if matter:
        found = FRONT_MATTER_TITLE.search(matter["body"])
        title = found["title"].strip("'\"") if found else ""
        text = text[matter.end() :]
    if not title:
        heading = FIRST_HEADING.search(text)
        title = heading["title"] if heading else fallback
    return LoadedDocument(title=title, media_type=MARKDOWN, text=text)


def load_html(html: str, fallback: str) -> LoadedDocument:
    """The page's main content (`<main>`, `<article>` or `<body>`) as Markdown."""
    from bs4 import BeautifulSoup
    from markdownify import MarkdownConverter

    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(UNREADABLE_TAGS):
        tag.decompose()
    title_tag = soup.find("title")
    heading = soup.find("h1")
    title = (
        (title_tag.get_text(" ", strip=True) if title_tag else "")
        or (heading.get_text(" ", strip=True) if heading else "")
        or fallback
    )
    root = soup.find("main") or soup.find("article") or soup.find("body") or soup
    markdown = MarkdownConverter(heading_style="ATX").convert_soup(root)
    return LoadedDocument(title=title, media_type=HTML, text=markdown)


def load_pdf(data: bytes, fallback: str) -> LoadedDocument:
    """Each page's text, under the outline (bookmark) entries that start on or before it."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        starts = outline_starts(reader)
        pages: list[PageText] = []
        current: tuple[str, ...] = ()
        for number, page in enumerate(reader.pages, start=1):
            current = starts.get(number, current)
            pages.append(PageText(number, page.extract_text() or "", current))
        meta_title = reader.metadata.title if reader.metadata else None
    except (PdfReadError, ValueError, KeyError) as error:
        raise UnsupportedDocumentError(f"not a readable PDF: {error}") from error
    title = (meta_title or "").strip() or first_line(pages[0].text if pages else "") or fallback
    return LoadedDocument(title=title, media_type=PDF, pages=tuple(pages))


def outline_starts(reader: object) -> dict[int, tuple[str, ...]]:
    """Page number -> the outline path of the last entry that starts on that page."""
    from pypdf import PdfReader

    assert isinstance(reader, PdfReader)
    starts: dict[int, tuple[str, ...]] = {}

    def walk(entries: list[object], path: tuple[str, ...]) -> None:
        last: tuple[str, ...] = path
        for entry in entries:
            if isinstance(entry, list):
                walk(entry, last)
                continue
            title = str(getattr(entry, "title", "") or "").strip()
            try:
                index = reader.get_destination_page_number(entry)  # type: ignore[arg-type]
            except (KeyError, ValueError, AttributeError, TypeError):
                continue
            if index is None:
                continue
            last = (*path, title) if title else path
            starts[index + 1] = last

    try:
        walk(list(reader.outline), ())
    except (KeyError, ValueError, TypeError):
        return {}
    return starts
