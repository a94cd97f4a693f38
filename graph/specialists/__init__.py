"""Specialists, one module each; `SPECIALISTS` indexes them by name."""

from __future__ import annotations

from collections.abc import Mapping

from graph.specialists import (
    channel_sync,
    content_drafting,
    fraud_review,
    invoicing,
    lead_scoring,
)
from graph.specialists.base import Specialist

SPECIALISTS: Mapping[str, Specialist] = {
    module.SPECIALIST.name: module.SPECIALIST
    for module in (fraud_review, lead_scoring, invoicing, content_drafting, channel_sync)
}


def specialists_of(domain: str) -> dict[str, Specialist]:
    return {name: spec for name, spec in SPECIALISTS.items() if spec.domain == domain}
