"""Embedders, chosen by `OPSGRAPH_EMBEDDER`: `hashing` (offline default), `openai:<model>`,
`sentence-transformers:<path or name>` (local files only)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

HASHING = "hashing"
OPENAI_PREFIX = "openai:"
SENTENCE_TRANSFORMERS_PREFIX = "sentence-transformers:"
HASHING_NAME = re.compile(r"hashing-v(?P<version>\d+)-(?P<dimension>\d+)")

FloatMatrix = npt.NDArray[np.float32]


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into vectors of one fixed dimension. `name` identifies the vector space:
    two embedders with the same name (and dimension) make comparable vectors."""

    @property
    def name(self) -> str: ...

    @property
    def dimension(self) -> int: ...

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]: ...

    def embed_query(self, text: str) -> list[float]: ...


class UnknownEmbedderError(ValueError):
    """The embedder setting names nothing we can build."""


NOT_WORD = re.compile(r"[\W_]+")
STOPWORD_TEXT = """a an and are as at be but by can do does for from has have how i if in into
is it its me my no not of on or our so that the their them then there these they this to was
we what when where which who why will with you your"""
STOPWORDS = tuple(STOPWORD_TEXT.split())
PRIME = np.uint64(1_099_511_628_211)
PRIME_INVERSE = np.uint64(pow(1_099_511_628_211, -1, 1 << 64))
WORD_SALT = np.uint64(0x9E3779B97F4A7C15)
PAIR_SALT = np.uint64(0xD6E8FEB86659FD93)
PREFIX_SALT = np.uint64(0x94D049BB133111EB)
PREFIX_CHARS = 5
MIX = np.uint64(0xBF58476D1CE4E5B9)
SEPARATOR = 32


class _Hashed:
    """Polynomial hashes of every substring of a byte string, in O(1) each.

    hash(s, e) = sum(data[j] * P**(e-1-j)) mod 2**64 = P**e * (S[e] - S[s]), with
    S[i] = sum(data[j] * P**-(j+1) for j < i); numpy's uint64 arithmetic wraps mod 2**64.
    """

    def __init__(self, data: npt.NDArray[np.uint8]) -> None:
        size = data.size + 1
        inverse_powers = np.full(size, PRIME_INVERSE, dtype=np.uint64)
        inverse_powers[0] = 1
        inverse_powers = np.cumprod(inverse_powers, dtype=np.uint64)
        self.powers = np.full(size, PRIME, dtype=np.uint64)
        self.powers[0] = 1
        self.powers = np.cumprod(self.powers, dtype=np.uint64)
        self.prefix = np.zeros(size, dtype=np.uint64)
        np.cumsum(data.astype(np.uint64) * inverse_powers[1:], dtype=np.uint64, out=self.prefix[1:])

    def span(
        self, starts: npt.NDArray[np.int64], ends: npt.NDArray[np.int64]
    ) -> npt.NDArray[np.uint64]:
        hashed: npt.NDArray[np.uint64] = self.powers[ends] * (
            self.prefix[ends] - self.prefix[starts]
        )
        return hashed


class HashingEmbedder:
    """Feature-hashed word, word-pair and character n-gram vectors, L2-normalised.

    Lexical, not semantic: "refund" and "money back" share nothing. It needs no model, is
    deterministic across processes and machines (no salted `hash()`), and is vectorised with
    numpy over all texts of a batch at once, so ten thousand chunks embed in about a second.
    """

    VERSION = 1

    def __init__(
        self,
        dimension: int = 512,
        *,
        char_ngrams: tuple[int, ...] = (3, 4, 5),
        char_weight: float = 0.5,
        pair_weight: float = 0.5,
        stopword_weight: float = 0.25,
        prefix_weight: float = 0.7,
    ) -> None:
        if dimension < 16:
            raise ValueError("a hashing embedder needs at least 16 dimensions")
        self._dimension = dimension
        self.char_ngrams = char_ngrams
        self.char_weight = char_weight
        self.pair_weight = pair_weight
        self.stopword_weight = stopword_weight
        self.prefix_weight = prefix_weight
        stopwords = _Hashed(np.frombuffer(" ".join(STOPWORDS).encode(), dtype=np.uint8))
        starts, ends = [], []
        position = 0
        for word in STOPWORDS:
            starts.append(position)
            ends.append(position + len(word))
            position += len(word) + 1
        self._stopword_hashes = np.sort(
            stopwords.span(np.array(starts, dtype=np.int64), np.array(ends, dtype=np.int64))
        )

    @property
    def name(self) -> str:
        return f"hashing-v{self.VERSION}-{self._dimension}"

    @property
    def dimension(self) -> int:
        return self._dimension

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        matrix: list[list[float]] = self.embed_matrix(texts).tolist()
        return matrix

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]

    def embed_matrix(self, texts: Sequence[str]) -> FloatMatrix:
        """All texts at once: one (len(texts), dimension) float32 matrix.

        The texts are lower-cased, runs of non-word characters become one space, and they are
        joined with NUL between them; features never span two texts.
        """
        count = len(texts)
        joined = "\x00".join(" " + NOT_WORD.sub(" ", text.lower()).strip() + " " for text in texts)
        data = np.frombuffer(joined.encode("utf-8"), dtype=np.uint8)
        if data.size == 0:
            return np.zeros((count, self._dimension), dtype=np.float32)
        separators = data == 0
        owner = np.cumsum(separators)
        owner[separators] = count
        hashed = _Hashed(data)
        words = self._word_block(data, owner, hashed, count)
        chars = self._char_block(data, owner, hashed, count)
        return _normalise_rows(_normalise_rows(words) + self.char_weight * _normalise_rows(chars))

    def _word_block(
        self,
        data: npt.NDArray[np.uint8],
        owner: npt.NDArray[np.int64],
        hashed: _Hashed,
        count: int,
    ) -> FloatMatrix:
        boundary = (data == SEPARATOR) | (data == 0)
        inside = ~boundary
        starts = np.flatnonzero(inside[1:] & boundary[:-1]) + 1
        ends = np.flatnonzero(inside[:-1] & boundary[1:]) + 1
        if starts.size == 0:
            return np.zeros((count, self._dimension), dtype=np.float32)
        word_hashes = hashed.span(starts, ends)
        rows = owner[starts]
        found = np.searchsorted(self._stopword_hashes, word_hashes)
        found = np.minimum(found, self._stopword_hashes.size - 1)
        weights = np.where(self._stopword_hashes[found] == word_hashes, self.stopword_weight, 1.0)
        block = self._scatter(word_hashes ^ WORD_SALT, rows, weights, count)
        # A crude stemmer: a long word also counts as its first five letters, so "returns"
        # and "returned" (or a misspelt "damagd" and "damaged") share a feature.
        long_words = (ends - starts) > PREFIX_CHARS
        prefixes = hashed.span(starts[long_words], starts[long_words] + PREFIX_CHARS)
        block += self._scatter(
            prefixes ^ PREFIX_SALT,
            rows[long_words],
            weights[long_words] * self.prefix_weight,
            count,
        )
        same_text = rows[:-1] == rows[1:]
        pairs = (word_hashes[:-1] * PRIME + word_hashes[1:]) ^ PAIR_SALT
        pair_weights = np.minimum(weights[:-1], weights[1:]) * self.pair_weight
        block += self._scatter(
            pairs[same_text], rows[:-1][same_text], pair_weights[same_text], count
        )
        return block

    def _char_block(
        self,
        data: npt.NDArray[np.uint8],
        owner: npt.NDArray[np.int64],
        hashed: _Hashed,
        count: int,
    ) -> FloatMatrix:
        """Every n-gram start is a slice position, so no gathers; an n-gram that would span
        two texts is counted in a spare row that is dropped."""
        block = np.zeros((count, self._dimension), dtype=np.float32)
        for size in self.char_ngrams:
            grams = data.size - size + 1
            if grams <= 0:
                continue
            spans = hashed.powers[size : size + grams] * (
                hashed.prefix[size : size + grams] - hashed.prefix[:grams]
            )
            rows = np.where(owner[:grams] == owner[size - 1 :], owner[:grams], count)
            block += self._scatter(spans + np.uint64(size), rows, None, count)
        return block

    def _scatter(
        self,
        hashes: npt.NDArray[np.uint64],
        rows: npt.NDArray[Any],
        weights: npt.NDArray[Any] | None,
        count: int,
    ) -> FloatMatrix:
        """Signed feature hashing: a feature adds its weight to one of 2 x dimension buckets
        (multiplicative hashing, top bits); the upper half counts negatively, so collisions
        cancel out on average. Rows numbered `count` are spare and dropped."""
        if hashes.size == 0:
            return np.zeros((count, self._dimension), dtype=np.float32)
        width = 2 * self._dimension
        buckets = ((hashes * MIX) >> np.uint64(32)) % np.uint64(width)
        flat = rows * width + buckets.astype(np.int64)
        summed = np.bincount(flat, weights=weights, minlength=(count + 1) * width)
        summed = summed[: count * width].reshape(count, width)
        signed = summed[:, : self._dimension] - summed[:, self._dimension :]
        return signed.astype(np.float32)


def _normalise_rows(matrix: FloatMatrix) -> FloatMatrix:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    normalised: FloatMatrix = np.divide(matrix, norms, out=np.zeros_like(matrix), where=norms > 0)
    return normalised


class OpenAIEmbedder:
    """`langchain-openai`'s embeddings: a hosted API, or any OpenAI-compatible server
    (`OPENAI_BASE_URL`). The dimension is learnt from the first vector unless given."""

    def __init__(self, model: str, *, dimension: int | None = None, batch_size: int = 256) -> None:
        from langchain_openai import OpenAIEmbeddings

        self.model = model
        # No token-length check: it needs tiktoken's encodings (fetched from the network)
        # and OpenAI's tokenizer, which other compatible servers do not share.
        self._client = OpenAIEmbeddings(
            model=model, chunk_size=batch_size, check_embedding_ctx_length=False
        )
        self._dimension = dimension

    @property
    def name(self) -> str:
        return f"{OPENAI_PREFIX}{self.model}"

    @property
    def dimension(self) -> int:
        if self._dimension is None:
            self._dimension = len(self._client.embed_query("dimension probe"))
        return self._dimension

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        vectors = self._client.embed_documents(list(texts))
        if vectors:
            self._dimension = len(vectors[0])
        return vectors

    def embed_query(self, text: str) -> list[float]:
        vector = self._client.embed_query(text)
        self._dimension = len(vector)
        return vector


class SentenceTransformerEmbedder:
    """A sentence-transformers model from local files (the optional `kb-models` extra).
    Hugging Face Hub access is switched off before loading: nothing is downloaded."""

    def __init__(self, model: str, *, batch_size: int = 64) -> None:
        import os

        # The library reads these itself; we only make sure it never goes online.
        os.environ["HF_HUB_OFFLINE"] = "1"
        os.environ["TRANSFORMERS_OFFLINE"] = "1"
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as error:
            raise UnknownEmbedderError(
                "sentence-transformers is not installed: pip install 'opsgraph[kb-models]'"
            ) from error
        self.model = model
        self.batch_size = batch_size
        self._model: Any = SentenceTransformer(model, device="cpu", local_files_only=True)
        # sentence-transformers 6 renamed the getter and warns on the old name.
        model_ = self._model
        getter = getattr(model_, "get_embedding_dimension", None)
        getter = getter or model_.get_sentence_embedding_dimension
        found = getter()
        self._dimension = int(found) if found else len(self.embed_query("dimension probe"))

    @property
    def name(self) -> str:
        return f"{SENTENCE_TRANSFORMERS_PREFIX}{self.model}"

    @property
    def dimension(self) -> int:
        return self._dimension

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        vectors = self._model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        result: list[list[float]] = np.asarray(vectors, dtype=np.float32).tolist()
        return result

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]


def make_embedder(spec: str = HASHING) -> Embedder:
    """Build the embedder a setting names: `hashing`, `hashing:<dimension>`,
    `openai:<model>` or `sentence-transformers:<local path or cached model name>`.
    An embedder's `name` is a spec too, so the index can rebuild the embedder it recorded."""
    spec = spec.strip()
    if spec == HASHING:
        return HashingEmbedder()
    if spec.startswith(HASHING + ":") and spec.removeprefix(HASHING + ":").isdigit():
        return HashingEmbedder(int(spec.removeprefix(HASHING + ":")))
    recorded = HASHING_NAME.fullmatch(spec)
    if recorded and int(recorded["version"]) == HashingEmbedder.VERSION:
        return HashingEmbedder(int(recorded["dimension"]))
    if spec.startswith(OPENAI_PREFIX) and len(spec) > len(OPENAI_PREFIX):
        return OpenAIEmbedder(spec.removeprefix(OPENAI_PREFIX))
    if spec.startswith(SENTENCE_TRANSFORMERS_PREFIX) and len(spec) > len(
        SENTENCE_TRANSFORMERS_PREFIX
    ):
        return SentenceTransformerEmbedder(spec.removeprefix(SENTENCE_TRANSFORMERS_PREFIX))
    raise UnknownEmbedderError(
        f"unknown embedder {spec!r}: use 'hashing', 'openai:<model>' "
        "or 'sentence-transformers:<local path>'"
    )
