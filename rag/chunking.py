"""Heading-aware chunking: Markdown sections (langchain-text-splitters) cut to size, each
chunk keeping the path of headings it sits under ("Returns > Damaged items")."""

from __future__ import annotations

from dataclasses import dataclass

from langchain_text_splitters import MarkdownHeaderTextSplitter, RecursiveCharacterTextSplitter

from rag.loaders import HTML, MARKDOWN, PDF, LoadedDocument

HEADING_SEPARATOR = " > "
HEADING_LEVELS = [("#", "h1"), ("##", "h2"), ("###", "h3"), ("####", "h4")]
CHUNK_CHARS = 1_200
OVERLAP_CHARS = 150


@dataclass(frozen=True)
class Chunk:
    position: int
    heading_path: str
    content: str


def embedding_text(title: str, heading_path: str, content: str) -> str:
    """What is embedded for a chunk: where it sits, then what it says. The heading path
    usually begins with the title; the title is added only when it does not."""
    place = heading_path if heading_path.startswith(title) else f"{title}: {heading_path}"
    return f"{place.strip(': ')}\n{content}"


def chunk_document(
    document: LoadedDocument, *, chunk_chars: int = CHUNK_CHARS, overlap: int = OVERLAP_CHARS
) -> list[Chunk]:
    """The document's chunks in reading order; empty sections are dropped."""
    splitter = RecursiveCharacterTextSplitter(chunk_size=chunk_chars, chunk_overlap=overlap)
    sections: list[tuple[str, str]]
    if document.media_type == PDF:
        sections = [
            (HEADING_SEPARATOR.join(page.headings) or f"Page {page.number}", page.text)
            for page in document.pages
        ]
    elif document.media_type in (MARKDOWN, HTML):
        sections = markdown_sections(document.text)
    else:
        sections = [("", document.text)]
    chunks: list[Chunk] = []
    for heading_path, text in sections:
        for piece in splitter.split_text(text):
            if piece.strip():
                chunks.append(Chunk(len(chunks), heading_path, piece.strip()))
    return chunks


def markdown_sections(text: str) -> list[tuple[str, str]]:
    """(heading path, section text) for each section; code fences are not headings."""
    splitter = MarkdownHeaderTextSplitter(HEADING_LEVELS, strip_headers=True)
    sections: list[tuple[str, str]] = []
    for part in splitter.split_text(text):
        path = HEADING_SEPARATOR.join(
            str(part.metadata[level]).strip()
            for _, level in HEADING_LEVELS
            if part.metadata.get(level)
        )
        sections.append((path, part.page_content))
    return sections
