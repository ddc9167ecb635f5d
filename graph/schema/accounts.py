"""Types of accounts and sessions."""

from __future__ import annotations

import strawberry

from domain.accounts.models import User as UserModel
from graph.schema.errors import UserError


@strawberry.type
class User:
    id: strawberry.ID
    email: str
    name: str
    phone: str | None

    @staticmethod
    def of(user: UserModel) -> "User":
        return User(id=strawberry.ID(str(user.id)), email=user.email, name=user.name, phone=user.phone)


@strawberry.type
class AuthPayload:
    token: str | None = None
    user: User | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class SignUpInput:
    email: str
    password: str
    name: str
    phone: str | None = None
    locale: str | None = strawberry.field(default=None, description="`ro` (default) or `en`: the language of e-mails and notifications.")
