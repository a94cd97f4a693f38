"""Shopify: base64 HMAC-SHA256 of the raw body, with two secrets during rotation."""

from __future__ import annotations

import pytest

from api.webhooks.errors import SignatureError, SourceNotEnabled
from api.webhooks.shopify import verify_shopify
from api.webhooks.signing import shopify_headers

BODY = b'{"id": 820982911946154500, "email": "jon@example.com"}'
SECRET = "shpss_current"
OLD_SECRET = "shpss_previous"


def headers(secret: str = SECRET) -> dict[str, str]:
    return shopify_headers(BODY, secret, topic="orders/create", webhook_id="b54557e4-bdd9")


def test_valid_signature_is_accepted() -> None:
    verify_shopify(BODY, headers(), secrets=[SECRET])


def test_header_names_are_case_insensitive() -> None:
    lowered = {name.lower(): value for name, value in headers().items()}

    verify_shopify(BODY, lowered, secrets=[SECRET])


def test_either_secret_matches_during_rotation() -> None:
    verify_shopify(BODY, headers(OLD_SECRET), secrets=[SECRET, OLD_SECRET])
    verify_shopify(BODY, headers(SECRET), secrets=[OLD_SECRET, SECRET])


def test_tampered_body_is_rejected() -> None:
    with pytest.raises(SignatureError, match="does not match"):
        verify_shopify(BODY.replace(b"jon", b"eve"), headers(), secrets=[SECRET])


def test_wrong_secret_is_rejected() -> None:
    with pytest.raises(SignatureError, match="does not match"):
        verify_shopify(BODY, headers("shpss_attacker"), secrets=[SECRET, OLD_SECRET])


def test_missing_or_malformed_header_is_rejected() -> None:
    without = headers()
    del without["X-Shopify-Hmac-Sha256"]

    with pytest.raises(SignatureError, match="missing X-Shopify-Hmac-Sha256"):
        verify_shopify(BODY, without, secrets=[SECRET])
    with pytest.raises(SignatureError, match="malformed"):
        verify_shopify(BODY, {"X-Shopify-Hmac-Sha256": "not base64!"}, secrets=[SECRET])


def test_empty_secrets_never_verify() -> None:
    signed_with_empty_key = headers("")

    with pytest.raises(SourceNotEnabled):
        verify_shopify(BODY, signed_with_empty_key, secrets=["", ""])
    with pytest.raises(SourceNotEnabled):
        verify_shopify(BODY, signed_with_empty_key, secrets=[])
    with pytest.raises(SignatureError):
        verify_shopify(BODY, signed_with_empty_key, secrets=["", SECRET])


def test_a_bare_string_is_not_a_list_of_secrets() -> None:
    with pytest.raises(TypeError, match="sequence"):
        verify_shopify(BODY, headers("s"), secrets="s3cret")
