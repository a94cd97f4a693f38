"""Saleor webhook verification: detached JWS (RS256) against a configured JWKS, or legacy HMAC.

Saleor signs `b64url(protected) + "." + raw_body` (RFC 7797, `b64: false`) and sends
`<b64url(protected)>..<b64url(signature)>` in `Saleor-Signature`. The public key is looked up
by `kid` in a JWKS whose location comes from configuration only: the `Saleor-Api-Url` header is
chosen by whoever sends the request, so it may only *select* a shop that installed the app
(`SaleorShops`), whose JWKS location was fixed at install time; it never names keys itself.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey
from jwt.algorithms import RSAAlgorithm

from api.webhooks.errors import KeysUnavailable, SignatureError, SourceNotEnabled, require_header
from runtime.database import Pool
from runtime.saleor_links import SaleorLink, link_for_api_url
from runtime.secretbox import SecretBox, SecretBoxError
from runtime.settings import require_secure_url

SIGNATURE_HEADER = "Saleor-Signature"


class JwksCache:
    """Saleor's RSA public keys by `kid`, fetched lazily and refetched when a `kid` is new.

    A new `kid` is how a key rotation shows up, so an unknown one triggers one refetch; a
    minimum interval between fetches stops a flood of made-up `kid`s from hammering the
    sender. While throttled the answer is `KeysUnavailable` (retry later) rather than a
    `SignatureError`, because a real rotation may be what the cache has not seen yet.
    """

    def __init__(
        self,
        location: str,
        *,
        client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        min_refresh_interval_s: float = 10.0,
        timeout_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.location = require_secure_url(location, allow_file=True, what="the JWKS location")
        self.fetch_count = 0
        self._client = client
        self._transport = transport
        self._min_interval = min_refresh_interval_s
        self._timeout = timeout_s
        self._clock = clock
        self._keys: dict[str, RSAPublicKey] = {}
        self._last_fetch: float | None = None
        self._generation = 0
        self._lock = asyncio.Lock()

    async def key_for(self, kid: str) -> RSAPublicKey:
        """The public key with this `kid`, refetching the JWKS at most once for this call."""
        if kid in self._keys:
            return self._keys[kid]
        seen = self._generation
        async with self._lock:
            if self._generation == seen:
                if not self._may_fetch():
                    raise KeysUnavailable("unknown key id; JWKS refetch throttled, retry later")
                await self._refresh()
        try:
            return self._keys[kid]
        except KeyError:
            raise SignatureError("unknown key id") from None

    def _may_fetch(self) -> bool:
        if self._last_fetch is None:
            return True
        return self._clock() - self._last_fetch >= self._min_interval

    async def _refresh(self) -> None:
        self._last_fetch = self._clock()
        self.fetch_count += 1
        try:
            document = json.loads(await self._read())
        except (OSError, httpx.HTTPError, ValueError) as exc:
            raise KeysUnavailable(f"cannot load JWKS: {type(exc).__name__}") from exc
        self._keys = rsa_keys(document)
        self._generation += 1

    async def _read(self) -> bytes:
        parts = urlsplit(self.location)
        if parts.scheme == "file":
            path = Path(url2pathname(parts.path))
            return await asyncio.to_thread(path.read_bytes)
        if self._client is not None:
            response = await self._client.get(self.location, timeout=self._timeout)
        else:
            async with httpx.AsyncClient(
                transport=self._transport, timeout=self._timeout
            ) as client:
                response = await client.get(self.location)
        response.raise_for_status()
        return response.content


@dataclass(frozen=True)
class SaleorSender:
    """Whom a delivery is for and the only credentials that may verify it."""

    tenant_id: str
    jwks: JwksCache | None
    hmac_secret: str | None
    link: SaleorLink | None = None


class SaleorShops:
    """The shops that installed the app, as senders: one `JwksCache` per link.

    A delivery's `Saleor-Api-Url` selects the link registered for that API URL, and only
    that link's keys may verify it, so shop A's key cannot sign for shop B. A delivery from
    an API URL no shop registered falls to the `default` tenant's single-tenant settings
    (`OPSGRAPH_SALEOR_JWKS_URL` / HMAC secret) and is refused when those are unset.
    """

    def __init__(self, box: Callable[[], SecretBox]) -> None:
        self._box = box
        self._caches: dict[str, JwksCache] = {}

    def keys_for(self, link: SaleorLink) -> JwksCache:
        cache = self._caches.get(link.tenant_id)
        if cache is None or cache.location != link.jwks_url:
            cache = JwksCache(link.jwks_url)
            self._caches[link.tenant_id] = cache
        return cache

    def forget(self, tenant_id: str) -> None:
        """Drop a shop's cached keys (it was installed again, or uninstalled)."""
        self._caches.pop(tenant_id, None)

    async def sender(
        self,
        pool: Pool,
        api_url: str | None,
        *,
        default_tenant: str,
        default_jwks: JwksCache | None,
        default_hmac_secret: str | None,
    ) -> SaleorSender:
        """Who sent this, from its claimed API URL; raises before anything is read. A shop an
        operator disabled is still a sender (its `APP_DELETED` must be heard); the route
        refuses its other deliveries once their signature is checked."""
        link = await self._link(pool, api_url) if api_url else None
        if link is not None:
            if link.uninstalled:
                self.forget(link.tenant_id)
                raise SignatureError("the app was uninstalled from this Saleor shop")
            return SaleorSender(link.tenant_id, self.keys_for(link), None, link)
        if default_jwks is None and not default_hmac_secret:
            if api_url:
                raise SignatureError("no Saleor shop with this API URL installed the app")
            raise SourceNotEnabled("saleor: configure a JWKS location or an HMAC secret")
        return SaleorSender(default_tenant, default_jwks, default_hmac_secret)

    async def _link(self, pool: Pool, api_url: str) -> SaleorLink | None:
        try:
            async with pool.connection() as conn:
                return await link_for_api_url(conn, api_url, box=self._box())
        except SecretBoxError as exc:
            raise KeysUnavailable(f"the shop's link cannot be opened: {exc}") from None


def rsa_keys(document: Any) -> dict[str, RSAPublicKey]:
    """The usable RSA signing keys of a JWKS; other and unparsable entries are skipped."""
    entries = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise KeysUnavailable("JWKS has no 'keys' list")
    keys: dict[str, RSAPublicKey] = {}
    for entry in entries:
        if not isinstance(entry, dict) or entry.get("kty") != "RSA":
            continue
        kid = entry.get("kid")
        if not isinstance(kid, str) or entry.get("use", "sig") != "sig":
            continue
        try:
            key = RSAAlgorithm.from_jwk(entry)
        except (jwt.PyJWTError, ValueError):
            continue
        keys[kid] = key.public_key() if isinstance(key, RSAPrivateKey) else key
    return keys


async def verify_saleor(
    body: bytes,
    headers: Mapping[str, str],
    *,
    jwks: JwksCache | None,
    hmac_secret: str | None,
) -> None:
    """Accept the request only if `Saleor-Signature` is valid for `body`.

    A detached JWS is checked against `jwks`, a hex digest against `hmac_secret`; each form is
    refused when its own credential is not configured, so configuring one never opens the
    other. Raises `SignatureError`, `KeysUnavailable` or `SourceNotEnabled`.
    """
    if jwks is None and not hmac_secret:
        raise SourceNotEnabled("saleor: configure a JWKS location or an HMAC secret")
    signature = require_header(headers, SIGNATURE_HEADER)
    if _is_detached_jws(signature):
        if jwks is None:
            raise SignatureError("JWS signature received but no Saleor JWKS is configured")
        await _verify_jws(body, signature, jwks)
    else:
        if not hmac_secret:
            raise SignatureError("HMAC signature received but no Saleor secret is configured")
        _verify_hmac(body, signature, hmac_secret)


def _is_detached_jws(signature: str) -> bool:
    parts = signature.split(".")
    return len(parts) == 3 and parts[1] == "" and all(parts[::2])


async def _verify_jws(body: bytes, signature: str, jwks: JwksCache) -> None:
    try:
        kid = jwt.get_unverified_header(signature).get("kid")
    except jwt.PyJWTError:
        raise SignatureError(f"malformed {SIGNATURE_HEADER} header") from None
    if not isinstance(kid, str) or not kid:
        raise SignatureError("JWS header has no key id")
    key = await jwks.key_for(kid)
    try:
        jwt.api_jws.decode_complete(signature, key, algorithms=["RS256"], detached_payload=body)
    except jwt.InvalidSignatureError:
        raise SignatureError("signature does not match the body") from None
    except jwt.PyJWTError as exc:
        raise SignatureError(f"invalid JWS: {exc}") from None


def _verify_hmac(body: bytes, signature: str, secret: str) -> None:
    try:
        provided = bytes.fromhex(signature)
    except ValueError:
        raise SignatureError(f"malformed {SIGNATURE_HEADER} header") from None
    expected = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    if not hmac.compare_digest(expected, provided):
        raise SignatureError("signature does not match the body")
