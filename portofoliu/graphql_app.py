"""The Strawberry ASGI app: context from the bearer token (HTTP) or `connection_init` (WebSocket),
and the life of each WebSocket: the per-user limit, and closing it when its session ends."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import orjson
from cross_web import HTTPException
from starlette.requests import Request
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http.parse_content_type import parse_content_type
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler

from domain.accounts import service as accounts
from domain.kernel import clock
from domain.portfolio.imports import MAX_FILE_BYTES
from graph.context import Context, preferred_language
from portofoliu.edge import valid_address
from portofoliu.sockets import CLOSE_TOO_MANY, CLOSE_UNAUTHORIZED, LiveSocket

log = logging.getLogger(__name__)

MAX_SUBSCRIPTIONS_PER_CONNECTION = 20
# File uploads (GraphQL multipart request spec): the largest request accepted before reading it.
# The import's own limit (a clear UserError) sits just below; this only stops a huge body early.
MAX_MULTIPART_BYTES = MAX_FILE_BYTES + 256 * 1024
# A multipart/form-data POST is a "simple" request a browser sends cross-site without asking (no
# CORS preflight). Requiring one of these headers, as Apollo Server and GraphQL Yoga do, forces the
# preflight, so a page on another origin cannot post a form to /graphql.
PREFLIGHT_HEADERS = ("apollo-require-preflight", "x-apollo-operation-name", "graphql-preflight")


def bearer_token(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    scheme, _, token = value.strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def client_address(request: Request | WebSocket) -> str | None:
    return valid_address(request.client.host) if request.client else None


def session_channel(session_id: int) -> str:
    return f"session:{session_id}"


class LiveSocketHandler(BaseGraphQLTransportWSHandler):
    """graphql-transport-ws, plus: at most N sockets per user per process (else 4429), and the
    socket closes (4401) as soon as its session is revoked (from any process) or expires."""

    live: LiveSocket | None = None
    watcher: asyncio.Task | None = None

    async def handle_connection_init(self, message) -> None:
        await super().handle_connection_init(message)
        session = getattr(self.context, "session", None)
        if not self.connection_acknowledged or session is None or self.live is not None:
            return
        services = self.context.services
        live = LiveSocket(user_id=session.user_id, session_id=session.id, close=self.close_socket)
        if not services.sockets.open(live):
            await live.close_with(CLOSE_TOO_MANY, "Too many open connections for this account")
            return
        self.live = live
        self.watcher = asyncio.create_task(self.watch_session(live, session))

    async def close_socket(self, code: int, reason: str) -> None:
        await self.websocket.close(code=code, reason=reason)

    async def watch_session(self, live: LiveSocket, session) -> None:
        """Close the socket when the session ends. An event on `session:<id>` (or a pub/sub gap, when
        one may have been missed) makes it look at the row, which is the truth."""
        try:
            async with self.context.services.broadcast.subscribe(session_channel(session.id)) as events:
                while await accounts.session_is_live(session.id):
                    remaining = (session.expires_at - clock.now()).total_seconds()
                    try:
                        await asyncio.wait_for(events.get(), timeout=max(remaining, 0.0))
                    except asyncio.TimeoutError:
                        await live.close_with(CLOSE_UNAUTHORIZED, "Session expired")
                        return
                await live.close_with(CLOSE_UNAUTHORIZED, "Session revoked")
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - without its watcher a socket must not stay open
            log.exception("session watcher failed; closing the socket")
            await live.close_with(CLOSE_UNAUTHORIZED, "Session could not be checked")

    async def shutdown(self) -> None:
        if self.watcher is not None:
            self.watcher.cancel()
            try:
                await self.watcher
            except (asyncio.CancelledError, Exception):  # noqa: BLE001
                pass
        if self.live is not None:
            self.live.closed = True
            self.context.services.sockets.forget(self.live)
        await super().shutdown()


class PortofoliuGraphQL(GraphQL):
    graphql_transport_ws_handler_class = LiveSocketHandler

    def __init__(self, schema, *, graphiql: bool, allowed_origins: tuple[str, ...]):
        super().__init__(
            schema,
            graphql_ide="graphiql" if graphiql else None,
            allow_queries_via_get=False,  # operations travel as POST; GET /graphql serves GraphiQL only
            subscription_protocols=[GRAPHQL_TRANSPORT_WS_PROTOCOL],  # only graphql-transport-ws (STACK_NOTES)
            max_subscriptions_per_connection=MAX_SUBSCRIPTIONS_PER_CONNECTION,
            allowed_origins=allowed_origins,
            multipart_uploads_enabled=True,
        )

    # JSON through orjson; what it refuses and the standard library reads (unpaired surrogates, NaN)
    # goes the standard way, so every request and answer is treated as before (the input limits
    # then refuse such strings with INVALID_INPUT).
    def decode_json(self, data: str | bytes) -> object:
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            return super().decode_json(data)

    def encode_json(self, data: object) -> str:
        # Text, not bytes: Strawberry sends bytes as binary WebSocket frames, which graphql-transport-ws
        # clients (graphql-ws in a browser) cannot read.
        try:
            return orjson.dumps(data).decode()
        except orjson.JSONEncodeError:
            return super().encode_json(data)

    async def parse_http_body(self, request):
        raw_type = request.content_type or ""
        # Only a multipart request needs the checks below; most are JSON, whose header is not parsed twice.
        content_type = parse_content_type(raw_type)[0] if "multipart" in raw_type.lower() else ""
        if content_type == "multipart/form-data":
            headers = request.headers
            if not any((headers.get(name) or "").strip() for name in PREFLIGHT_HEADERS):
                raise HTTPException(400, "Multipart requests need a non-empty `Apollo-Require-Preflight` (or "
                                         "`X-Apollo-Operation-Name` or `GraphQL-Preflight`) header.")
            length = (headers.get("content-length") or "").strip()
            if not length.isdigit():
                raise HTTPException(411, "Multipart requests need a Content-Length header.")
            if int(length) > MAX_MULTIPART_BYTES:
                raise HTTPException(413, f"The upload is too large: files of at most {MAX_FILE_BYTES // (1024 * 1024)} MB are accepted.")
        return await super().parse_http_body(request)

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
