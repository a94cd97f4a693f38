"""Offline answers from retrieved passages: the sections whose headings match the question,
each quoted by its lead sentence (where a policy section states its rule) and its sentence
closest to the question, every sentence cited `[n]`.
"""

from __future__ import annotations

import re

from graph.chat.citations import Passage, citation_of, sentences, sources_line
from graph.chat.intents import STOPWORDS, stem
from graph.chat.state import Citation

MAX_SECTIONS = 2
EMPHASIS = re.compile(r"\*{1,2}([^*]+)\*{1,2}")
WORDS = re.compile(r"[a-z]+")


def terms(text: str) -> set[str]:
    return {stem(w) for w in WORDS.findall(text.lower()) if len(w) > 2 and w not in STOPWORDS}


def section_of(passage: Passage) -> str:
    """The passage's own heading (the last of its heading path)."""
    return str(passage.get("heading_path") or "").split(" > ")[-1]


def key_sentences(question: str, text: str) -> list[str]:
    """The lead sentence, and the other sentence sharing most terms with the question."""
    found = sentences(EMPHASIS.sub(r"\1", " ".join(text.split())))
    if not found:
        return []
    asked = terms(question)
    scored = [(len(asked & terms(s)), i) for i, s in enumerate(found[1:], start=1)]
    best = max(scored, default=(0, 0))
    return [found[0], *([found[best[1]]] if best[0] > 0 else [])]


def cite(sentence: str, n: int) -> str:
    """The sentence with its citation before the closing stop: `... delivery [2].`"""
    body = sentence.rstrip()
    stop = body[-1] if body and body[-1] in ".!?" else "."
    return f"{body.rstrip('.!?')} [{n}]{stop}"


def answer_from(question: str, passages: dict[int, Passage]) -> tuple[str, list[Citation]]:
    """A cited answer, and the citations it makes; the search's own order breaks ties."""
    asked = terms(question)
    fit = {n: len(asked & terms(section_of(p))) for n, p in passages.items()}
    best = max(fit.values())
    chosen = [n for n in sorted(passages) if fit[n] == best][:MAX_SECTIONS] if best else []
    chosen = chosen or [min(passages)]
    parts = [cite(s, n) for n in chosen for s in key_sentences(question, passages[n]["text"])]
    cited = [citation_of(passages[n]) for n in chosen]
    return f"{' '.join(parts)}\n{sources_line(cited)}", cited
