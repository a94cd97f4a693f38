"""Personal data out of captured events: emails, people's names, street addresses, phone
numbers and card-shaped numbers, replaced before a production event becomes a dataset line.

Replacements are pseudonyms derived from the value (the same email becomes the same
`person-1a2b3c@example.invalid` everywhere in a case), so a customer found by email in a
payload is still the same customer in the tool calls that follow, and a re-run routes the
same way. Store identifiers (`olivia_ito_3591`, `#W5442520`, SKUs) and amounts are kept:
the case replays against the seeded store, and a run without them would be another run.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
CARD = re.compile(r"(?<![\w.])\d(?:[ -]?\d){12,18}(?![\w.])")
PHONE = re.compile(r"(?<![\w.])\+?\(?\d{1,4}\)?(?:[ .-]\(?\d{2,4}\)?){2,5}(?![\w.])")
PERSON_KEYS = frozenset(
    {
        "first_name", "last_name", "firstname", "lastname", "full_name", "fullname",
        "customer_name", "contact_name", "cardholder", "cardholder_name", "billing_name",
        "shipping_name", "given_name", "family_name",
    }
)  # fmt: skip
ADDRESS_KEYS = frozenset(
    {
        "address1", "address2", "street", "street1", "street2", "line1", "line2",
        "street_address", "streetaddress1", "streetaddress2", "company_address",
    }
)  # fmt: skip
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
PHONE_KEYS = frozenset({"phone", "phone_number", "mobile", "telephone"})
EMAIL_KEYS = frozenset({"email", "contact_email", "customer_email", "receipt_email"})
PERSON_CONTAINERS = frozenset(
    {
        "customer", "billing_address", "shipping_address", "billingaddress",
        "shippingaddress", "address", "user", "contact", "billing_details", "shipping",
        "owner", "recipient",
    }
)  # fmt: skip


def _tag(value: str) -> str:
    return hashlib.sha256(value.strip().lower().encode()).hexdigest()[:6]


def pseudonym_email(value: str) -> str:
    return f"person-{_tag(value)}@example.invalid"


def luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        number = int(char)
        if index % 2:
            number = number * 2 - 9 if number > 4 else number * 2
        total += number
    return total % 10 == 0


def _card(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    return "[card]" if luhn_ok(digits) else match.group(0)


def _phone(match: re.Match[str]) -> str:
    text = match.group(0)
    digits = re.sub(r"\D", "", text)
    international = text.startswith("+") and len(digits) >= 7
    if DATE.match(text) or not (international or 10 <= len(digits) <= 15):
        return text
    return "[phone]"


def redact_text(text: str) -> str:
    """Emails, Luhn-valid card numbers and separated phone numbers inside free text."""
    text = EMAIL.sub(lambda m: pseudonym_email(m.group(0)), text)
    text = CARD.sub(_card, text)
    return PHONE.sub(_phone, text)


def _normal(key: str) -> str:
    return key.replace("-", "_").lower()


def redact_field(key: str, value: str, parent: str) -> str:
    name = _normal(key)
    if name in EMAIL_KEYS:
        return pseudonym_email(value) if value else value
    if is_person_field(key, parent):
        return f"Person {_tag(value)}" if value else value
    if name in ADDRESS_KEYS:
        return f"{_tag(value)} Redacted Street" if value else value
    if name in PHONE_KEYS:
        return "[phone]" if value else value
    return redact_text(value)


def is_person_field(key: str, parent: str) -> bool:
    name = _normal(key)
    return name in PERSON_KEYS or (name == "name" and parent in PERSON_CONTAINERS)


def person_names(value: Any, *, key: str = "", parent: str = "") -> set[str]:
    """Every word of the people's names the value holds under name fields."""
    if isinstance(value, dict):
        here = _normal(key)
        return set().union(*(person_names(v, key=k, parent=here) for k, v in value.items()))
    if isinstance(value, list):
        return set().union(*(person_names(item, key=key, parent=parent) for item in value))
    if isinstance(value, str) and is_person_field(key, parent):
        return set(re.findall(r"[^\W\d_]{2,}", value))
    return set()


def _walk(value: Any, key: str, parent: str, names: re.Pattern[str] | None) -> Any:
    if isinstance(value, dict):
        here = _normal(key)
        return {k: _walk(v, k, here, names) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(item, key, parent, names) for item in value]
    if isinstance(value, str):
        clean = redact_field(key, value, parent)
        if names is not None and clean == redact_text(value):  # free text, not a named field
            clean = names.sub(lambda m: f"Person {_tag(m.group(0))}", clean)
        return clean
    return value


def redact(value: Any, *, also: Any = None) -> Any:
    """A JSON value with personal data replaced: keys decide for names, addresses, emails
    and phones; free text is searched for emails, cards, phones and the names the value
    holds elsewhere (a note saying "gift for Mei" next to `first_name: Mei`), or that
    `also` holds (the event a tool call's arguments came from)."""
    words = sorted(person_names(value) | person_names(also), key=len, reverse=True)
    names = re.compile(r"\b(?:" + "|".join(map(re.escape, words)) + r")\b") if words else None
    return _walk(value, "", "", names)
