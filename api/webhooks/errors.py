"""Why a webhook was refused, as exceptions the router maps to HTTP answers.

Messages say what is wrong with the request and never echo a secret, a key or a signature,
so they are safe to log and to return in a 401 body.
"""

from __future__ import annotations

from collections.abc import Mapping


class SignatureError(Exception):
    """The request is not authentic: missing, malformed, stale or non-matching signature.

    The sender should not retry it (a 401).
    """


class MalformedPayload(ValueError):
    """The body is authentic but not the JSON shape (or the event) its event name promises.

    The delivery is kept as `rejected` and answered 400: resending it cannot help.
    """


class SourceNotEnabled(Exception):
    """No secret or key is configured for this source, so nothing it sends can be trusted."""


class KeysUnavailable(Exception):
    """The sender's public keys could not be fetched or are being refetched too often.

    Not the request's fault: answer 503 so the sender retries. Saleor never retries a 4xx,
    so turning a JWKS outage into a 401 would drop events for good.
    """


def require_header(headers: Mapping[str, str], name: str) -> str:
    """The value of header `name` (its first occurrence, matched case-insensitively).

    Any `Mapping` will do: Starlette's `Headers` or a plain dict spelled as the sender does.
    """
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            if value.strip():
                return value.strip()
            break
    raise SignatureError(f"missing {name} header")
