"""The offline intent classifier: nearest labelled example utterance (TF-IDF cosine).

The examples ship with the project (`intents.jsonl`, one `{"text", "intent"}` per line); the
intent table says which domain supervisor and specialist serve each intent and whether the
customer must be identified first. The score of the best example is the confidence: below
the threshold the chat asks one clarifying question instead of guessing.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

INTENTS_FILE = Path(__file__).resolve().parent / "intents.jsonl"
CLARIFY_BELOW = 0.3
"""Confidence under which the chat asks what was meant rather than act on a guess."""

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
ORDER_ID = re.compile(r"#?\bW\d{7}\b", re.IGNORECASE)
NUMBER = re.compile(r"\b\d+\b")
WORD = re.compile(r"[a-z]+|<[a-z]+>")
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "is",
        "are",
        "was",
        "were",
        "be",
        "to",
        "of",
        "for",
        "in",
        "on",
        "at",
        "it",
        "its",
        "this",
        "that",
        "my",
        "our",
        "your",
        "their",
        "me",
        "i",
        "we",
        "you",
        "they",
        "he",
        "she",
        "please",
        "can",
        "could",
        "would",
        "will",
        "do",
        "does",
        "did",
        "so",
        "and",
        "or",
        "with",
    ]
)


@dataclass(frozen=True)
class Intent:
    """Who serves an intent, and whether they may act before the customer is identified."""

    name: str
    domain: str
    specialist: str
    needs_customer: bool


INTENTS: dict[str, Intent] = {
    intent.name: intent
    for intent in (
        Intent("order_status", "ecommerce", "customer_service", needs_customer=True),
        Intent("cancel_order", "ecommerce", "customer_service", needs_customer=True),
        Intent("return_items", "ecommerce", "customer_service", needs_customer=True),
        Intent("customer_profile", "ecommerce", "customer_service", needs_customer=True),
        Intent("identify", "ecommerce", "customer_service", needs_customer=False),
        Intent("policy_question", "ecommerce", "customer_service", needs_customer=False),
        Intent("human_agent", "ecommerce", "customer_service", needs_customer=False),
        Intent("greeting", "master", "chat", needs_customer=False),
    )
}


@dataclass(frozen=True)
class Example:
    text: str
    intent: str


@dataclass(frozen=True)
class Guess:
    """The intent of the nearest example, its score (0..1) and the runner-up intent."""

    intent: str
    confidence: float
    runner_up: str | None


def load_examples(path: Path = INTENTS_FILE) -> list[Example]:
    """The labelled utterances; an intent missing from `INTENTS` is an error in the file."""
    examples = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        row = json.loads(line)
        if row["intent"] not in INTENTS:
            raise ValueError(f"{path.name}:{number}: unknown intent {row['intent']!r}")
        examples.append(Example(str(row["text"]), str(row["intent"])))
    return examples


def stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def features(text: str) -> Counter[str]:
    """Words (stemmed, stopwords dropped, ids and emails as placeholders) and word pairs."""
    text = EMAIL.sub(" <email> ", text)
    text = ORDER_ID.sub(" <order> ", text)
    text = NUMBER.sub(" <number> ", text.lower())
    words = [stem(w) for w in WORD.findall(text.lower()) if w not in STOPWORDS]
    grams = Counter(words)
    grams.update(f"{a}_{b}" for a, b in itertools.pairwise(words))
    return grams


class IntentClassifier:
    """Nearest-example classification; `classify` never raises on odd input."""

    def __init__(self, examples: Sequence[Example]) -> None:
        if not examples:
            raise ValueError("the intent classifier needs labelled examples")
        counted = [features(e.text) for e in examples]
        documents = Counter(gram for grams in counted for gram in grams)
        total = len(examples)
        self.idf = {gram: math.log((1 + total) / (1 + n)) + 1 for gram, n in documents.items()}
        self.examples = [
            (example.intent, self.vector(grams))
            for example, grams in zip(examples, counted, strict=True)
        ]

    @classmethod
    def shipped(cls) -> IntentClassifier:
        """The classifier over the project's own `intents.jsonl`."""
        return cls(load_examples())

    def vector(self, grams: Counter[str]) -> dict[str, float]:
        weights = {g: n * self.idf.get(g, 0.0) for g, n in grams.items() if g in self.idf}
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        return {g: w / norm for g, w in weights.items()}

    def classify(self, text: str) -> Guess:
        query = self.vector(features(text))
        best: dict[str, float] = {}
        for intent, vector in self.examples:
            score = sum(weight * vector.get(gram, 0.0) for gram, weight in query.items())
            best[intent] = max(score, best.get(intent, 0.0))
        ranked = sorted(best.items(), key=lambda item: -item[1])
        intent, score = ranked[0]
        runner_up = ranked[1][0] if len(ranked) > 1 and ranked[1][1] > 0 else None
        return Guess(intent, round(score, 3), runner_up)
