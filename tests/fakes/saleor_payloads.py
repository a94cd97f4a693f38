"""Webhook bodies shaped by the shipped subscription documents, as Saleor would send them.

Saleor answers a subscription webhook with the data of its `event` field: exactly the fields
the document selects, typed as the schema says. `sample_payload` walks the document with the
schema and fills every selected field with a plausible value of its type (lists get two
items), so a test sees the shape the normalizer will get from a real shop — and a field the
normalizer reads but the document does not ask for is missing here too.
"""

from __future__ import annotations

import base64
import itertools
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLEnumType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    is_abstract_type,
    parse,
)

from api.webhooks.claims import saleor_typename
from connectors.saleor_documents import load_schema, subscription_document

Json = dict[str, Any]

# Values for fields the normalizer and the tools read, by field name.
NAMED_VALUES: Mapping[str, Any] = {
    "email": "buyer@example.com",
    "userEmail": "buyer@example.com",
    "currency": "USD",
    "code": "US",
    "amount": 60.25,
    "quantity": 2,
    "quantityFulfilled": 0,
    "quantityToFulfill": 2,
    "quantityAllocated": 0,
    "firstName": "Ada",
    "lastName": "Lovelace",
    "trackingNumber": "TRACK-1",
    "description": json.dumps({"blocks": [{"type": "paragraph", "data": {"text": "Warm."}}]}),
}


class SampleBuilder:
    """One payload's worth of deterministic values: ids and SKUs numbered in order."""

    def __init__(self, issued_at: datetime) -> None:
        self.issued_at = issued_at
        self.counter = itertools.count(1)
        self.fragments: dict[str, FragmentDefinitionNode] = {}

    def object(self, selection: SelectionSetNode, parent: GraphQLObjectType) -> Json:
        out: Json = {}
        for node in selection.selections:
            if isinstance(node, FieldNode):
                key = node.alias.value if node.alias else node.name.value
                if node.name.value == "__typename":
                    out[key] = parent.name
                    continue
                field = parent.fields[node.name.value]
                out[key] = self.value(field.type, node, parent, key)
            elif isinstance(node, InlineFragmentNode):
                condition = node.type_condition
                if condition is None or condition.name.value == parent.name:
                    out.update(self.object(node.selection_set, parent))
            elif isinstance(node, FragmentSpreadNode):
                fragment = self.fragments[node.name.value]
                if fragment.type_condition.name.value in (parent.name, *_interfaces(parent)):
                    out.update(self.object(fragment.selection_set, parent))
        return out

    def value(
        self, kind: GraphQLOutputType, node: FieldNode, parent: GraphQLObjectType, key: str
    ) -> Any:
        if isinstance(kind, GraphQLNonNull):
            return self.value(kind.of_type, node, parent, key)
        if isinstance(kind, GraphQLList):
            return [self.value(kind.of_type, node, parent, key) for _ in range(2)]
        if isinstance(kind, GraphQLObjectType):
            assert node.selection_set is not None
            return self.object(node.selection_set, kind)
        if isinstance(kind, GraphQLEnumType):
            return next(iter(kind.values))
        assert isinstance(kind, GraphQLScalarType), f"unexpected type {kind}"
        return self.scalar(kind, node.name.value, parent)

    def scalar(self, kind: GraphQLNamedType, name: str, parent: GraphQLObjectType) -> Any:
        number = next(self.counter)
        if name in NAMED_VALUES:
            return NAMED_VALUES[name]
        if kind.name == "ID" or name.endswith("Id"):
            return base64.b64encode(f"{parent.name}:{number}".encode()).decode()
        if name in ("sku", "productSku"):
            return f"SKU-{number}"
        if kind.name == "DateTime":
            return self.issued_at.isoformat()
        if kind.name in ("Int",):
            return number
        if kind.name in ("Float", "Decimal", "PositiveDecimal", "PositiveInt"):
            return float(number)
        if kind.name == "Boolean":
            return False
        if kind.name == "JSONString":
            return "{}"
        return f"{name}-{number}"


def _interfaces(kind: GraphQLObjectType) -> list[str]:
    return [interface.name for interface in kind.interfaces]


def sample_payload(
    event_name: str,
    *,
    overrides: Mapping[str, Any] | None = None,
    issued_at: datetime | None = None,
) -> Json:
    """The body Saleor sends for `event_name` with the shipped document.

    `overrides` sets values by dotted path (`order.status`, `order.lines.0.quantity`), for
    the states an event implies (a cancelled order's `CANCELED`).
    """
    schema = load_schema()
    document = parse(subscription_document(event_name))
    builder = SampleBuilder(issued_at or datetime.now(UTC))
    operation = None
    for definition in document.definitions:
        if isinstance(definition, FragmentDefinitionNode):
            builder.fragments[definition.name.value] = definition
        elif isinstance(definition, OperationDefinitionNode):
            operation = definition
    assert operation is not None and schema.subscription_type is not None
    event_field = operation.selection_set.selections[0]
    assert isinstance(event_field, FieldNode) and event_field.selection_set is not None
    event_type = schema.get_type(saleor_typename(event_name))
    assert isinstance(event_type, GraphQLObjectType), f"no event type for {event_name}"
    declared = schema.subscription_type.fields["event"].type
    assert is_abstract_type(declared), "Saleor's `event` field is the Event interface"
    payload = builder.object(event_field.selection_set, event_type)
    for path, value in (overrides or {}).items():
        _set(payload, path.split("."), value)
    return payload


def _set(target: Any, path: list[str], value: Any) -> None:
    head, *rest = path
    key: Any = int(head) if isinstance(target, list) else head
    if not rest:
        target[key] = value
        return
    _set(target[key], rest, value)
