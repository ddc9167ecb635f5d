"""The long-lived objects of one process (settings, the HTTP client, ANAF clients, the mailer, pub/sub),
built once in the lifespan and handed to resolvers, routes and jobs."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import httpx
from cryptography import x509

from anaf.certificates import load_certificate_bundle
from anaf import metrics as anaf_metrics
from anaf.efactura import EfacturaClient
from anaf.limits import (
    ANAF_CALLS_PER_MINUTE,
    CallLimiter,
    DailyQuota,
    LocalCallLimiter,
    MemoryDailyQuota,
    RedisCallLimiter,
    RedisDailyQuota,
)
from anaf.oauth import OAuthClient
from anaf.registry import RegistryClient
from domain.efactura import status as efactura_status
from domain.efactura import token_vault
from domain.efactura.token_vault import TokenVault
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
class EfacturaBudget:
    """The application's share of ANAF's e-Factura limits (see `anaf.limits`)."""

    limiter: CallLimiter
    daily_quota: DailyQuota

    async def aclose(self) -> None:
        for part in (self.limiter, self.daily_quota):
            close = getattr(part, "aclose", None)
            if close is not None:
                await close()


def efactura_budget(settings: Settings) -> EfacturaBudget:
    """1,000 calls a minute for the whole application: one window in Redis shared by every process
    when Redis is configured; otherwise each process keeps `1000 / EFACTURA_PROCESSES` to itself
    (set EFACTURA_PROCESSES to the number of processes that call ANAF), so the sum stays under it."""
    redis_url = settings.shared_redis_url
    if redis_url:
        return EfacturaBudget(RedisCallLimiter(redis_url, ANAF_CALLS_PER_MINUTE, window_seconds=61.0), RedisDailyQuota(redis_url))
    share = max(1, ANAF_CALLS_PER_MINUTE // settings.efactura_processes)
    # A second more than ANAF's minute: a call's arrival at ANAF lags its start here.
    return EfacturaBudget(LocalCallLimiter(share, window_seconds=61.0), MemoryDailyQuota())


def trusted_agent_cas(settings: Settings) -> list[x509.Certificate]:
    """The CAs whose certificates the token agent may present: AGENT_TRUSTED_CA_FILE, else (sandbox
    mode) the sandbox CA."""
    if settings.agent_trusted_ca_file:
        return load_certificate_bundle(Path(settings.agent_trusted_ca_file).read_bytes())
    if settings.sandbox:
        from anaf.sandbox.ca import load_ca

        return [load_ca().certificate]
    return []


@dataclass
class Services:
    settings: Settings
    http: httpx.AsyncClient
    urls: AnafUrls
    registry: RegistryClient
    oauth: OAuthClient
    vault: TokenVault
    mailer: Mailer
    efactura: EfacturaClient
    budget: EfacturaBudget
    broadcast: Any = None
    sockets: LiveSockets = field(default_factory=LiveSockets)
    discovery: Any = None  # domain.portfolio.discovery_runner.DiscoveryRunner, built once the clients exist
    registry_lookups: Any = None  # domain.companies.registry_lookups.RegistryLookups: people's look-ups (cache, budgets)
    extra: dict[str, Any] = field(default_factory=dict)

    async def publish(self, channel: str, payload: dict[str, Any]) -> None:
        await self.publish_committed([(channel, payload)])

    async def publish_committed(self, events: list[tuple[str, dict[str, Any]]]) -> None:
        """A commit's events, handed to the backend together (one round trip for a whole burst)."""
        if self.broadcast is not None:
            await self.broadcast.publish_many([(channel, json.dumps(payload)) for channel, payload in events])

    async def sessions_revoked(self, *session_ids: int) -> None:
        """Tell every process that these sessions are gone, so their open sockets close."""
        await self.publish_committed([(f"session:{session_id}", {"kind": "session_revoked", "sessionId": session_id})
                                      for session_id in session_ids])

    @cached_property
    def trusted_agent_cas(self) -> list[x509.Certificate]:
        return trusted_agent_cas(self.settings)

    async def aclose(self) -> None:
        if self.discovery is not None:
            await self.discovery.stop()
        await self.budget.aclose()
        await self.mailer.aclose()
        await self.http.aclose()


def build_services(settings: Settings, *, self_url: str, http: httpx.AsyncClient | None = None, **overrides: Any) -> Services:
    from domain.companies.registry_lookups import RegistryLookups
    from domain.portfolio.discovery_runner import DiscoveryRunner

    http = http or httpx.AsyncClient(timeout=httpx.Timeout(15.0, connect=5.0),
                                     limits=httpx.Limits(max_connections=50, max_keepalive_connections=10),
                                     headers={"User-Agent": "Portofoliu/0.1"})
    urls = anaf_urls(settings, self_url)
    http.event_hooks = {**http.event_hooks, "response": [*http.event_hooks.get("response", []), anaf_metrics.response_hook(
        {"registry": urls.registry, "oauth": urls.oauth, "efactura": urls.api, "spv": urls.spv or ""})]}
    registry_factory = overrides.pop("registry_factory", None) or RegistryClient
    registry = registry_factory(http, urls.registry)
    mailer = overrides.pop("mailer", None) or build_mailer(settings)
    budget = overrides.pop("budget", None) or efactura_budget(settings)
    efactura_factory = overrides.pop("efactura_factory", None) or EfacturaClient
    efactura = efactura_factory(http, urls.api, limiter=budget.limiter, daily_quota=budget.daily_quota)
    oauth = OAuthClient(http, urls.oauth, client_id=settings.anaf_client_id, client_secret=settings.anaf_client_secret,
                        redirect_uri=settings.redirect_uri)
    vault = TokenVault(settings.secret_keys)
    # The domain reads the vault and the web app's address from here (see their modules).
    token_vault.install(vault)
    efactura_status.set_app_url(settings.app_url)
    discovery_options = {"verified_fresh_seconds": settings.rights_verified_fresh_hours * 3600,
                         **(overrides.pop("discovery_options", None) or {})}
    services = Services(settings=settings, http=http, urls=urls, registry=registry, oauth=oauth, vault=vault, mailer=mailer,
                        efactura=efactura, budget=budget,
                        sockets=LiveSockets(max_per_user=settings.ws_max_connections_per_user), **overrides)
    services.discovery = DiscoveryRunner(services, **discovery_options)
    services.registry_lookups = RegistryLookups(registry, cache_seconds=settings.registry_cache_seconds,
                                                per_user=settings.registry_lookups_per_user_minute)
    return services
