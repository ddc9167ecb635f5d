"""Driving the e-Factura authorization end to end: the API, the sandbox's certificate picker (form
POST), and the browser's return to the service's callback."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import httpx

from tests.support.anaf_oauth import submit_picker
from tests.support.factories import api_company, api_user, holder

INTEGRATION_FIELDS = """status authorizedAt authorizedBy { id email } accessExpiresAt refreshExpiresAt certificateSerial lastError"""
START = f"""mutation($id: ID!) {{ startEfacturaAuthorization(companyId: $id) {{
  authorizationUrl expiresAt integration {{ {INTEGRATION_FIELDS} }} errors {{ code field message }} }} }}"""
COMPLETE = f"""mutation($code: String!, $state: String!) {{ completeEfacturaAuthorization(code: $code, state: $state) {{
  integration {{ {INTEGRATION_FIELDS} }} errors {{ code field message }} }} }}"""
DISCONNECT = f"""mutation($id: ID!) {{ disconnectEfactura(companyId: $id) {{
  integration {{ {INTEGRATION_FIELDS} }} errors {{ code field message }} }} }}"""
INTEGRATION = f"""query($id: ID!) {{ efacturaIntegration(companyId: $id) {{ {INTEGRATION_FIELDS} }} }}"""
CHECKLIST = """query($id: ID!) { setupChecklist(companyId: $id) {
  providesAccountingServices efacturaActive ready problems { code field message } } }"""


def query_of(url: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


@dataclass
class Firm:
    token: str
    user: dict
    company: dict

    @property
    def id(self) -> str:
        return self.company["id"]


async def firm(service, *, holder_key: str = "small", accounting: bool = True) -> Firm:
    """A signed-up user owning the firm company of a sandbox certificate holder."""
    token, user = await api_user(service)
    company = await api_company(service, token, holder(holder_key).firm_cui, accounting=accounting)
    return Firm(token, user, company)


async def start(service, token: str, company_id: str) -> str:
    result = (await service.client(token).execute(START, id=company_id))["startEfacturaAuthorization"]
    assert result["errors"] == [], result["errors"]
    return result["authorizationUrl"]


async def pick_certificate(http: httpx.AsyncClient, authorization_url: str, *, holder_key: str = "small",
                           pin: str | None = None, **extra: str) -> str:
    """Submit the sandbox's certificate picker; returns where ANAF sends the browser back."""
    answer = await submit_picker(http, authorization_url, holder=holder_key, pin=pin or holder(holder_key).pin, **extra)
    assert answer.status_code == 302, answer.text
    return answer.headers["location"]


async def follow_to_callback(http: httpx.AsyncClient, service, location: str) -> httpx.Response:
    """The browser's return: `location` names the registered redirect URI (APP_URL's host); the
    service serving that path is the one under test."""
    parts = urlsplit(location)
    return await http.get(f"{service.url}{parts.path}?{parts.query}", follow_redirects=False)


async def authorize(service, http: httpx.AsyncClient, token: str, company_id: str, **choice: str) -> httpx.Response:
    """start → certificate picker → callback; returns the callback's answer (a 303 to the web app)."""
    location = await pick_certificate(http, await start(service, token, company_id), **choice)
    return await follow_to_callback(http, service, location)


def landing(response: httpx.Response) -> dict[str, str]:
    """The web-app page the callback redirected to, as its query (asserting the page itself)."""
    assert response.status_code == 303, response.text
    target = response.headers["location"]
    assert target.startswith("http://app.test/integrations/efactura?"), target
    return query_of(target)


async def activate_efactura(service, token: str, company_id: str, *, holder_key: str = "small") -> None:
    """Make the firm's integration ACTIVE the way a manager does: start, certificate picker, callback
    (the tokens are stored by the product, encrypted)."""
    async with httpx.AsyncClient(timeout=10.0) as http:
        answer = landing(await authorize(service, http, token, company_id, holder_key=holder_key))
    assert answer == {"status": "ok", "companyId": company_id}, answer
