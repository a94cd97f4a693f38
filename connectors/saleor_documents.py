"""Saleor's public GraphQL schema (3.24, shipped in `saleor_schema/`) and document checks.

Every document opsgraph sends to Saleor or asks Saleor to run (webhook subscriptions,
queries, mutations) is checked against this schema, so a field Saleor does not have is
found by a test rather than by a shop at install time.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from graphql import GraphQLError, GraphQLSchema, build_schema, parse, validate

SCHEMA_PACKAGE = "connectors.saleor_schema"
SCHEMA_FILE = "schema.graphql"


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
