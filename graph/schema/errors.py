"""`UserError`, the error codes, and the one place domain errors become API errors."""

from __future__ import annotations

import functools
import logging
import re
from typing import Any, Awaitable, Callable, TypeVar

import strawberry
from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import GraphQLError
from prometheus_client import Counter
from strawberry.extensions import MaskErrors, SchemaExtension
from strawberry.extensions.context import StreamResultContextManager
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.types.execution import ExecutionResult

from domain.kernel.errors import AccessError, DomainError, DomainErrors
from domain.kernel.errors import ErrorCode as DomainErrorCode

log = logging.getLogger("portofoliu.graphql")

ErrorCode = strawberry.enum(DomainErrorCode, name="ErrorCode")


@strawberry.type
class UserError:
    code: ErrorCode
    field: list[str] | None
    message: str


def user_error(error: DomainError, lang: str) -> UserError:
    return UserError(code=error.code, field=error.field, message=error.message(lang))


def user_errors(exc: DomainError | DomainErrors, lang: str) -> list[UserError]:
    errors = exc.errors if isinstance(exc, DomainErrors) else [exc]
    return [user_error(e, lang) for e in errors]


P = TypeVar("P")


def returns_payload(payload: type[P]) -> Callable[[Callable[..., Awaitable[P]]], Callable[..., Awaitable[P]]]:
    """Turn `DomainError`s raised by a mutation into `payload(errors=[...])` (other fields empty)."""

    def decorate(resolver):
        @functools.wraps(resolver)
        async def wrapper(*args: Any, **kwargs: Any):
            try:
                return await resolver(*args, **kwargs)
            except (DomainError, DomainErrors) as exc:
                info = kwargs.get("info")
                lang = info.context.lang if info is not None else "en"
                return payload(errors=user_errors(exc, lang))

        return wrapper

    return decorate


GRAPHQL_ERRORS = Counter("portofoliu_graphql_errors_total", "GraphQL errors answered, by code", ["code"])
SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")
LOGGED_CHARS = 300


def clip(text: object, limit: int = LOGGED_CHARS) -> str:
    """A value as logged: at most `limit` characters, saying how long it really was."""
    text = str(text)
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text):,} characters)"


def error_kind(error: GraphQLError) -> str:
    """`access`, `domain`, `request` (parse, validation, variables) or `internal` (a bug: masked)."""
    original = error.original_error
    if isinstance(original, AccessError):
        return "access"
    if isinstance(original, (DomainError, DomainErrors)):
        return "domain"
    if original is None or isinstance(original, GraphQLError):
        return "request"
    if isinstance(original, RecursionError) and error.path is None:
        return "request"  # a document nested too deeply for the parser
    return "internal"


def request_error_code(error: GraphQLError) -> str:
    """A validation rule of ours names its own code (e.g. TOO_MANY_ITEMS); GraphQL's own errors get
    GRAPHQL_PARSE_FAILED or GRAPHQL_VALIDATION_FAILED."""
    if code := (error.extensions or {}).get("code"):
        return str(code)
    return "GRAPHQL_PARSE_FAILED" if error.message.startswith("Syntax Error") else "GRAPHQL_VALIDATION_FAILED"


class _StreamResultHooks(StreamResultContextManager):
    """Strawberry's hooks around one streamed result, with the hooks found once per operation."""

    def __init__(self, hooks: list, result: Any) -> None:  # noqa: D107 - the base would look the hooks up again
        self.hooks = hooks
        self.result = result


class _ExtensionsRunner(SchemaExtensionsRunner):
    """Strawberry's runner; a subscription's `on_stream_result` hooks are looked up (and wrapped as
    context managers) at its first event rather than at every one."""

    _stream_hooks: list | None = None

    def on_stream_result(self, result: Any) -> StreamResultContextManager:
        if self._stream_hooks is None:
            self._stream_hooks = StreamResultContextManager(self.extensions, result).hooks
        return _StreamResultHooks(self._stream_hooks, result)


class PortofoliuSchema(strawberry.Schema):
    """Logs each error once, before masking: a refused operation is one INFO line (values clipped),
    only an internal error is logged at ERROR with its traceback."""

    def create_extensions_runner(self, execution_context, extensions):
        return _ExtensionsRunner(execution_context=execution_context, extensions=extensions)

    async def _handle_execution_result(self, context, result, extensions_runner, *, skip_process_errors: bool = False):
        # A result without errors, when no extension adds results of its own (none of this schema's
        # does): what Strawberry's own handling gives, without awaiting every extension for nothing
        # (a subscription event pays this per event, a burst thousands of times).
        if (type(result) is GraphQLExecutionResult and not result.errors
                and all(type(extension).get_results is SchemaExtension.get_results for extension in extensions_runner.extensions)):
            answer = ExecutionResult(data=result.data, errors=None, extensions=dict(context.extensions_results))
            context.result = answer
            return answer
        return await super()._handle_execution_result(context, result, extensions_runner, skip_process_errors=skip_process_errors)

    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        for error in errors:
            kind = error_kind(error)
            if kind == "internal":
                GRAPHQL_ERRORS.labels("INTERNAL_SERVER_ERROR").inc()
                log.error("internal error in %s: %s", error.path, clip(error.message), exc_info=error.original_error)
                continue
            if kind == "domain":
                original = error.original_error
                code = str((original.errors[0] if isinstance(original, DomainErrors) else original).code)
            elif kind == "access":
                code = error.original_error.code
            else:
                code = request_error_code(error) if error.path is None else "ERROR"
            GRAPHQL_ERRORS.labels(code).inc()
            log.info("refused (%s) at %s: %s", code, error.path or "-", clip(error.message))


class ApiErrors(MaskErrors):
    """Access and domain errors keep their message and get `extensions.code`; GraphQL's own parse,
    validation and variable errors get GRAPHQL_PARSE_FAILED / GRAPHQL_VALIDATION_FAILED; anything else
    is masked as INTERNAL_SERVER_ERROR (no stack trace, no SQL). Without `suggestions` the
    "Did you mean ...?" hints are cut from every message."""

    def __init__(self, *, suggestions: bool = True) -> None:
        super().__init__(should_mask_error=self._should_mask, error_message="Internal server error.")
        self.suggestions = suggestions

    @staticmethod
    def _should_mask(error: GraphQLError) -> bool:
        return error_kind(error) == "internal"

    def _process_result(self, result: object) -> None:
        # MaskErrors asks `isinstance(result, <a runtime-checkable Protocol>)`, which costs more than
        # the rest of a subscription event's handling; reading the attribute answers the same.
        errors = getattr(result, "errors", None)
        if errors:
            result.errors = self._process_errors(errors)

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        out = []
        for error in errors:
            original = error.original_error
            kind = error_kind(error)
            if kind == "access":
                out.append(GraphQLError(str(original), nodes=error.nodes, source=error.source, positions=error.positions,
                                        path=error.path, extensions={"code": original.code}))
            elif kind == "domain":
                # A domain error outside a payload (queries, checks at the edge): its code and message.
                first = original.errors[0] if isinstance(original, DomainErrors) else original
                lang = getattr(self.execution_context.context, "lang", "en")
                out.append(GraphQLError(first.message(lang), nodes=error.nodes, source=error.source, positions=error.positions,
                                        path=error.path, extensions={"code": str(first.code)}))
            elif kind == "internal":
                masked = self.anonymise_error(error)
                masked.extensions = {"code": "INTERNAL_SERVER_ERROR"}
                out.append(masked)
            elif error.path is None:
                message = "The document is nested too deeply." if isinstance(original, RecursionError) else error.message
                out.append(GraphQLError(message, nodes=error.nodes, source=error.source, positions=error.positions,
                                        extensions={**(error.extensions or {}), "code": request_error_code(error)}))
            else:
                out.append(error)
        if not self.suggestions:
            for error in out:
                error.message = SUGGESTION.sub("", error.message)
        return out
