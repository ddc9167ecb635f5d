"""Parsed and validated documents cached per query text (Strawberry's ParserCache and
ValidationCache), leaving every document they cannot handle to Strawberry's own parsing and
validation, which report its errors exactly as without the caches."""

from __future__ import annotations

from collections.abc import Iterator

from strawberry.extensions import ParserCache, ValidationCache


class DocumentCache(ParserCache):
    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        try:
            context.graphql_document = self.cached_parse_document(context.query, **context.parse_options)
        except Exception:  # noqa: BLE001 - a syntax error, too many tokens, nested too deeply: parsed (and reported) again by Strawberry
            context.graphql_document = None
        yield


class ValidatedDocumentCache(ValidationCache):
    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        try:
            context.pre_execution_errors = self.cached_validate_document(context.schema._schema, context.graphql_document,
                                                                         context.validation_rules)
        except RecursionError:  # too deep to be a cache key: validated by Strawberry
            context.pre_execution_errors = None
        yield
