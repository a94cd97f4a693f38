"""What the Saleor App side is configured with, built once from the settings."""

from __future__ import annotations

from functools import cached_property

import httpx

from runtime.saleor_links import normalize_api_url
from runtime.secretbox import SecretBox
from runtime.settings import Settings


class SaleorAppConfig:
    """The public URL, the install allowlist, the secret box, and how to reach shops.

    `transport` is for tests that answer for a shop in-process; production leaves it unset.
    The box is opened on first use, so a service that never links a shop makes no key file.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout_s: float = 10.0,
    ) -> None:
        self._settings = settings
        self.public_url = settings.public_url
        self.allowed_api_urls = frozenset(
            normalize_api_url(url) for url in settings.saleor_allowed_api_urls
        )
        self.transport = transport
        self.timeout_s = timeout_s

    @cached_property
    def box(self) -> SecretBox:
        return SecretBox.from_settings(self._settings)

    def client(self) -> httpx.AsyncClient:
        """A client for calls to a shop; redirects are not followed (the origin is fixed)."""
        return httpx.AsyncClient(
            transport=self.transport, timeout=self.timeout_s, follow_redirects=False
        )
