"""Typed domain errors. The API maps them, in one place, to `UserError`s or top-level GraphQL errors.

Messages are written for people, in English and Romanian; the API picks one by `Accept-Language`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Sequence


class ErrorCode(StrEnum):
    INVALID_INPUT = "INVALID_INPUT"
    INVALID_CUI = "INVALID_CUI"
    INVALID_EMAIL = "INVALID_EMAIL"
    INVALID_PHONE = "INVALID_PHONE"
    INVALID_PASSWORD = "INVALID_PASSWORD"
    EMAIL_TAKEN = "EMAIL_TAKEN"
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    COMPANY_EXISTS = "COMPANY_EXISTS"
    COMPANY_NOT_FOUND_IN_REGISTRY = "COMPANY_NOT_FOUND_IN_REGISTRY"
    ACCOUNTING_SERVICES_DISABLED = "ACCOUNTING_SERVICES_DISABLED"
    EFACTURA_NOT_AUTHORIZED = "EFACTURA_NOT_AUTHORIZED"
    EFACTURA_AUTHORIZATION_FAILED = "EFACTURA_AUTHORIZATION_FAILED"
    ANAF_UNAVAILABLE = "ANAF_UNAVAILABLE"
    NOT_IN_PORTFOLIO = "NOT_IN_PORTFOLIO"
    ALREADY_INVITED = "ALREADY_INVITED"
    ALREADY_COLLABORATING = "ALREADY_COLLABORATING"
    INVITATION_EXPIRED = "INVITATION_EXPIRED"
    INVITATION_REVOKED = "INVITATION_REVOKED"
    INVITATION_ALREADY_USED = "INVITATION_ALREADY_USED"
    INVITATION_NOT_FOUND = "INVITATION_NOT_FOUND"
    INVITATION_EMAIL_MISMATCH = "INVITATION_EMAIL_MISMATCH"
    INVALID_STATE = "INVALID_STATE"
    PAIRING_INVALID = "PAIRING_INVALID"
    NO_EFACTURA_RIGHTS = "NO_EFACTURA_RIGHTS"
    TOO_MANY_ITEMS = "TOO_MANY_ITEMS"
    RATE_LIMITED = "RATE_LIMITED"


class DomainError(Exception):
    """A business or input problem the person can act on; becomes a `UserError`."""

    def __init__(self, code: ErrorCode, en: str, ro: str | None = None, *, field: Sequence[str] | None = None):
        super().__init__(en)
        self.code = code
        self.en = en
        self.ro = ro or en
        self.field = list(field) if field else None

    def message(self, lang: str) -> str:
        return self.ro if lang == "ro" else self.en

    def at(self, *path: str) -> "DomainError":
        """The same error, reported at an input path (e.g. `("invitations", "3", "email")`)."""
        return DomainError(self.code, self.en, self.ro, field=[*path, *(self.field or [])])

    def __repr__(self) -> str:
        return f"DomainError({self.code}, {self.en!r}, field={self.field})"


class DomainErrors(Exception):
    """Several input problems found at once (every bad field, not just the first)."""

    def __init__(self, errors: Sequence[DomainError]):
        super().__init__("; ".join(e.en for e in errors))
        self.errors = list(errors)


class AccessError(Exception):
    """Not a business error: becomes a top-level GraphQL error with `extensions.code`."""

    code = "FORBIDDEN"

    def __init__(self, message: str | None = None):
        super().__init__(message or self.default_message)

    default_message = "You may not do that."


class Unauthenticated(AccessError):
    code = "UNAUTHENTICATED"
    default_message = "Sign in first: the session is missing, expired or revoked."


class Forbidden(AccessError):
    code = "FORBIDDEN"
    default_message = "You are not allowed to do this for that company."


class NotFound(AccessError):
    code = "NOT_FOUND"
    default_message = "Not found."
