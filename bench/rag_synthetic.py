"""A deterministic synthetic knowledge base for the scale figures of `bench.rag`: search latency
at 10k and 100k chunks, HNSW recall against exact search, and the bulk-load rate.

The text is made of pseudo-words: each chunk mixes words of one of a few hundred topics with
common words, so documents cluster as real ones do and full-text queries find something;
each document also has a dozen names of its own (products, people, codes), as real ones do.
Common words follow a Zipf-Mandelbrot law (weight 1 / (rank + 30)) so that the most frequent
one appears in about a quarter of the chunks, as a frequent content word ("order") does in a
real knowledge base once stopwords are gone; stopword-like pseudo-words in every chunk would
make every full-text query match the whole corpus.
Words come in set phrases, as in real text: most words are followed by one of a few fixed
successors. The hashing embedder weighs word pairs, and independently drawn words made 69% of
a chunk's pairs unique in the corpus (the Node.js docs: 14%; now 19%), a noise floor that
left every chunk about equally far from a query and HNSW recall well below real text's.
It is bulk-loaded (COPY, then one HNSW build), which is how a large corpus would be moved in,
rather than through the per-file ingestion pipeline measured separately.
"""

from __future__ import annotations

import hashlib
import itertools
import random
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pgvector.psycopg import register_vector_async
from psycopg import sql

from rag.embedders import HashingEmbedder
from rag.fulltext import forget_frequencies
from rag.index import BULK_LOAD_INDEXES, build_hnsw, ensure_index
from runtime.database import Pool

SEED = 20261201
TOPICS = 300
TOPIC_WORDS = 40
COMMON_WORDS = 1500
ZIPF_OFFSET = 30
DOCUMENT_NAMES = 12
TOPIC_SHARE, NAME_SHARE = 0.35, 0.15
WORDS_PER_CHUNK = 70
FOLLOW_SHARE = 0.8
SUCCESSORS = 3
CHUNKS_PER_DOCUMENT = 20
EMBED_BATCH = 2000
COLLECTION = "synthetic"

SYLLABLES = tuple(consonant + vowel for consonant in "bklmnrstvz" for vowel in "aeiou")


@dataclass(frozen=True)
class SyntheticChunk:
    document: int
    position: int
    title: str
    heading_path: str
    content: str


@dataclass(frozen=True)
class LoadFigures:
    chunks: int
    embed_s: float
    copy_s: float
    index_s: float

    @property
    def chunks_per_s(self) -> float:
        return self.chunks / (self.embed_s + self.copy_s + self.index_s)


def pseudo_words(rng: random.Random, count: int, taken: set[str]) -> list[str]:
    words: list[str] = []
    while len(words) < count:
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
        if word not in taken:
            taken.add(word)
            words.append(word)
    return words


class SyntheticCorpus:
    """Chunk `i` is the same text on every run and machine."""

    def __init__(self, seed: int = SEED) -> None:
        rng = random.Random(seed)
        taken: set[str] = set()
        self.common = pseudo_words(rng, COMMON_WORDS, taken)
        self.topics = [pseudo_words(rng, TOPIC_WORDS, taken) for _ in range(TOPICS)]
        self.common_weights = list(
            itertools.accumulate(1 / (rank + ZIPF_OFFSET) for rank in range(1, COMMON_WORDS + 1))
        )
        self.seed = seed
        self._successors: dict[str, list[str]] = {}

    def document_words(self, document: int) -> tuple[list[str], list[str]]:
        """A document's topic vocabulary, and its own names (products, people, codes)."""
        rng = random.Random(self.seed + document)
        topic = self.topics[rng.randrange(TOPICS)]
        names = [
            "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(3, 5)))
            for _ in range(DOCUMENT_NAMES)
        ]
        return topic, names

    def successors(self, word: str) -> list[str]:
        """The few words that usually follow `word`, the same in every chunk: real text
        repeats its word pairs (set phrases), and the hashing embedder weighs word pairs."""
        found = self._successors.get(word)
        if found is None:
            rng = random.Random(f"{self.seed}/{word}")
            found = rng.choices(self.common, cum_weights=self.common_weights, k=SUCCESSORS)
            self._successors[word] = found
        return found

    def chunk(self, index: int) -> SyntheticChunk:
        rng = random.Random(self.seed * 1_000_003 + index)
        document = index // CHUNKS_PER_DOCUMENT
        topic, names = self.document_words(document)

        def word() -> str:
            draw = rng.random()
            if draw < TOPIC_SHARE:
                return topic[min(int(rng.paretovariate(1.2)) - 1, TOPIC_WORDS - 1)]
            if draw < TOPIC_SHARE + NAME_SHARE:
                return rng.choice(names)
            return rng.choices(self.common, cum_weights=self.common_weights)[0]

        words = [word()]
        while len(words) < WORDS_PER_CHUNK:
            follows = rng.random() < FOLLOW_SHARE
            words.append(rng.choice(self.successors(words[-1])) if follows else word())
        return SyntheticChunk(
            document=document,
            position=index % CHUNKS_PER_DOCUMENT,
            title=f"{topic[0].capitalize()} {topic[1]} handbook {document}",
            heading_path=f"{topic[2].capitalize()} > {words[0]} {words[1]}",
            content=" ".join(words) + ".",
        )

    def chunks(self, start: int, stop: int) -> Iterator[SyntheticChunk]:
        return (self.chunk(index) for index in range(start, stop))

    def query(self, index: int) -> str:
        """A short query drawn from a chunk's words (the chunk is usually, not always, best)."""
        rng = random.Random(self.seed * 7 + index)
        chunk = self.chunk(rng.randrange(10_000))
        words = chunk.content.rstrip(".").split()
        return " ".join(rng.sample(words, 4))


def document_uuid(tenant_id: str, document: int) -> uuid.UUID:
    return uuid.UUID(bytes=hashlib.sha256(f"{tenant_id}/{document}".encode()).digest()[:16])


async def load_synthetic(
    pool: Pool,
    corpus: SyntheticCorpus,
    *,
    tenant_id: str,
    chunks: int,
    embedder: HashingEmbedder,
) -> LoadFigures:
    """Bulk-load `chunks` synthetic chunks for `tenant_id`, then build the HNSW index once."""
    from rag.chunking import embedding_text

    documents = (chunks + CHUNKS_PER_DOCUMENT - 1) // CHUNKS_PER_DOCUMENT
    embed_s = copy_s = 0.0
    async with pool.connection() as conn:
        await register_vector_async(conn)
        async with conn.transaction():
            await conn.execute(
                "INSERT INTO tenants (tenant_id, name) VALUES (%s, 'bench') ON CONFLICT DO NOTHING",
                (tenant_id,),
            )
            await ensure_index(conn, embedder)
            for index in BULK_LOAD_INDEXES:
                await conn.execute(sql.SQL("DROP INDEX IF EXISTS {}").format(sql.Identifier(index)))
            started = time.perf_counter()
            async with conn.cursor().copy(
                "COPY kb_documents (tenant_id, document_id, collection, source, title,"
                " media_type, content_hash, byte_size, chunk_count) FROM STDIN"
            ) as copy:
                for document in range(documents):
                    count = min(CHUNKS_PER_DOCUMENT, chunks - document * CHUNKS_PER_DOCUMENT)
                    await copy.write_row(
                        (
                            tenant_id,
                            document_uuid(tenant_id, document),
                            COLLECTION,
                            f"synthetic/{document:06d}.md",
                            f"Synthetic document {document}",
                            "text/markdown",
                            f"{document:064x}",
                            0,
                            count,
                        )
                    )
            copy_s += time.perf_counter() - started
            for start in range(0, chunks, EMBED_BATCH):
                batch = list(corpus.chunks(start, min(chunks, start + EMBED_BATCH)))
                started = time.perf_counter()
                vectors = embedder.embed_matrix(
                    [embedding_text(c.title, c.heading_path, c.content) for c in batch]
                )
                embed_s += time.perf_counter() - started
                started = time.perf_counter()
                async with conn.cursor().copy(
                    "COPY kb_chunks (tenant_id, collection, document_id, position, title,"
                    " heading_path, content, embedding) FROM STDIN WITH (FORMAT BINARY)"
                ) as copy:
                    copy.set_types(
                        ["text", "text", "uuid", "int4", "text", "text", "text", "vector"]
                    )
                    for chunk, vector in zip(batch, vectors, strict=True):
                        await copy.write_row(
                            (
                                tenant_id,
                                COLLECTION,
                                document_uuid(tenant_id, chunk.document),
                                chunk.position,
                                chunk.title,
                                chunk.heading_path,
                                chunk.content,
                                vector,
                            )
                        )
                copy_s += time.perf_counter() - started
            started = time.perf_counter()
            await build_hnsw(conn, memory="1GB")
            index_s = time.perf_counter() - started
        await conn.execute("ANALYZE kb_chunks")
    forget_frequencies()
    return LoadFigures(chunks=chunks, embed_s=embed_s, copy_s=copy_s, index_s=index_s)


def write_markdown_corpus(corpus: SyntheticCorpus, folder: Path, *, documents: int) -> int:
    """Synthetic Markdown files (a heading per chunk's text), for the ingestion pipeline."""
    for document in range(documents):
        first = 1_000_000 + document * CHUNKS_PER_DOCUMENT
        chunks = list(corpus.chunks(first, first + CHUNKS_PER_DOCUMENT))
        sections = "\n\n".join(
            f"## {chunk.heading_path.split(' > ')[-1]} {chunk.position}\n\n{chunk.content}"
            for chunk in chunks
        )
        (folder / f"doc-{document:04d}.md").write_text(f"# {chunks[0].title}\n\n{sections}\n")
    return documents
