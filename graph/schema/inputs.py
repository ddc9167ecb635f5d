"""Input checks at the edge: every id, string and list an operation carries, before any resolver runs.

Every id in this API is a row id: ASCII digits naming a positive 64-bit integer. Anything else
(`"²"`, `"abc"`, a number beyond 64 bits) names nothing, so it is refused as NOT_FOUND and the
database never sees it. Every string may hold at most `MAX_STRING_LENGTH` characters, and no NUL
(PostgreSQL cannot store it) or unpaired surrogate (not text). Every list holds at most
`MAX_LIST_ITEMS` items. The same checks apply to literals in the document (a validation rule) and to
variables (before execution), so queries, mutations and subscriptions are covered alike.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    ExecutionResult,
    GraphQLError,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    ValidationRule,
    get_named_type,
)
from graphql.utilities import get_operation_ast, type_from_ast
from strawberry.extensions import AddValidationRules, SchemaExtension
from strawberry.types.graphql import OperationType

from domain.kernel.errors import DomainError, ErrorCode, NotFound

MAX_ID = 2**63 - 1  # the largest row id (BIGINT)
MAX_ID_DIGITS = len(str(MAX_ID))
MAX_STRING_LENGTH = 10_000
MAX_LIST_ITEMS = 2000  # above every list rule of the domain (1,000 invitations), which answers more precisely


def parse_id(raw: Any) -> int | None:
    """The row id `raw` names, or None when it cannot (ASCII digits only, at most 64-bit)."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, str):
        if not raw or len(raw) > MAX_ID_DIGITS or not (raw.isascii() and raw.isdigit()):
            return None
        value = int(raw)
    else:
        return None
    return value if 0 <= value <= MAX_ID else None  # 0 names no row, but is "from the start" as a cursor


def check_id(raw: Any) -> None:
    if parse_id(raw) is None:
        raise NotFound("Nothing with that id.")


def check_text(value: str) -> None:
    if len(value) > MAX_STRING_LENGTH:
        raise DomainError(ErrorCode.INVALID_INPUT,
                          f"Text is limited to {MAX_STRING_LENGTH:,} characters; this one has {len(value):,}.",
                          f"Un text poate avea cel mult {MAX_STRING_LENGTH} de caractere; acesta are {len(value)}.")
    if "\x00" in value:
        raise DomainError(ErrorCode.INVALID_INPUT, "Text may not contain the NUL character (\\u0000).",
                          "Textul nu poate conține caracterul NUL (\\u0000).")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise DomainError(ErrorCode.INVALID_INPUT, "Text must be valid Unicode (it holds an unpaired surrogate).",
                          "Textul trebuie să fie Unicode valid (conține un surogat nepereche).") from None


def check_list(items: list | tuple) -> None:
    if len(items) > MAX_LIST_ITEMS:
        raise DomainError(ErrorCode.TOO_MANY_ITEMS,
                          f"A list may hold at most {MAX_LIST_ITEMS:,} items; this one has {len(items):,}.",
                          f"O listă poate avea cel mult {MAX_LIST_ITEMS} de elemente; aceasta are {len(items)}.")


def check_scalar(type_name: str, value: Any) -> None:
    if type_name == "ID":
        if isinstance(value, (str, int)):
            check_id(value)
    elif type_name == "String" and isinstance(value, str):
        check_text(value)


def check_value(type_: Any, value: Any) -> None:
    """Check a variable's raw value against its declared input type (wrong kinds are left to coercion)."""
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    if value is None:
        return
    if isinstance(type_, GraphQLList):
        if isinstance(value, (list, tuple)):
            check_list(value)
            for item in value:
                check_value(type_.of_type, item)
        else:
            check_value(type_.of_type, value)
    elif isinstance(type_, GraphQLInputObjectType):
        if isinstance(value, dict):
            for name, field in type_.fields.items():
                if name in value:
                    check_value(field.type, value[name])
    elif isinstance(type_, GraphQLScalarType):
        check_scalar(type_.name, value)


class InputLimitsRule(ValidationRule):
    """The same checks for the literals written in the document."""

    def _check(self, node: Any, check, *args: Any) -> None:
        try:
            check(*args)
        except (DomainError, NotFound) as exc:
            self.report_error(GraphQLError(str(exc), node, original_error=exc))

    def _input_type_name(self) -> str | None:
        named = get_named_type(self.context.get_input_type())
        return named.name if named is not None else None

    def enter_string_value(self, node, *_args) -> None:
        name = self._input_type_name()
        if name in ("ID", "String"):
            self._check(node, check_scalar, name, node.value)

    def enter_int_value(self, node, *_args) -> None:
        if self._input_type_name() == "ID":
            self._check(node, check_id, node.value)

    def enter_list_value(self, node, *_args) -> None:
        self._check(node, check_list, node.values)


class InputLimits(SchemaExtension):
    """Checks the operation's variables before it executes (literals are checked by `InputLimitsRule`)."""

    def on_execute(self):
        ctx = self.execution_context
        try:
            self.check_variables()
        except (DomainError, NotFound) as exc:
            if ctx.operation_type is OperationType.SUBSCRIPTION:
                raise  # the subscription path turns it into the stream's one error result
            # Queries and mutations stop here: a result already set is what strawberry returns.
            ctx.result = ExecutionResult(data=None, errors=[GraphQLError(str(exc), original_error=exc)])
        yield

    def check_variables(self) -> None:
        ctx = self.execution_context
        variables = ctx.variables
        if not variables or not isinstance(variables, dict) or ctx.graphql_document is None:
            return
        operation = get_operation_ast(ctx.graphql_document, ctx.operation_name)
        if operation is None:
            return
        schema = ctx.schema._schema
        for definition in operation.variable_definitions or ():
            name = definition.variable.name.value
            if name in variables:
                check_value(type_from_ast(schema, definition.type), variables[name])


def input_limit_extensions() -> list:
    return [lambda: AddValidationRules([InputLimitsRule]), InputLimits]
