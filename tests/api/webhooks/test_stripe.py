"""Stripe: `t=…,v1=…` signatures over "t.body", any v1, any secret, 300 s either way."""

from __future__ import annotations

import pytest

from api.webhooks.errors import SignatureError, SourceNotEnabled
from api.webhooks.signing import stripe_headers, stripe_signature
from api.webhooks.stripe import verify_stripe

BODY = b'{"id": "evt_1Nb", "type": "invoice.paid", "data": {"object": {}}}'
SECRET = "whsec_stripe_current"
OLD_SECRET = "whsec_stripe_previous"
NOW = 1_700_000_000


def test_valid_signature_is_accepted() -> None:
    verify_stripe(BODY, stripe_headers(BODY, SECRET, timestamp=NOW), secrets=[SECRET], now=NOW)


def test_signature_with_current_time_is_accepted() -> None:
    verify_stripe(BODY, {"stripe-signature": stripe_signature(BODY, SECRET)}, secrets=[SECRET])


def test_second_secret_matches_during_rotation() -> None:
    headers = stripe_headers(BODY, OLD_SECRET, timestamp=NOW)

    verify_stripe(BODY, headers, secrets=[SECRET, OLD_SECRET], now=NOW)


def test_any_v1_may_match() -> None:
    ours = stripe_signature(BODY, SECRET, timestamp=NOW).split(",")[1]
    theirs = stripe_signature(BODY, "whsec_unrelated", timestamp=NOW).split(",")[1]
    header = f"t={NOW},{theirs},{ours},v0=ignored"

    verify_stripe(BODY, {"Stripe-Signature": header}, secrets=[SECRET], now=NOW)


def test_tampered_body_is_rejected() -> None:
    headers = stripe_headers(BODY, SECRET, timestamp=NOW)

    with pytest.raises(SignatureError, match="no v1 signature matches"):
        verify_stripe(BODY + b" ", headers, secrets=[SECRET], now=NOW)


def test_wrong_secret_is_rejected() -> None:
    headers = stripe_headers(BODY, "whsec_attacker", timestamp=NOW)

    with pytest.raises(SignatureError, match="no v1 signature matches"):
        verify_stripe(BODY, headers, secrets=[SECRET, OLD_SECRET], now=NOW)


def test_timestamp_is_part_of_the_signed_text() -> None:
    v1 = stripe_signature(BODY, SECRET, timestamp=NOW).split(",")[1]
    header = f"t={NOW + 1},{v1}"

    with pytest.raises(SignatureError, match="no v1 signature matches"):
        verify_stripe(BODY, {"Stripe-Signature": header}, secrets=[SECRET], now=NOW)


@pytest.mark.parametrize("offset", [-301, 301, -86_400, 86_400])
def test_stale_and_future_timestamps_are_rejected(offset: int) -> None:
    headers = stripe_headers(BODY, SECRET, timestamp=NOW + offset)

    with pytest.raises(SignatureError, match="tolerance"):
        verify_stripe(BODY, headers, secrets=[SECRET], now=NOW)


@pytest.mark.parametrize("offset", [-300, 300])
def test_timestamps_at_the_edge_of_tolerance_are_accepted(offset: int) -> None:
    headers = stripe_headers(BODY, SECRET, timestamp=NOW + offset)

    verify_stripe(BODY, headers, secrets=[SECRET], now=NOW)


def test_missing_header_is_rejected() -> None:
    with pytest.raises(SignatureError, match="missing Stripe-Signature"):
        verify_stripe(BODY, {"Content-Type": "application/json"}, secrets=[SECRET], now=NOW)


@pytest.mark.parametrize(
    "header",
    [
        "garbage",
        "v1=00ff",
        f"t={NOW}",
        f"t={NOW},v1=not-hex",
        f"t=soon,v1={'0' * 64}",
        # Arabic-Indic digits satisfy str.isdigit() and int().
        f"t=\u0661\u0667\u0660\u0660,v1={'0' * 64}",
        f"t={NOW},t={NOW},v1={'0' * 64}",
    ],
)
def test_malformed_header_is_rejected(header: str) -> None:
    with pytest.raises(SignatureError):
        verify_stripe(BODY, {"Stripe-Signature": header}, secrets=[SECRET], now=NOW)


def test_no_usable_secret_means_not_enabled() -> None:
    headers = stripe_headers(BODY, "", timestamp=NOW)

    with pytest.raises(SourceNotEnabled):
        verify_stripe(BODY, headers, secrets=[""], now=NOW)
