"""Saleor's public GraphQL schema (3.24, shipped in `saleor_schema/`) and document checks.

Every document opsgraph sends to Saleor or asks Saleor to run (webhook subscriptions,
queries, mutations) is checked against this schema, so a field Saleor does not have is
found by a test rather than by a shop at install time.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    Visitor,
    build_schema,
    parse,
    print_ast,
    validate,
    visit,
)

SCHEMA_PACKAGE = "connectors.saleor_schema"
SCHEMA_FILE = "schema.graphql"
SUBSCRIPTIONS_PACKAGE = "connectors.saleor_subscriptions"
FRAGMENTS_FILE = "_fragments.graphql"


@cache
def load_schema() -> GraphQLSchema:
    """The shipped schema, built once per process (about a megabyte of SDL)."""
    text = resources.files(SCHEMA_PACKAGE).joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
    return build_schema(text)


def document_errors(text: str) -> list[str]:
    """What is wrong with a GraphQL document against the schema; [] when it is valid."""
    try:
        document = parse(text)
    except GraphQLError as exc:
        return [f"syntax: {exc.message}"]
    return [error.message for error in validate(load_schema(), document)]


def subscription_events() -> list[str]:
    """The Saleor events (as `Saleor-Event` spells them) opsgraph ships a subscription for."""
    folder = resources.files(SUBSCRIPTIONS_PACKAGE)
    return sorted(
        entry.name.removesuffix(".graphql")
        for entry in folder.iterdir()
        if entry.name.endswith(".graphql") and not entry.name.startswith("_")
    )


@cache
def subscription_document(event_name: str) -> str:
    """The subscription query for one Saleor event, with the shared fragments it uses.

    Saleor takes one self-contained document per webhook, and a document must not carry
    fragments it does not use, so only the fragments reachable from the event's own
    selection are appended. Raises LookupError for an event opsgraph has no document for.
    """
    folder = resources.files(SUBSCRIPTIONS_PACKAGE)
    entry = folder.joinpath(f"{event_name}.graphql")
    if event_name.startswith("_") or not entry.is_file():
        raise LookupError(f"no subscription document for Saleor event {event_name!r}")
    operation = parse(entry.read_text(encoding="utf-8"))
    fragments = _shared_fragments()
    needed: dict[str, FragmentDefinitionNode] = {}
    pending = _spreads(operation)
    while pending:
        name = pending.pop()
        if name in needed:
            continue
        if name not in fragments:
            raise LookupError(f"{event_name}.graphql uses unknown fragment {name!r}")
        needed[name] = fragments[name]
        pending |= _spreads(fragments[name])
    document = DocumentNode(definitions=(*operation.definitions, *needed.values()))
    return print_ast(document)


@cache
def _shared_fragments() -> dict[str, FragmentDefinitionNode]:
    text = resources.files(SUBSCRIPTIONS_PACKAGE).joinpath(FRAGMENTS_FILE).read_text("utf-8")
    return {
        definition.name.value: definition
        for definition in parse(text).definitions
        if isinstance(definition, FragmentDefinitionNode)
    }


def _spreads(node: DocumentNode | FragmentDefinitionNode) -> set[str]:
    found: set[str] = set()

    class Collect(Visitor):
        def enter_fragment_spread(self, spread: FragmentSpreadNode, *_: object) -> None:
            found.add(spread.name.value)

    visit(node, Collect())
    return found
