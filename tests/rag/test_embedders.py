"""Embedders: the hashing embedder's properties, the settings they are built from, and the
OpenAI-compatible client against a loopback server."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import numpy as np
import pytest

from rag.embedders import (
    HashingEmbedder,
    OpenAIEmbedder,
    UnknownEmbedderError,
    make_embedder,
)


def test_hashing_vectors_are_unit_length_deterministic_and_batch_independent() -> None:
    embedder = HashingEmbedder()
    texts = ["Returns within 30 days", "Versand mit DHL, Zollgebühren", "", "a an the"]
    batch = np.array(embedder.embed_documents(texts))
    assert batch.shape == (4, 512)
    assert np.allclose(np.linalg.norm(batch[[0, 1, 3]], axis=1), 1.0, atol=1e-5)
    assert not batch[2].any()  # nothing to say, no direction
    for text, row in zip(texts, batch, strict=True):
        assert np.allclose(embedder.embed_query(text), row)
    # A fresh instance (or process) makes the same vectors: no salted hash().
    assert np.allclose(HashingEmbedder().embed_documents(texts), batch)


def test_hashing_is_lexical_with_some_tolerance_for_word_forms() -> None:
    embedder = HashingEmbedder()

    def similarity(a: str, b: str) -> float:
        return float(np.dot(embedder.embed_query(a), embedder.embed_query(b)))

    assert similarity("damaged parcel", "damaged parcel") == pytest.approx(1.0, abs=1e-5)
    assert similarity("returns policy", "returned policies") > 0.3
    assert similarity("damagd", "damaged") > similarity("damagd", "shipping")
    assert abs(similarity("refund", "money back")) < 0.15  # lexical: no synonyms


def test_settings_name_the_embedder_and_its_recorded_name_rebuilds_it() -> None:
    assert make_embedder("hashing").name == "hashing-v1-512"
    small = make_embedder("hashing:256")
    assert (small.name, small.dimension) == ("hashing-v1-256", 256)
    assert make_embedder(small.name).dimension == 256
    for bad in ("word2vec", "openai:", "hashing-v0-512", "sentence-transformers:"):
        with pytest.raises(UnknownEmbedderError):
            make_embedder(bad)


class EmbeddingsHandler(BaseHTTPRequestHandler):
    """An OpenAI-compatible `/v1/embeddings`: a 3-dimensional vector per input."""

    requests: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        EmbeddingsHandler.requests.append({"path": self.path, **body})
        data = [
            {"object": "embedding", "index": i, "embedding": [float(len(text)), 1.0, 0.0]}
            for i, text in enumerate(body["input"])
        ]
        answer = json.dumps(
            {"object": "list", "data": data, "model": body["model"], "usage": {}}
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def embeddings_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), EmbeddingsHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    monkeypatch.setenv("OPENAI_BASE_URL", url)
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    EmbeddingsHandler.requests.clear()
    yield url
    server.shutdown()
    server.server_close()


@pytest.mark.usefixtures("embeddings_server")
def test_openai_embedder_talks_to_any_compatible_server() -> None:
    embedder = make_embedder("openai:local-embed")
    assert isinstance(embedder, OpenAIEmbedder)
    assert embedder.name == "openai:local-embed"

    vectors = embedder.embed_documents(["ab", "abcd"])

    assert vectors == [[2.0, 1.0, 0.0], [4.0, 1.0, 0.0]]
    assert embedder.dimension == 3
    sent = EmbeddingsHandler.requests[-1]
    assert sent["path"] == "/v1/embeddings" and sent["model"] == "local-embed"
    assert sent["input"] == ["ab", "abcd"]  # text, not tiktoken ids
