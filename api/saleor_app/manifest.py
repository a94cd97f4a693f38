"""The Saleor App manifest: what the dashboard reads to install opsgraph in a shop.

Its webhooks are derived, not listed: every Saleor event the webhook normalizer maps to an
event type the registry accepts (`api.webhooks.normalize.SALEOR`, `graph.routing.REGISTRY`),
plus `APP_DELETED`, which disables the shop's link. Each carries the subscription document
shipped for it (`connectors/saleor_subscriptions/`), and its permissions follow from the
events and from what the commerce tools do in Saleor.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from api.webhooks.normalize import SALEOR
from connectors.saleor_documents import subscription_document
from graph.routing import REGISTRY

APP_ID = "opsgraph"
APP_NAME = "opsgraph"
ABOUT = (
    "Agents for order, catalogue and customer operations: fraud review, fulfilment, "
    "SEO copy and follow-ups, with risky actions held for a reviewer's approval."
)
UNINSTALL_EVENT = "app_deleted"
WEBHOOK_PATH = "/webhooks/saleor"
REGISTER_PATH = "/saleor/register"
APP_PATH = "/inbox"

# Saleor's own rule (saleor/webhook/event_types.py): the permission an app needs to
# subscribe to an event, by the event's record.
EVENT_PERMISSION: Mapping[str, str] = {
    "order": "MANAGE_ORDERS",
    "fulfillment": "MANAGE_ORDERS",
    "invoice": "MANAGE_ORDERS",
    "product": "MANAGE_PRODUCTS",
    "customer": "MANAGE_USERS",
    "app": "MANAGE_APPS",
}
# What the commerce tools do in the shop, by the permission it takes.
ACTION_PERMISSION: Mapping[str, str] = {
    "MANAGE_ORDERS": "read orders, fulfil (orderFulfill), cancel (orderCancel), order notes",
    "MANAGE_PRODUCTS": "read stock per warehouse, write SEO and descriptions (productUpdate)",
}


@cache
def app_version() -> str:
    try:
        return version("opsgraph")
    except PackageNotFoundError:
        return "0.0.0"


def handled_events() -> list[str]:
    """The Saleor events (lowercase, as `Saleor-Event` spells them) the registry routes."""
    return sorted(name for name, route in SALEOR.items() if REGISTRY.accepts(route.canonical))


def subscribed_events() -> list[str]:
    """What the manifest subscribes to: the handled events and the uninstall notice."""
    return [*handled_events(), UNINSTALL_EVENT]


def event_permission(event_name: str) -> str:
    record = event_name.split("_", 1)[0]
    try:
        return EVENT_PERMISSION[record]
    except KeyError:
        raise LookupError(f"no Saleor permission known for event {event_name!r}") from None


def permissions() -> list[str]:
    """Only what the subscribed events and the tools' actions need."""
    needed = {event_permission(name) for name in subscribed_events()} | set(ACTION_PERMISSION)
    return sorted(needed)


def webhook(event_name: str, public_url: str) -> dict[str, Any]:
    return {
        "name": f"opsgraph {event_name.replace('_', ' ')}",
        "asyncEvents": [event_name.upper()],
        "query": subscription_document(event_name),
        "targetUrl": f"{public_url}{WEBHOOK_PATH}",
        "isActive": True,
    }


def build_manifest(public_url: str) -> dict[str, Any]:
    """The manifest, with every URL absolute under `public_url` (no trailing slash)."""
    return {
        "id": APP_ID,
        "version": app_version(),
        "name": APP_NAME,
        "about": ABOUT,
        "author": "opsgraph",
        "permissions": permissions(),
        "appUrl": f"{public_url}{APP_PATH}",
        "tokenTargetUrl": f"{public_url}{REGISTER_PATH}",
        "homepageUrl": public_url,
        "requiredSaleorVersion": "^3.20",
        "extensions": [],
        "webhooks": [webhook(name, public_url) for name in subscribed_events()],
    }
