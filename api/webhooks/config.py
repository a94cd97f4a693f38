"""What each webhook source is configured with, built once from the settings."""

from __future__ import annotations

from dataclasses import dataclass, field

from api.webhooks.saleor import JwksCache
from api.webhooks.standard import parse_standard_secrets
from runtime.secretbox import SecretBox
from runtime.settings import Settings
from runtime.webhook_sources import SourceSecrets

WEBHOOK_TENANT = "default"
RESERVED_SOURCES = frozenset({"saleor", "shopify", "stripe", "api"})


@dataclass(frozen=True)
class WebhookConfig:
    saleor_jwks: JwksCache | None
    saleor_hmac_secret: str | None
    shopify_secrets: list[str]
    stripe_secrets: list[str]
    stripe_tolerance_s: int
    standard_secrets: dict[str, str] = field(default_factory=dict)
    max_body_bytes: int = 1_048_576
    max_age_s: float = 900.0
    tenant_id: str = WEBHOOK_TENANT
    tenant_sources: SourceSecrets | None = None
    """Other tenants' secrets (`/webhooks/{source}/t/{tenant}`); None: those URLs answer 404."""

    @property
    def saleor_enabled(self) -> bool:
        return self.saleor_jwks is not None or bool(self.saleor_hmac_secret)

    @classmethod
    def from_settings(cls, settings: Settings) -> WebhookConfig:
        """Parse and validate the secrets now, so a bad value stops start-up, not a request."""
        hmac_secret = settings.saleor_hmac_secret
        standard = settings.standard_webhook_secrets
        standard_secrets = parse_standard_secrets(standard.get_secret_value()) if standard else {}
        reserved = sorted(RESERVED_SOURCES & standard_secrets.keys())
        if reserved:
            raise ValueError(f"standard webhook source names {reserved} are reserved")
        return cls(
            saleor_jwks=JwksCache(settings.saleor_jwks_url) if settings.saleor_jwks_url else None,
            saleor_hmac_secret=hmac_secret.get_secret_value() if hmac_secret else None,
            shopify_secrets=settings.secret_list("shopify_secrets"),
            stripe_secrets=settings.secret_list("stripe_secrets"),
            stripe_tolerance_s=settings.stripe_tolerance_s,
            standard_secrets=standard_secrets,
            max_body_bytes=settings.max_body_bytes,
            max_age_s=settings.webhook_max_age_s,
            tenant_sources=SourceSecrets(lambda: SecretBox.from_settings(settings)),
        )
