"""Standard Webhooks verification (`webhook-id`, `webhook-timestamp`, `webhook-signature`).

The `standardwebhooks` package does the checking, including a five-minute tolerance on the
timestamp in both directions; this module turns its failures into `SignatureError` and parses
the per-source secrets from configuration.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping, Sequence

from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from api.webhooks.errors import SignatureError, SourceNotEnabled

SECRET_PREFIX = "whsec_"
_SOURCE_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


def verify_standard(body: bytes, headers: Mapping[str, str], *, secret: str) -> None:
    """Accept the request only if one `v1` signature matches and the timestamp is fresh."""
    if not secret:
        raise SourceNotEnabled("standard webhooks: no secret is configured for this source")
    webhook = _webhook(secret)
    try:
        webhook.verify(body, dict(headers), json_parse=False)
    except WebhookVerificationError as exc:
        raise SignatureError(str(exc) or "signature does not match") from None
    except UnicodeDecodeError:
        raise SignatureError("body is not UTF-8") from None
    except ValueError:
        # The package unpacks each "v1,<base64>" entry without checking its shape.
        raise SignatureError("malformed webhook-signature header") from None


def verify_standard_any(body: bytes, headers: Mapping[str, str], *, secrets: Sequence[str]) -> None:
    """Accept a signature under any of the source's secrets (a rotation keeps two)."""
    failure = SignatureError("no secret")
    for secret in secrets:
        try:
            verify_standard(body, headers, secret=secret)
        except SignatureError as exc:
            failure = exc
        else:
            return
    raise failure


def parse_standard_secrets(value: str) -> dict[str, str]:
    """Parse `source=whsec_<base64>,other=whsec_<base64>` into a source → secret map.

    Each secret must decode to a non-empty key here, at start-up, because the package decodes
    leniently: a typo could otherwise leave a short or empty key that is easy to forge.
    """
    secrets: dict[str, str] = {}
    for position, item in enumerate(value.split(","), start=1):
        if not item.strip():
            continue
        source, sep, secret = (part.strip() for part in item.partition("="))
        # Entries are named by position only: a malformed one may hold a secret anywhere.
        if not sep or not _SOURCE_NAME.fullmatch(source) or source.startswith(SECRET_PREFIX):
            raise ValueError(
                f"standard webhook secrets: entry {position} must look like 'source=whsec_...' "
                "with a lowercase source name (letters, digits, '-', '_')"
            )
        if not _well_formed(secret):
            raise ValueError(
                f"standard webhook secrets: entry {position} must have '{SECRET_PREFIX}' "
                "followed by non-empty base64 after the '='"
            )
        if source in secrets:
            raise ValueError(f"standard webhook secrets: entry {position} repeats a source name")
        secrets[source] = secret
    return secrets


def _well_formed(secret: str) -> bool:
    if not secret.startswith(SECRET_PREFIX):
        return False
    encoded = secret.removeprefix(SECRET_PREFIX)
    try:
        return bool(base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True))
    except (binascii.Error, ValueError):
        return False


def _webhook(secret: str) -> Webhook:
    if not _well_formed(secret):
        raise ValueError(f"standard webhook secret must be '{SECRET_PREFIX}' + non-empty base64")
    return Webhook(secret)
