"""`GET /anaf/oauth/callback`: where ANAF sends the browser back after the certificate login.

It completes (or records the refusal of) the e-Factura authorization, then redirects (303) to the
web app's page `{APP_URL}/integrations/efactura?status=ok|error&reason=...&companyId=...`, where
`reason` is an error code of the API (`INVALID_STATE`, `EFACTURA_AUTHORIZATION_FAILED`,
`NO_EFACTURA_RIGHTS` for a certificate without rights on the company, `ANAF_UNAVAILABLE`, ...) or
`access_denied`. The browser carries no session here: the single-use
`state` is what binds the answer to the person who started the authorization.
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse

from domain.efactura import service as efactura
from domain.kernel.errors import DomainError, DomainErrors, ErrorCode

log = logging.getLogger(__name__)

PATH = "/anaf/oauth/callback"


def _landing(app_url: str, status: str, reason: str | None = None, company_id: int | None = None) -> RedirectResponse:
    query = {"status": status}
    if reason:
        query["reason"] = reason
    if company_id is not None:
        query["companyId"] = str(company_id)
    return RedirectResponse(f"{app_url}/integrations/efactura?{urlencode(query)}", status_code=303,
                            headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})


async def oauth_callback(request: Request) -> RedirectResponse:
    services = request.app.state.services
    app_url = services.settings.app_url
    params = request.query_params
    state, code, error = params.get("state"), params.get("code"), params.get("error")
    try:
        if error:
            integration = await efactura.deny_authorization(state=state, error=error, description=params.get("error_description"))
            return _landing(app_url, "error", error, integration.company_id)
        if not state or not code:
            return _landing(app_url, "error", str(ErrorCode.INVALID_INPUT))
        integration = await efactura.complete_authorization(state=state, code=code, oauth=services.oauth,
                                                           efactura=services.efactura)
    except (DomainError, DomainErrors) as exc:
        first = exc.errors[0] if isinstance(exc, DomainErrors) else exc
        log.info("e-Factura callback refused: %s", first.code)
        return _landing(app_url, "error", str(first.code), getattr(first, "company_id", None))
    return _landing(app_url, "ok", None, integration.company_id)
