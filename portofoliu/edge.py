"""What every HTTP request passes before the application: body limits and security headers.

Both are plain ASGI middleware, independent of the routes behind them (the API, the web client,
the callbacks), so they compose with whatever the application mounts.
"""

from __future__ import annotations

import ipaddress
import json
import re
from typing import Any

from starlette.datastructures import Headers, MutableHeaders

from graph.context import preferred_language

MAX_JSON_DEPTH = 32
DRAIN_BYTES = 16 * 1024 * 1024
BODYLESS_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "DELETE"})
# JSON strings (escapes included), so brackets inside them are not counted as nesting.
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_BRACKET = re.compile(rb"[\[\]{}]")


def json_depth(body: bytes) -> int:
    """How deeply a JSON document nests arrays and objects (0 for a scalar); cheap for usual bodies."""
    if body.count(b"[") + body.count(b"{") <= MAX_JSON_DEPTH:
        return min(body.count(b"[") + body.count(b"{"), MAX_JSON_DEPTH)
    depth = deepest = 0
    for match in _BRACKET.finditer(_JSON_STRING.sub(b'""', body)):
        if match.group() in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


# File uploads (multipart/form-data) to the API may be larger than other bodies: the API requires
# their Content-Length and checks it against its own limit before reading, so they pass unbuffered.
UPLOAD_PATHS = ("/graphql",)


def path_takes_uploads(scope) -> bool:
    return scope["path"] in UPLOAD_PATHS


def _is_json(headers: Headers) -> bool:
    media = headers.get("content-type", "").split(";")[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


async def refuse(send, status: int, code: str, en: str, ro: str, lang: str) -> None:
    """An answer in the API's error shape, for a request refused before it reached the application."""
    body = json.dumps({"errors": [{"message": ro if lang == "ro" else en, "extensions": {"code": code}}]}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


class RequestLimits:
    """Refuses a request body over `max_body_bytes` (413, before reading it when Content-Length says
    so) and a JSON body nested deeper than `max_json_depth` (400); passes the rest on unchanged."""

    def __init__(self, app, *, max_body_bytes: int, max_json_depth: int = MAX_JSON_DEPTH) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_json_depth = max_json_depth

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "websocket":
            await self.app(scope, self._checked_messages(receive), send)
            return
        if scope["type"] != "http" or scope["method"] in BODYLESS_METHODS:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        lang = preferred_language(headers.get("accept-language"))
        limit = self.max_body_bytes
        declared = headers.get("content-length")
        upload = headers.get("content-type", "").split(";")[0].strip().lower() == "multipart/form-data"
        if upload and path_takes_uploads(scope) and declared is not None and declared.isascii() and declared.isdigit():
            # The API refuses one over its limit before reading it; the JSON parts inside are not
            # scanned here, so a parser's RecursionError is still a 400, not a 500.
            await self._guarded(scope, receive, send, lang)
            return
        if declared is not None and (not declared.isascii() or not declared.isdigit() or int(declared) > limit):
            await self._too_large(send, lang, limit)
            return
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await self._drain(receive, message, size)
                await self._too_large(send, lang, limit)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if _is_json(headers) and json_depth(body) > self.max_json_depth:
            await self._too_deep(send, lang)
            return
        replayed = False

        async def replay() -> dict[str, Any]:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _guarded(self, scope, receive, send, lang: str) -> None:
        started = False

        async def noting_start(message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, noting_start)
        except RecursionError:
            if started:
                raise
            await self._too_deep(send, lang)

    async def _too_deep(self, send, lang: str) -> None:
        await refuse(send, 400, "JSON_TOO_DEEP", f"The JSON body nests deeper than {self.max_json_depth} levels.",
                     f"Corpul JSON are mai mult de {self.max_json_depth} de niveluri imbricate.", lang)

    def _checked_messages(self, receive):
        """WebSocket messages get the same limits: one over them reaches the application as a message
        of an unknown type, which graphql-transport-ws answers by closing with 4400 and this reason."""

        async def checked() -> dict[str, Any]:
            message = await receive()
            if message["type"] == "websocket.receive":
                data = message.get("text") if message.get("text") is not None else message.get("bytes") or b""
                raw = data.encode() if isinstance(data, str) else data
                problem = None
                if len(raw) > self.max_body_bytes:
                    problem = f"message over {self.max_body_bytes} bytes"
                elif json_depth(raw) > self.max_json_depth:
                    problem = f"JSON nested deeper than {self.max_json_depth} levels"
                if problem:
                    return {"type": "websocket.receive", "text": json.dumps({"type": problem})}
            return message

        return checked

    @staticmethod
    async def _drain(receive, message: dict[str, Any], size: int) -> None:
        """Read (and drop) the rest of a body sent without Content-Length, so the client, still
        sending, reads the answer instead of a reset connection; past DRAIN_BYTES the socket closes."""
        while message.get("more_body", False) and size <= DRAIN_BYTES:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            size += len(message.get("body", b""))

    async def _too_large(self, send, lang: str, limit: int) -> None:
        await refuse(send, 413, "REQUEST_TOO_LARGE", f"The request body is limited to {limit:,} bytes.",
                     f"Corpul cererii poate avea cel mult {limit} de octeți.", lang)


def content_security_policy(app_url: str) -> str:
    """For the API and the web client served beside it (a Vite build: scripts and styles from its own
    files); WebSockets back to the same host for subscriptions."""
    host = app_url.split("://", 1)[-1].split("/", 1)[0]
    return "; ".join([
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        f"connect-src 'self' ws://{host} wss://{host}",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


# GraphiQL (never on in production) is a page of scripts from a CDN with inline set-up.
GRAPHIQL_CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline' https://unpkg.com; "
                "style-src 'self' 'unsafe-inline' https://unpkg.com; img-src 'self' data: https:; font-src 'self' data: https:; "
                "connect-src 'self' ws: wss:; object-src 'none'; frame-ancestors 'none'")
HSTS = "max-age=63072000; includeSubDomains"


class SecurityHeaders:
    """Adds the security headers to every HTTP answer that does not set them itself."""

    def __init__(self, app, *, csp: str, hsts: bool, graphiql_path: str | None = None) -> None:
        self.app = app
        self.csp = csp
        self.graphiql_path = graphiql_path
        self.headers = [("x-content-type-options", "nosniff"), ("referrer-policy", "no-referrer"),
                        ("x-frame-options", "DENY"), ("cross-origin-opener-policy", "same-origin")]
        if hsts:
            self.headers.append(("strict-transport-security", HSTS))

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers:
                    if name not in headers:
                        headers[name] = value
                if "content-security-policy" not in headers:
                    graphiql = (scope["path"] == self.graphiql_path and scope["method"] == "GET"
                                and headers.get("content-type", "").startswith("text/html"))
                    headers["content-security-policy"] = GRAPHIQL_CSP if graphiql else self.csp
            await send(message)

        await self.app(scope, receive, send_with_headers)


def valid_address(value: str | None) -> str | None:
    """The client's address when it is an IP address, else None (a forged header is not stored)."""
    if not value or len(value) > 45:
        return None
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None
