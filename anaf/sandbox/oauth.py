"""The sandbox's ANAF OAuth 2.0 server (logincert.anaf.ro) and token check (TestOauth hello).

Routes, relative to the sandbox mount:
  GET  /anaf-oauth2/v1/authorize   the certificate picker + PIN prompt that stands in for the browser's
  POST /anaf-oauth2/v1/authorize   the picker's form: code, or error=access_denied, back to redirect_uri
  POST /anaf-oauth2/v1/token       authorization_code and refresh_token grants (refresh tokens rotate)
  POST /anaf-oauth2/v1/revoke      accepted and ignored, as ANAF is reported to do
  GET  /TestOauth/jaxrs/hello      {"message": "Hello <name>"} with a valid bearer token, else 401

Driving the authorize step without a browser (tests, scripts): GET the authorize URL the client
built, then POST the same parameters as a form to the same path, adding the certificate and PIN:

    POST /anaf-oauth2/v1/authorize
    client_id=...&redirect_uri=...&response_type=code&token_content_type=jwt&state=...
    &holder=small            (a dataset holder key; or serial=<certificate serial>)
    &pin=1234                (the holder's PIN)
    [&action=cancel]         (the user closed the PIN prompt: "token not inserted")

The answer is a 302 to `redirect_uri?code=...&state=...`, or to
`redirect_uri?error=access_denied&error_description=...&state=...` for a wrong PIN or a cancel. As at
ANAF, a certificate with SPV rights for no company still gets its code and tokens: the refusal comes
later, on e-Factura calls (`Nu exista niciun CIF petru ...`). An unknown client or an unregistered redirect_uri never redirects
(as a real identity provider): it gets an HTML error page. A code is single-use and lives
`code_ttl` seconds; it must be exchanged with the redirect_uri it was issued for.
"""

from __future__ import annotations

import base64
import binascii
import secrets
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from anaf.sandbox.dataset import Holder
from anaf.sandbox.faults import fault_middleware
from anaf.sandbox.tokens import RefreshRefused, bearer_holder, token_authority, unauthorized

if TYPE_CHECKING:
    from anaf.sandbox.state import SandboxState

SERVICE = "oauth"
AUTHORIZE_PARAMS = ("client_id", "redirect_uri", "response_type", "token_content_type", "state")

_templates = Environment(loader=PackageLoader("anaf.sandbox", "templates"), autoescape=select_autoescape())


@dataclass(frozen=True)
class IssuedCode:
    serial: str
    client_id: str
    redirect_uri: str
    issued_at: float


def _with_query(uri: str, params: dict[str, str]) -> str:
    parts = urlsplit(uri)
    query = parse_qsl(parts.query, keep_blank_values=True) + [(k, v) for k, v in params.items() if v is not None]
    return urlunsplit(parts._replace(query=urlencode(query)))


def _error_page(error: str, message: str) -> HTMLResponse:
    html = _templates.get_template("oauth_error.html").render(error=error, message=message)
    return HTMLResponse(html, status_code=400)


def _oauth_error(error: str, description: str, status: int = 400) -> JSONResponse:
    headers = {"WWW-Authenticate": 'Basic realm="anaf-oauth2"'} if status == 401 else None
    return JSONResponse({"error": error, "error_description": description}, status_code=status, headers=headers)


class OAuthRoutes:
    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.config = state.config
        self.tokens = token_authority(state)
        self.store = state.store  # issued codes live there, so a restart or another process can exchange them

    # -- authorize -------------------------------------------------------------------------------

    def _check_client(self, params: dict[str, str]) -> Response | None:
        """An error page for an unknown client or an unregistered redirect_uri (never a redirect)."""
        if params.get("client_id") != self.config.oauth_client_id:
            return _error_page("invalid_client", "Aplicația (client_id) nu este înregistrată la ANAF.")
        if params.get("redirect_uri") not in self.config.oauth_redirect_uris:
            return _error_page(
                "invalid_request",
                "Adresa de redirecționare (redirect_uri) nu este înregistrată pentru această aplicație.",
            )
        return None

    def _redirect(self, params: dict[str, str], **answer: str) -> RedirectResponse:
        target = _with_query(params["redirect_uri"], {**answer, "state": params.get("state")})
        return RedirectResponse(target, status_code=302)

    def _check_request(self, params: dict[str, str]) -> Response | None:
        """Client checks, then (with a redirect_uri we may trust) the response/token types."""
        if (page := self._check_client(params)) is not None:
            return page
        if params.get("response_type") != "code":
            return self._redirect(
                params, error="unsupported_response_type", error_description="response_type trebuie sa fie code"
            )
        if params.get("token_content_type") != "jwt":
            return self._redirect(
                params, error="invalid_request", error_description="token_content_type trebuie sa fie jwt"
            )
        return None

    async def authorize_page(self, request: Request) -> Response:
        params = dict(request.query_params)
        if (refusal := self._check_request(params)) is not None:
            return refusal
        hidden = [(name, params.get(name, "")) for name in AUTHORIZE_PARAMS]
        html = _templates.get_template("oauth_authorize.html").render(
            client_id=params["client_id"], holders=list(self.state.dataset.holders.values()), hidden=hidden
        )
        return HTMLResponse(html)

    async def authorize_submit(self, request: Request) -> Response:
        form = await request.form()
        params = {name: str(form.get(name, "")) for name in AUTHORIZE_PARAMS}
        if (refusal := self._check_request(params)) is not None:
            return refusal
        denied = "access_denied"
        if form.get("action") == "cancel":
            return self._redirect(
                params, error=denied, error_description="Token-ul nu este introdus sau autentificarea a fost anulata"
            )
        holder = self._chosen_holder(str(form.get("holder", "")), str(form.get("serial", "")))
        if holder is None:
            return self._redirect(params, error=denied, error_description="Certificatul nu a fost gasit")
        if not secrets.compare_digest(str(form.get("pin", "")), holder.pin):
            return self._redirect(params, error=denied, error_description="PIN incorect")
        code = secrets.token_urlsafe(24)
        self.store.add_code(code, holder.serial, params["client_id"], params["redirect_uri"], time.time())
        return self._redirect(params, code=code)

    def _chosen_holder(self, key: str, serial: str) -> Holder | None:
        if key:
            return self.state.dataset.holders.get(key)
        return self.state.dataset.holder_by_serial(serial) if serial else None

    # -- token -----------------------------------------------------------------------------------

    @staticmethod
    def _client_credentials(request: Request, form: dict[str, str]) -> tuple[str, str]:
        scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "basic":
            try:
                client_id, _, secret = base64.b64decode(encoded.strip()).decode().partition(":")
                return client_id, secret
            except (binascii.Error, UnicodeDecodeError):
                return "", ""
        return form.get("client_id", ""), form.get("client_secret", "")

    async def token(self, request: Request) -> Response:
        form = {k: str(v) for k, v in (await request.form()).items()}
        client_id, secret = self._client_credentials(request, form)
        if client_id != self.config.oauth_client_id or not secrets.compare_digest(
            secret, self.config.oauth_client_secret
        ):
            # ANAF answers a wrong client secret with HTTP 400 and only the error code.
            return JSONResponse({"error": "invalid_client"}, status_code=400)
        grant_type = form.get("grant_type")
        if not grant_type:
            return _oauth_error("invalid_request", "Missing grant_type")
        if grant_type == "authorization_code":
            return self._code_grant(form)
        if grant_type == "refresh_token":
            return self._refresh_grant(form)
        return _oauth_error("unsupported_grant_type", f"Unsupported grant_type: {grant_type}")

    def _code_grant(self, form: dict[str, str]) -> Response:
        code = form.get("code")
        if not code:
            return _oauth_error("invalid_request", "Missing code")
        row = self.store.take_code(code, forget_before=time.time() - self.config.code_ttl)  # single use
        issued = IssuedCode(*row) if row else None
        if issued is None or time.time() - issued.issued_at > self.config.code_ttl:
            return _oauth_error("invalid_grant", "Invalid authorization code")
        if form.get("redirect_uri") != issued.redirect_uri:
            return _oauth_error("invalid_grant", "redirect_uri does not match the authorization request")
        if issued.client_id != self.config.oauth_client_id:
            return _oauth_error("invalid_grant", "Code was issued to another client")
        return JSONResponse(self.tokens.issue(issued.serial))

    def _refresh_grant(self, form: dict[str, str]) -> Response:
        refresh_token = form.get("refresh_token")
        if not refresh_token:
            return _oauth_error("invalid_request", "Missing refresh_token")
        try:
            serial = self.tokens.redeem_refresh(refresh_token)
        except RefreshRefused as refused:
            return _oauth_error(refused.error, refused.description)
        return JSONResponse(self.tokens.issue(serial))

    async def revoke(self, request: Request) -> Response:
        # ANAF lists this endpoint but is reported not to revoke anything: nor does the sandbox.
        await request.body()
        return Response(status_code=200)

    # -- token check -----------------------------------------------------------------------------

    async def hello(self, request: Request) -> Response:
        if bearer_holder(self.state, request) is None:
            return unauthorized()
        return JSONResponse({"message": f"Hello {request.query_params.get('name', '')}"})


def routes(state: SandboxState) -> list[BaseRoute]:
    handlers = OAuthRoutes(state)
    faults = fault_middleware(state, SERVICE)
    base = "/anaf-oauth2/v1"
    return [
        Route(f"{base}/authorize", handlers.authorize_page, methods=["GET"], middleware=faults),
        Route(f"{base}/authorize", handlers.authorize_submit, methods=["POST"], middleware=faults),
        Route(f"{base}/token", handlers.token, methods=["POST"], middleware=faults),
        Route(f"{base}/revoke", handlers.revoke, methods=["POST"], middleware=faults),
        Route("/TestOauth/jaxrs/hello", handlers.hello, methods=["GET"], middleware=faults),
    ]
