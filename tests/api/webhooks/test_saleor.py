"""Saleor: detached JWS against a configured JWKS (over HTTP or file://), and legacy HMAC."""

from __future__ import annotations

import asyncio
import inspect
import json
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

from api.webhooks.errors import KeysUnavailable, SignatureError, SourceNotEnabled
from api.webhooks.saleor import JwksCache, verify_saleor
from api.webhooks.signing import SaleorSigner, saleor_hmac

JWKS_URL = "https://shop.example.com/.well-known/jwks.json"
BODY = json.dumps({"order": {"id": "T3JkZXI6MQ==", "number": "1"}}).encode()


class JwksServer:
    """The sender's JWKS endpoint: serves its current key set and records every request."""

    def __init__(self, *signers: SaleorSigner) -> None:
        self.urls: list[str] = []
        self.status = 200
        self.serve(*signers)

    def serve(self, *signers: SaleorSigner) -> None:
        self.document = {"keys": [key for s in signers for key in s.jwks()["keys"]]}

    async def handle(self, request: httpx.Request) -> httpx.Response:
        self.urls.append(str(request.url))
        await asyncio.sleep(0)
        return httpx.Response(self.status, json=self.document)

    def cache(self, **kwargs: Any) -> JwksCache:
        kwargs.setdefault("min_refresh_interval_s", 0)
        return JwksCache(JWKS_URL, transport=httpx.MockTransport(self.handle), **kwargs)


@pytest.fixture(scope="module")
def signer() -> SaleorSigner:
    return SaleorSigner(kid="key-a")


@pytest.fixture(scope="module")
def other() -> SaleorSigner:
    return SaleorSigner(kid="key-b")


async def test_valid_jws_is_accepted_and_keys_are_cached(signer: SaleorSigner) -> None:
    server = JwksServer(signer)
    jwks = server.cache()

    for _ in range(3):
        await verify_saleor(
            BODY, signer.headers("order_created", BODY), jwks=jwks, hmac_secret=None
        )

    assert jwks.fetch_count == 1
    assert server.urls == [JWKS_URL]


async def test_signature_is_detached_jws_with_saleor_protected_header(signer: SaleorSigner) -> None:
    protected, payload, signature = signer.sign(BODY).split(".")

    assert payload == ""
    assert signature
    assert json.loads(jwt.utils.base64url_decode(protected)) == {
        "alg": "RS256",
        "b64": False,
        "crit": ["b64"],
        "kid": "key-a",
        "typ": "JWT",
    }


async def test_header_names_are_case_insensitive(signer: SaleorSigner) -> None:
    headers = {name.lower(): value for name, value in signer.headers("order_created", BODY).items()}

    await verify_saleor(BODY, headers, jwks=JwksServer(signer).cache(), hmac_secret=None)


async def test_tampered_body_is_rejected(signer: SaleorSigner) -> None:
    headers = signer.headers("order_created", BODY)

    with pytest.raises(SignatureError, match="does not match"):
        await verify_saleor(BODY + b" ", headers, jwks=JwksServer(signer).cache(), hmac_secret=None)


async def test_wrong_key_under_a_known_kid_is_rejected(signer: SaleorSigner) -> None:
    impostor = SaleorSigner(kid=signer.kid)
    jwks = JwksServer(signer).cache()

    with pytest.raises(SignatureError, match="does not match"):
        await verify_saleor(
            BODY, impostor.headers("order_created", BODY), jwks=jwks, hmac_secret=None
        )


async def test_missing_signature_header_is_rejected(signer: SaleorSigner) -> None:
    headers = signer.headers("order_created", BODY)
    del headers["Saleor-Signature"]

    with pytest.raises(SignatureError, match="missing Saleor-Signature"):
        await verify_saleor(BODY, headers, jwks=JwksServer(signer).cache(), hmac_secret="s3cret")


async def test_unknown_kid_refreshes_exactly_once_then_fails(
    signer: SaleorSigner, other: SaleorSigner
) -> None:
    server = JwksServer(signer)
    jwks = server.cache()
    await verify_saleor(BODY, signer.headers("order_created", BODY), jwks=jwks, hmac_secret=None)
    assert jwks.fetch_count == 1

    with pytest.raises(SignatureError, match="unknown key id"):
        await verify_saleor(BODY, other.headers("order_created", BODY), jwks=jwks, hmac_secret=None)

    assert jwks.fetch_count == 2
    assert len(server.urls) == 2


async def test_unknown_kid_with_file_jwks_refreshes_once(
    tmp_path: Path, signer: SaleorSigner, other: SaleorSigner
) -> None:
    url = signer.write_jwks(tmp_path / "jwks.json")
    assert url.startswith("file://")
    jwks = JwksCache(url, min_refresh_interval_s=0)
    await verify_saleor(BODY, signer.headers("order_created", BODY), jwks=jwks, hmac_secret=None)

    with pytest.raises(SignatureError, match="unknown key id"):
        await verify_saleor(BODY, other.headers("order_created", BODY), jwks=jwks, hmac_secret=None)

    assert jwks.fetch_count == 2


async def test_rotated_key_is_accepted_after_one_refresh(
    signer: SaleorSigner, other: SaleorSigner
) -> None:
    server = JwksServer(signer)
    jwks = server.cache()
    await verify_saleor(BODY, signer.headers("order_created", BODY), jwks=jwks, hmac_secret=None)

    server.serve(other)
    await verify_saleor(BODY, other.headers("order_updated", BODY), jwks=jwks, hmac_secret=None)

    assert jwks.fetch_count == 2
    with pytest.raises(SignatureError, match="unknown key id"):
        await verify_saleor(
            BODY, signer.headers("order_created", BODY), jwks=jwks, hmac_secret=None
        )


async def test_rotated_key_in_a_file_is_accepted(
    tmp_path: Path, signer: SaleorSigner, other: SaleorSigner
) -> None:
    path = tmp_path / "jwks.json"
    jwks = JwksCache(signer.write_jwks(path), min_refresh_interval_s=0)
    await verify_saleor(BODY, signer.headers("order_created", BODY), jwks=jwks, hmac_secret=None)

    other.write_jwks(path)
    await verify_saleor(BODY, other.headers("order_created", BODY), jwks=jwks, hmac_secret=None)

    assert jwks.fetch_count == 2


async def test_concurrent_requests_with_a_new_kid_share_one_refresh(
    signer: SaleorSigner, other: SaleorSigner
) -> None:
    server = JwksServer(signer)
    jwks = server.cache()
    await jwks.key_for(signer.kid)
    server.serve(signer, other)

    await asyncio.gather(
        *(
            verify_saleor(BODY, other.headers("order_created", BODY), jwks=jwks, hmac_secret=None)
            for _ in range(5)
        )
    )

    assert jwks.fetch_count == 2


async def test_refresh_is_throttled_between_fetches(
    signer: SaleorSigner, other: SaleorSigner
) -> None:
    now = [1000.0]
    server = JwksServer(signer)
    jwks = server.cache(min_refresh_interval_s=10, clock=lambda: now[0])
    await jwks.key_for(signer.kid)
    server.serve(signer, other)

    with pytest.raises(KeysUnavailable, match="throttled"):
        await jwks.key_for(other.kid)
    assert jwks.fetch_count == 1

    now[0] += 10
    assert await jwks.key_for(other.kid) is not None
    assert jwks.fetch_count == 2


async def test_jwks_outage_is_retryable_not_a_bad_signature(signer: SaleorSigner) -> None:
    server = JwksServer(signer)
    server.status = 503

    with pytest.raises(KeysUnavailable, match="cannot load JWKS"):
        await verify_saleor(
            BODY, signer.headers("order_created", BODY), jwks=server.cache(), hmac_secret=None
        )


async def test_injected_client_is_used_for_the_fetch(signer: SaleorSigner) -> None:
    server = JwksServer(signer)
    async with httpx.AsyncClient(transport=httpx.MockTransport(server.handle)) as client:
        jwks = JwksCache(JWKS_URL, client=client)
        await verify_saleor(
            BODY, signer.headers("order_created", BODY), jwks=jwks, hmac_secret=None
        )

    assert server.urls == [JWKS_URL]


async def test_key_location_in_request_headers_is_ignored(
    signer: SaleorSigner, other: SaleorSigner
) -> None:
    server = JwksServer(signer)
    jwks = server.cache()
    headers = other.headers("order_created", BODY)
    headers["Saleor-Api-Url"] = "https://attacker.example.net/graphql/"

    with pytest.raises(SignatureError):
        await verify_saleor(BODY, headers, jwks=jwks, hmac_secret=None)

    assert server.urls == [JWKS_URL]
    assert set(inspect.signature(verify_saleor).parameters) == {
        "body",
        "headers",
        "jwks",
        "hmac_secret",
    }


async def test_hmac_algorithm_in_jws_header_is_rejected(signer: SaleorSigner) -> None:
    forged = jwt.api_jws.encode(
        BODY,
        "a-shared-secret-long-enough-for-hs256!",
        algorithm="HS256",
        headers={"kid": signer.kid, "b64": False, "crit": ["b64"]},
        is_payload_detached=True,
    )

    with pytest.raises(SignatureError, match="invalid JWS"):
        await verify_saleor(
            BODY, {"Saleor-Signature": forged}, jwks=JwksServer(signer).cache(), hmac_secret=None
        )


async def test_legacy_hmac_is_accepted() -> None:
    headers = {"Saleor-Signature": saleor_hmac(BODY, "s3cret"), "Saleor-Event": "order_created"}

    await verify_saleor(BODY, headers, jwks=None, hmac_secret="s3cret")


async def test_legacy_hmac_with_wrong_secret_or_body_is_rejected() -> None:
    headers = {"Saleor-Signature": saleor_hmac(BODY, "s3cret")}

    with pytest.raises(SignatureError, match="does not match"):
        await verify_saleor(BODY, headers, jwks=None, hmac_secret="other")
    with pytest.raises(SignatureError, match="does not match"):
        await verify_saleor(BODY + b"x", headers, jwks=None, hmac_secret="s3cret")
    with pytest.raises(SignatureError, match="malformed"):
        await verify_saleor(BODY, {"Saleor-Signature": "zz"}, jwks=None, hmac_secret="s3cret")


async def test_each_form_needs_its_own_credential(signer: SaleorSigner) -> None:
    with pytest.raises(SignatureError, match="no Saleor secret"):
        await verify_saleor(
            BODY,
            {"Saleor-Signature": saleor_hmac(BODY, "")},
            jwks=JwksServer(signer).cache(),
            hmac_secret=None,
        )
    with pytest.raises(SignatureError, match="no Saleor JWKS"):
        await verify_saleor(BODY, signer.headers("order_created", BODY), jwks=None, hmac_secret="x")


async def test_unconfigured_source_is_not_enabled(signer: SaleorSigner) -> None:
    with pytest.raises(SourceNotEnabled):
        await verify_saleor(BODY, signer.headers("order_created", BODY), jwks=None, hmac_secret="")


@pytest.mark.parametrize(
    "location",
    [
        "ftp://shop.example.com/jwks.json",
        "http://shop.example.com/.well-known/jwks.json",
        "http://10.0.0.5/.well-known/jwks.json",
        "https:///no-host",
    ],
)
def test_jwks_location_must_be_https_or_file_or_loopback(location: str) -> None:
    with pytest.raises(ValueError, match="https://"):
        JwksCache(location)


@pytest.mark.parametrize(
    "location",
    [
        "https://shop.example.com/.well-known/jwks.json",
        "http://127.0.0.1:8000/.well-known/jwks.json",
        "http://[::1]:8000/jwks.json",
        "http://localhost/jwks.json",
        "file:///etc/opsgraph/jwks.json",
    ],
)
def test_jwks_location_over_a_safe_transport_is_accepted(location: str) -> None:
    assert JwksCache(location).location == location
