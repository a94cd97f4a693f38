"""The shipped Saleor schema and subscription documents: every document validates."""

from __future__ import annotations

import pytest
from graphql import FieldNode, InlineFragmentNode, OperationDefinitionNode, parse

from api.webhooks.claims import saleor_typename
from connectors.saleor_documents import (
    document_errors,
    load_schema,
    subscription_document,
    subscription_events,
)


def test_the_schema_is_saleors_with_its_event_types() -> None:
    schema = load_schema()
    assert schema.subscription_type is not None
    assert "event" in schema.subscription_type.fields
    assert schema.get_type("OrderCreated") is not None
    assert load_schema() is schema  # built once


def test_document_errors_finds_unknown_fields_and_syntax() -> None:
    assert document_errors("query { app { id } }") == []
    (error,) = document_errors("query { app { nope } }")
    assert error.startswith("Cannot query field 'nope' on type 'App'.")
    assert document_errors("subscription { event {")[0].startswith("syntax:")


@pytest.mark.parametrize("event", subscription_events())
def test_every_subscription_document_validates(event: str) -> None:
    assert document_errors(subscription_document(event)) == []


@pytest.mark.parametrize("event", subscription_events())
def test_each_document_names_its_event_type_and_issue_time(event: str) -> None:
    """`__typename` settles the unsigned `Saleor-Event` claim; `issuedAt` the replay window."""
    operation = parse(subscription_document(event)).definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    assert operation.operation.value == "subscription"
    (event_field,) = operation.selection_set.selections
    assert isinstance(event_field, FieldNode) and event_field.selection_set is not None
    selections = event_field.selection_set.selections
    names = [s.name.value for s in selections if isinstance(s, FieldNode)]
    assert names[:2] == ["__typename", "issuedAt"]
    conditions = [
        s.type_condition.name.value
        for s in selections
        if isinstance(s, InlineFragmentNode) and s.type_condition is not None
    ]
    assert conditions == [saleor_typename(event)]


def test_only_the_fragments_a_document_uses_are_appended() -> None:
    assert "fragment" not in subscription_document("app_deleted")
    customer = subscription_document("customer_created")
    assert "fragment OpsgraphCustomer" in customer and "fragment OpsgraphAddress" in customer
    assert "fragment OpsgraphOrder" not in customer
    order = subscription_document("order_created")
    assert "fragment OpsgraphFulfillment" in order and "fragment OpsgraphWarehouse" in order


def test_an_event_without_a_document_is_refused() -> None:
    with pytest.raises(LookupError, match="order_deleted"):
        subscription_document("order_deleted")
    with pytest.raises(LookupError):
        subscription_document("_fragments")


def test_a_wrong_document_would_be_caught() -> None:
    broken = subscription_document("order_created").replace("productSku", "productSkew")
    (error,) = document_errors(broken)
    assert error.startswith("Cannot query field 'productSkew' on type 'OrderLine'.")
