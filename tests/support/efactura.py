"""An ACTIVE e-Factura integration for a firm, with a real sandbox access token got over HTTP."""

from __future__ import annotations

import httpx
import jwt

from anaf.sandbox.dataset import get_dataset
from portofoliu.settings import SANDBOX_MOUNT
from tests.support.anaf_oauth import oauth_client, query, submit_picker


async def sandbox_tokens(service, holder: str = "small"):
    """Authorize at the service's sandbox as a dataset holder (certificate picker + PIN) and
    exchange the code: the token pair ANAF would give the firm."""
    async with httpx.AsyncClient(timeout=10.0) as http:
        client = oauth_client(http, f"{service.url}{SANDBOX_MOUNT}", redirect_uri=service.settings.redirect_uri)
        answer = await submit_picker(http, client.authorize_url("test-state"), holder=holder,
                                     pin=get_dataset().holders[holder].pin)
        return await client.exchange_code(query(answer.headers["location"])["code"])


async def activate_efactura(service, company_id: int | str, holder: str = "small") -> str:
    """Store an ACTIVE integration for the firm; returns its certificate serial (from the JWT)."""
    from domain.models.efactura import EfacturaIntegration, EfacturaStatus
    from domain.throttle import now

    tokens = await sandbox_tokens(service, holder)
    serial = jwt.decode(tokens.access_token, options={"verify_signature": False})["serial"]
    await EfacturaIntegration.update_or_create(
        company_id=int(company_id),
        defaults={"status": EfacturaStatus.ACTIVE, "access_token_enc": tokens.access_token,
                  "refresh_token_enc": tokens.refresh_token, "certificate_serial": serial, "authorized_at": now()})
    return serial
