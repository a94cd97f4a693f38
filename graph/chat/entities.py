"""What a chat message names: an email, a name and zip, an order id, a cancellation reason,
and whether it is a plain yes or no to the write the user was shown.

Only look-up keys are read from user text; what they unlock (the customer, the order, its
amounts) always comes from the store through the tools.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from graph.chat.intents import EMAIL

ORDER = re.compile(r"#?\b(W\d{7})\b", re.IGNORECASE)
ZIP = re.compile(r"\b(\d{5})\b")
NAME_FIELDS = re.compile(
    r"first name\s+(?:is\s+)?([A-Za-z'-]+).*?last name\s+(?:is\s+)?([A-Za-z'-]+)", re.IGNORECASE
)
CAPITALISED = re.compile(r"(?=\b([A-Z][a-z'-]+)\s+([A-Z][a-z'-]+)\b)")
NOT_NAMES = frozenset(
    [
        "I",
        "I'm",
        "Im",
        "Hi",
        "Hello",
        "Hey",
        "My",
        "The",
        "This",
        "That",
        "Zip",
        "Code",
        "Name",
        "First",
        "Last",
        "Email",
        "Order",
        "Customer",
        "Please",
        "Thanks",
        "Yes",
        "No",
        "It",
        "Its",
        "Can",
        "Could",
        "Where",
        "What",
        "When",
        "Cancel",
        "Return",
    ]
)

YES = frozenset(
    [
        "yes",
        "y",
        "yep",
        "yeah",
        "yup",
        "confirm",
        "confirmed",
        "proceed",
        "sure",
        "ok",
        "okay",
        "correct",
    ]
)
CONFIRM_WORDS = YES | frozenset(
    [
        "please",
        "go",
        "ahead",
        "do",
        "it",
        "that's",
        "thats",
        "right",
        "is",
        "correct",
        "the",
        "order",
        "cancel",
        "return",
        "them",
    ]
)
NO = frozenset(["no", "n", "nope", "nah", "don't", "dont", "stop", "wait", "abort"])

REASONS = (
    ("ordered by mistake", ("mistake", "by accident", "accidentally", "wrong order")),
    (
        "no longer needed",
        (
            "changed their mind",
            "changed my mind",
            "change of mind",
            "no longer need",
            "don't need",
            "dont need",
            "not needed",
            "doesn't need",
            "does not need",
            "no longer want",
            "don't want",
        ),
    ),
)


@dataclass(frozen=True)
class NameZip:
    first_name: str
    last_name: str
    zip: str


def email_in(text: str) -> str | None:
    found = EMAIL.search(text)
    return found.group(0) if found else None


def name_zip_in(text: str) -> NameZip | None:
    """A first and last name with a five-digit zip (`James Li, zip 10083`)."""
    zip_code = ZIP.search(text)
    if zip_code is None:
        return None
    fields = NAME_FIELDS.search(text)
    if fields:
        return NameZip(fields.group(1).title(), fields.group(2).title(), zip_code.group(1))
    for first, last in CAPITALISED.findall(text):
        if first not in NOT_NAMES and last not in NOT_NAMES:
            return NameZip(first, last, zip_code.group(1))
    return None


def order_in(text: str) -> str | None:
    """An order id as the store keys it (`#W2611340`), with or without the `#`."""
    found = ORDER.search(text)
    return f"#{found.group(1).upper()}" if found else None


def cancel_reason_in(text: str) -> str | None:
    """One of τ-bench's two cancellation reasons, when the message gives one."""
    lowered = text.lower()
    for reason, phrases in REASONS:
        if reason in lowered or any(phrase in lowered for phrase in phrases):
            return reason
    return None


def words_of(text: str) -> list[str]:
    return re.findall(r"[a-z']+", text.lower())


def is_plain_yes(text: str) -> bool:
    """An explicit yes and nothing else: "yes", "yes, go ahead", "confirm"."""
    words = words_of(text)
    return bool(words) and words[0] in YES and all(word in CONFIRM_WORDS for word in words)


def starts_with_yes(text: str) -> bool:
    words = words_of(text)
    return bool(words) and words[0] in YES


def is_no(text: str) -> bool:
    words = words_of(text)
    return bool(words) and words[0] in NO
