"""`UserError`, the error codes, and the one place domain errors become API errors."""

from __future__ import annotations

import functools
import logging
from typing import Any, Awaitable, Callable, TypeVar

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaskErrors

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


class ApiErrors(MaskErrors):
    """Access errors keep their message and get `extensions.code`; GraphQL's own validation errors
    pass through; anything else is logged with its traceback and masked (no stack trace, no SQL)."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=self._should_mask, error_message="Internal server error.")

    @staticmethod
    def _should_mask(error: GraphQLError) -> bool:
        return error.original_error is not None and not isinstance(error.original_error, AccessError)

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        out = []
        for error in errors:
            original = error.original_error
            if isinstance(original, AccessError):
                out.append(GraphQLError(str(original), nodes=error.nodes, source=error.source, positions=error.positions,
                                        path=error.path, extensions={"code": original.code}))
            elif isinstance(original, (DomainError, DomainErrors)):
                # A domain error outside a payload (queries): surfaced as BAD_USER_INPUT with its code.
                first = original.errors[0] if isinstance(original, DomainErrors) else original
                lang = getattr(self.execution_context.context, "lang", "en")
                out.append(GraphQLError(first.message(lang), nodes=error.nodes, source=error.source, positions=error.positions,
                                        path=error.path, extensions={"code": str(first.code)}))
            elif self._should_mask(error):
                log.error("internal error in %s", error.path, exc_info=original)
                masked = self.anonymise_error(error)
                masked.extensions = {"code": "INTERNAL_SERVER_ERROR"}
                out.append(masked)
            else:
                out.append(error)
        return out
