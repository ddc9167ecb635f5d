"""Driving the sandbox's ANAF authorize step without a browser, as its module docstring describes."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx

from anaf.oauth import OAuthClient, TokenPair
from anaf.sandbox.state import SandboxConfig

REDIRECT_URI = SandboxConfig().oauth_redirect_uris[0]


def oauth_client(http: httpx.AsyncClient, sandbox_url: str, **overrides: str) -> OAuthClient:
    config = SandboxConfig()
    settings = {
        "client_id": config.oauth_client_id,
        "client_secret": config.oauth_client_secret,
        "redirect_uri": REDIRECT_URI,
    } | overrides
    return OAuthClient(http, f"{sandbox_url}/anaf-oauth2/v1", **settings)


def query(url: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


async def submit_picker(http: httpx.AsyncClient, authorize_url: str, **choice: str) -> httpx.Response:
    """POST the certificate picker's form for `authorize_url` (holder=/serial=, pin=, action=)."""
    base = authorize_url.split("?", 1)[0]
    return await http.post(base, data=query(authorize_url) | choice, follow_redirects=False)


async def log_in(http: httpx.AsyncClient, sandbox_url: str, holder: str = "small", pin: str | None = None) -> TokenPair:
    """Authorize as a dataset holder and exchange the code: the tokens the product would store."""
    from anaf.sandbox.dataset import get_dataset

    client = oauth_client(http, sandbox_url)
    answer = await submit_picker(
        http, client.authorize_url("test-state"), holder=holder, pin=pin or get_dataset().holders[holder].pin
    )
    return await client.exchange_code(query(answer.headers["location"])["code"])
