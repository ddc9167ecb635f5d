"""The long-lived objects of one process (settings, the HTTP client, ANAF clients, the mailer, pub/sub),
built once in the lifespan and handed to resolvers, routes and jobs."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

import httpx

from anaf.oauth import OAuthClient
from anaf.registry import RegistryClient
from domain import efactura_status, token_vault
from domain.token_vault import TokenVault
from portofoliu.mail import Mailer, build_mailer
from portofoliu.settings import SANDBOX_MOUNT, Settings
from portofoliu.sockets import LiveSockets

log = logging.getLogger(__name__)


@dataclass
class AnafUrls:
    registry: str
    oauth: str
    api: str
    spv: str | None


def anaf_urls(settings: Settings, self_url: str) -> AnafUrls:
    """Production hosts, explicit overrides, or the sandbox mounted in this very service."""
    base = f"{self_url.rstrip('/')}{SANDBOX_MOUNT}"
    return AnafUrls(
        registry=settings.anaf_registry_url or f"{base}/api/PlatitorTvaRest/v9/tva",
        oauth=settings.anaf_oauth_url or f"{base}/anaf-oauth2/v1",
        api=settings.anaf_api_url or base,
        spv=settings.anaf_spv_url,
    )


@dataclass
class Services:
    settings: Settings
    http: httpx.AsyncClient
    urls: AnafUrls
    registry: RegistryClient
    oauth: OAuthClient
    vault: TokenVault
    mailer: Mailer
    broadcast: Any = None
    sockets: LiveSockets = field(default_factory=LiveSockets)
    extra: dict[str, Any] = field(default_factory=dict)

    async def publish(self, channel: str, payload: dict[str, Any]) -> None:
        if self.broadcast is not None:
            await self.broadcast.publish(channel=channel, message=json.dumps(payload))

    async def sessions_revoked(self, *session_ids: int) -> None:
        """Tell every process that these sessions are gone, so their open sockets close."""
        for session_id in session_ids:
            await self.publish(f"session:{session_id}", {"kind": "session_revoked", "sessionId": session_id})


def build_services(settings: Settings, *, self_url: str, http: httpx.AsyncClient | None = None, **overrides: Any) -> Services:
    http = http or httpx.AsyncClient(timeout=httpx.Timeout(15.0, connect=5.0),
                                     limits=httpx.Limits(max_connections=50, max_keepalive_connections=10),
                                     headers={"User-Agent": "Portofoliu/0.1"})
    urls = anaf_urls(settings, self_url)
    registry_factory = overrides.pop("registry_factory", None) or RegistryClient
    registry = registry_factory(http, urls.registry)
    mailer = overrides.pop("mailer", None) or build_mailer(settings)
    oauth = OAuthClient(http, urls.oauth, client_id=settings.anaf_client_id, client_secret=settings.anaf_client_secret,
                        redirect_uri=settings.redirect_uri)
    vault = TokenVault(settings.secret_keys)
    # The domain reads the vault and the web app's address from here (see their modules).
    token_vault.install(vault)
    efactura_status.set_app_url(settings.app_url)
    return Services(settings=settings, http=http, urls=urls, registry=registry, oauth=oauth, vault=vault, mailer=mailer,
                    sockets=LiveSockets(max_per_user=settings.ws_max_connections_per_user), **overrides)
