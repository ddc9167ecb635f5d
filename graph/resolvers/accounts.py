"""Sign-up, sign-in, sign-out and `me`."""

from __future__ import annotations

import strawberry

from domain.accounts import service as accounts
from graph.context import Info
from graph.schema.accounts import AuthPayload, SignUpInput, User
from graph.schema.errors import returns_payload

MAX_EMAIL_LENGTH = 254  # RFC 5321's limit, and the longest address an account can have


def auth_payload(signed_in: accounts.SignedIn) -> AuthPayload:
    return AuthPayload(token=signed_in.token, user=User.of(signed_in.user))


@strawberry.type
class Query:
    @strawberry.field(description="The signed-in user, or null without a session.")
    def me(self, info: Info) -> User | None:
        viewer = info.context.viewer
        return User.of(viewer) if viewer else None


@strawberry.type
class Mutation:
    @strawberry.mutation
    @returns_payload(AuthPayload)
    async def sign_up(self, info: Info, input: SignUpInput) -> AuthPayload:
        ctx = info.context
        signed_in = await accounts.sign_up(email=input.email, password=input.password, name=input.name, phone=input.phone,
                                           locale=input.locale or "ro",
                                           ttl_seconds=ctx.settings.session_ttl_seconds, client_address=ctx.client_address,
                                           limit_per_address=ctx.settings.signups_per_address_hour)
        return auth_payload(signed_in)

    @strawberry.mutation
    @returns_payload(AuthPayload)
    async def sign_in(self, info: Info, email: str, password: str) -> AuthPayload:
        ctx = info.context
        if len(email.strip()) > MAX_EMAIL_LENGTH:  # no account has such an address: not worth a query
            raise accounts._bad_credentials()
        signed_in = await accounts.sign_in(email=email, password=password, ttl_seconds=ctx.settings.session_ttl_seconds,
                                           client_address=ctx.client_address)
        return auth_payload(signed_in)

    @strawberry.mutation(description="Revoke the current session; false when there was none.")
    async def sign_out(self, info: Info) -> bool:
        session = info.context.session
        if session is None:
            return False
        revoked = await accounts.sign_out(session.id)
        await info.context.services.sessions_revoked(session.id)
        return revoked
