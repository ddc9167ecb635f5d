"""The Strawberry ASGI app: context from the bearer token (HTTP) or `connection_init` (WebSocket)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from domain import accounts
from graph.context import Context, preferred_language

MAX_SUBSCRIPTIONS_PER_CONNECTION = 20


def bearer_token(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    scheme, _, token = value.strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def client_address(request: Request | WebSocket) -> str | None:
    return request.client.host if request.client else None


class PortofoliuGraphQL(GraphQL):
    def __init__(self, schema, *, graphiql: bool, allowed_origins: tuple[str, ...]):
        super().__init__(
            schema,
            graphql_ide="graphiql" if graphiql else None,
            allow_queries_via_get=False,  # GET would let a cross-site <img> run queries with cookies-less tokens; keep it POST
            subscription_protocols=[GRAPHQL_TRANSPORT_WS_PROTOCOL],  # only graphql-transport-ws (STACK_NOTES)
            max_subscriptions_per_connection=MAX_SUBSCRIPTIONS_PER_CONNECTION,
            allowed_origins=allowed_origins,
        )

    async def get_context(self, request: Request | WebSocket, response: Any = None) -> Context:
        services = request.app.state.services
        ctx = Context(services=services, request=request, response=response,
                      lang=preferred_language(request.headers.get("accept-language")),
                      client_address=client_address(request))
        if request.scope["type"] == "http":
            ctx.session = await accounts.resolve_session(bearer_token(request.headers.get("authorization")))
        return ctx

    async def on_ws_connect(self, context: Context) -> None:
        params = context.connection_params or {}
        token = bearer_token(params.get("authorization") or params.get("Authorization"))
        session = await accounts.resolve_session(token)
        if session is None:
            raise ConnectionRejectionError({"code": "UNAUTHENTICATED"})
        context.session = session
