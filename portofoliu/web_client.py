"""The reference web client (web/, built into web/dist): its files, and index.html for every other
page path the single-page app routes itself (/invite/<token>, /integrations/efactura, ...).

It answers only what no route of the API matched, so /graphql, /anaf/..., /healthz, /readyz,
/_outbox, /_sandbox/... and anything added later keep their own answers; paths under the API's
prefixes never fall back to the app.
"""

from __future__ import annotations

from pathlib import Path

from starlette.responses import FileResponse, PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

WEB_DIST = Path(__file__).resolve().parent.parent / "web" / "dist"

# Paths that belong to the API: an unknown one is a 404, never the app's page.
API_PREFIXES = ("/graphql", "/anaf/", "/agent/", "/healthz", "/readyz", "/_outbox", "/_sandbox", "/metrics", "/sandbox")


def built(dist: Path | None) -> bool:
    return dist is not None and (dist / "index.html").is_file()


class WebClientFallback:
    """The router's `default`: a built file, or index.html for an app path; otherwise `not_found`."""

    def __init__(self, dist: Path, not_found: ASGIApp):
        self.dist = dist.resolve()
        self.not_found = not_found

    def _file(self, path: str) -> Path | None:
        candidate = (self.dist / path.lstrip("/")).resolve()
        if candidate.is_file() and candidate.is_relative_to(self.dist):
            return candidate
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "/")
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD") or path.startswith(API_PREFIXES):
            await self.not_found(scope, receive, send)
            return
        file = self._file(path) if path != "/" else None
        if file is not None:
            immutable = path.startswith("/assets/")  # Vite names them by content hash
            headers = {"Cache-Control": "public, max-age=31536000, immutable" if immutable else "no-cache"}
            await FileResponse(file, headers=headers)(scope, receive, send)
            return
        if "." in path.rsplit("/", 1)[-1]:  # a missing file (favicon.ico, an old asset) is not a page
            await PlainTextResponse("Not Found", status_code=404)(scope, receive, send)
            return
        await FileResponse(self.dist / "index.html", headers={"Cache-Control": "no-cache"})(scope, receive, send)
