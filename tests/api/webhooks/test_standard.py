"""Standard Webhooks: verified by the reference package, failures mapped to SignatureError."""

from __future__ import annotations

import base64
import time

import pytest

from api.webhooks.errors import SignatureError, SourceNotEnabled
from api.webhooks.signing import standard_headers
from api.webhooks.standard import parse_standard_secrets, verify_standard

BODY = b'{"type": "invoice.paid", "data": {"id": "inv_1"}}'
SECRET = "whsec_" + base64.b64encode(b"k" * 32).decode()
OTHER_SECRET = "whsec_" + base64.b64encode(b"o" * 32).decode()


def test_valid_signature_is_accepted() -> None:
    verify_standard(BODY, standard_headers(BODY, SECRET, msg_id="msg_1"), secret=SECRET)


def test_header_names_are_case_insensitive() -> None:
    headers = {k.upper(): v for k, v in standard_headers(BODY, SECRET, msg_id="msg_1").items()}

    verify_standard(BODY, headers, secret=SECRET)


def test_tampered_body_is_rejected() -> None:
    headers = standard_headers(BODY, SECRET, msg_id="msg_1")

    with pytest.raises(SignatureError, match="No matching signature"):
        verify_standard(BODY.replace(b"inv_1", b"inv_2"), headers, secret=SECRET)


def test_message_id_is_part_of_the_signed_text() -> None:
    headers = standard_headers(BODY, SECRET, msg_id="msg_1")
    headers["webhook-id"] = "msg_2"

    with pytest.raises(SignatureError, match="No matching signature"):
        verify_standard(BODY, headers, secret=SECRET)


def test_wrong_secret_is_rejected() -> None:
    headers = standard_headers(BODY, OTHER_SECRET, msg_id="msg_1")

    with pytest.raises(SignatureError, match="No matching signature"):
        verify_standard(BODY, headers, secret=SECRET)


@pytest.mark.parametrize("name", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_missing_header_is_rejected(name: str) -> None:
    headers = standard_headers(BODY, SECRET, msg_id="msg_1")
    del headers[name]

    with pytest.raises(SignatureError, match="Missing required headers"):
        verify_standard(BODY, headers, secret=SECRET)


def test_stale_timestamp_is_rejected() -> None:
    headers = standard_headers(BODY, SECRET, msg_id="msg_1", timestamp=int(time.time()) - 600)

    with pytest.raises(SignatureError, match="too old"):
        verify_standard(BODY, headers, secret=SECRET)


def test_far_future_timestamp_is_rejected() -> None:
    headers = standard_headers(BODY, SECRET, msg_id="msg_1", timestamp=int(time.time()) + 600)

    with pytest.raises(SignatureError, match="too new"):
        verify_standard(BODY, headers, secret=SECRET)


@pytest.mark.parametrize("signature", ["v1", "v1,a,b", "v1,@@@", "v1,abc  v1,def"])
def test_malformed_signature_header_is_rejected(signature: str) -> None:
    headers = standard_headers(BODY, SECRET, msg_id="msg_1")
    headers["webhook-signature"] = signature

    with pytest.raises(SignatureError):
        verify_standard(BODY, headers, secret=SECRET)


def test_non_utf8_body_is_rejected() -> None:
    headers = standard_headers(BODY, SECRET, msg_id="msg_1")

    with pytest.raises(SignatureError, match="UTF-8"):
        verify_standard(b"\xff\xfe", headers, secret=SECRET)


def test_one_of_several_signatures_may_match() -> None:
    ours = standard_headers(BODY, SECRET, msg_id="msg_1")
    theirs = standard_headers(
        BODY, OTHER_SECRET, msg_id="msg_1", timestamp=int(ours["webhook-timestamp"])
    )
    ours["webhook-signature"] = f"{theirs['webhook-signature']} {ours['webhook-signature']}"

    verify_standard(BODY, ours, secret=SECRET)


def test_unconfigured_or_malformed_secret() -> None:
    headers = standard_headers(BODY, SECRET, msg_id="msg_1")

    with pytest.raises(SourceNotEnabled):
        verify_standard(BODY, headers, secret="")
    with pytest.raises(ValueError, match="base64"):
        verify_standard(BODY, headers, secret="whsec_")


def test_parse_secrets() -> None:
    value = f" billing={SECRET} , crm-hooks={OTHER_SECRET},"

    assert parse_standard_secrets(value) == {"billing": SECRET, "crm-hooks": OTHER_SECRET}
    assert parse_standard_secrets("") == {}


def test_parse_accepts_unpadded_base64() -> None:
    unpadded = "whsec_" + base64.b64encode(b"k" * 31).decode().rstrip("=")

    assert parse_standard_secrets(f"billing={unpadded}") == {"billing": unpadded}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (SECRET, "entry 1"),
        (f"billing={SECRET},{OTHER_SECRET}", "entry 2"),
        (f"Billing={SECRET}", "entry 1"),
        (f"billing={SECRET},billing={OTHER_SECRET}", "entry 2 repeats"),
        ("billing=abc123", "entry 1 must have"),
        ("billing=whsec_", "entry 1 must have"),
        ("billing=whsec_not*base64", "entry 1 must have"),
        (f"whsec_{SECRET}", "entry 1"),
    ],
)
def test_parse_rejects_bad_input_without_echoing_secrets(value: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as caught:
        parse_standard_secrets(value)

    assert SECRET.removeprefix("whsec_") not in str(caught.value)
    assert OTHER_SECRET.removeprefix("whsec_") not in str(caught.value)
