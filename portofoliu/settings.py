"""Settings from the environment, validated once at start-up.

Every problem is reported as one line naming the variable and what it expects, so an operator can
fix a deployment without reading code. The defaults give the embedded set-up: SQLite, in-process
events, the ANAF sandbox, e-mail kept in the outbox.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

ANAF_PRODUCTION = {
    "registry_url": "https://webservicesp.anaf.ro/api/PlatitorTvaRest/v9/tva",
    "oauth_url": "https://logincert.anaf.ro/anaf-oauth2/v1",
    "api_url": "https://api.anaf.ro",
    "spv_url": "https://webserviced.anaf.ro/SPVWS2/rest",
}
SANDBOX_MOUNT = "/_sandbox/anaf"
SECRET_KEY_FILE = ".secret_key"


class SettingsError(Exception):
    """A configuration value is missing or wrong; the message is the one line shown to operators."""


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite://portofoliu.sqlite3"
    broadcast_url: str = "memory://"
    smtp_url: str | None = None
    mail_from: str = "Portofoliu <no-reply@portofoliu.local>"
    app_url: str = "http://localhost:8000"
    secret_keys: tuple[tuple[str, bytes], ...] = ()
    anaf_mode: str = "sandbox"
    anaf_client_id: str = "portofoliu-sandbox"
    anaf_client_secret: str = "sandbox-secret"
    anaf_redirect_uri: str = ""
    anaf_registry_url: str | None = None
    anaf_oauth_url: str | None = None
    anaf_api_url: str | None = None
    anaf_spv_url: str | None = None
    invitation_ttl_seconds: int = 15 * 24 * 3600
    invitation_reminder_days: tuple[float, ...] = (7, 13)
    jobs_enabled: bool = True
    allowed_origins: tuple[str, ...] = ()
    session_ttl_seconds: int = 30 * 24 * 3600
    database_pool_max: int = 10
    graphiql: bool = True
    ws_max_connections_per_user: int = 10
    redis_url: str | None = None
    efactura_processes: int = 1
    agent_trusted_ca_file: str | None = None
    # Limits (issue: trust): invitation e-mails a day per recipient address and per firm; the
    # proxies whose X-Forwarded-For is believed (none by default); how long a registry answer is reused.
    invitation_emails_per_recipient_day: int = 10
    invitation_emails_per_firm_day: int = 3000
    trusted_proxies: tuple[str, ...] = ()
    registry_cache_seconds: int = 24 * 3600
    signups_per_address_hour: int = 20
    registry_lookups_per_user_minute: int = 20
    # Discovery does not probe again, at ANAF, a client whose rights it verified this recently
    # (ANAF allows 1,500 simple lists per CUI a day; each probe is one).
    rights_verified_fresh_hours: float = 6.0
    graphql_introspection: bool | None = None  # None: on, except in production
    max_request_bytes: int = 2 * 1024 * 1024
    log_format: str = "text"
    metrics_token: str | None = None

    @property
    def production(self) -> bool:
        """Real ANAF: demo tools (GraphiQL, the outbox page, the sandbox) are off, whatever the database."""
        return self.anaf_mode == "production"

    @property
    def introspection(self) -> bool:
        return (not self.production) if self.graphql_introspection is None else self.graphql_introspection

    @property
    def graphiql_enabled(self) -> bool:
        return self.graphiql and not self.production

    @property
    def shared_redis_url(self) -> str | None:
        """Where processes share ANAF call budgets: `REDIS_URL`, else a Redis `BROADCAST_URL`."""
        if self.redis_url:
            return self.redis_url
        return self.broadcast_url if self.broadcast_url.startswith(("redis://", "rediss://")) else None

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def embedded(self) -> bool:
        """The single-process demo set-up: SQLite and the sandbox mounted in the service."""
        return self.is_sqlite

    @property
    def sandbox(self) -> bool:
        return self.anaf_mode == "sandbox"

    @property
    def redirect_uri(self) -> str:
        return self.anaf_redirect_uri or f"{self.app_url}/anaf/oauth/callback"

    @property
    def current_key(self) -> tuple[str, bytes]:
        return self.secret_keys[0]


def _bool(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise SettingsError(f"{name} must be true or false, got {raw!r}")


def _int(name: str, raw: str, *, minimum: int) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum}, got {value}")
    return value


def _hours(name: str, raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number of hours, e.g. 6 or 0.5, got {raw!r}") from None
    if not 0 <= value <= 24 * 30:
        raise SettingsError(f"{name} must be between 0 and 720 hours, got {raw!r}")
    return value


def _days(name: str, raw: str) -> tuple[float, ...]:
    try:
        days = tuple(sorted(float(d) for d in raw.split(",") if d.strip()))
    except ValueError:
        raise SettingsError(f"{name} must be comma-separated days, e.g. 7,13, got {raw!r}") from None
    if any(d <= 0 for d in days):
        raise SettingsError(f"{name} must list positive days, got {raw!r}")
    return days


def _url(name: str, raw: str, schemes: set[str]) -> str:
    parts = urlsplit(raw)
    if parts.scheme not in schemes:
        expected = ", ".join(sorted(f"{s}://..." for s in schemes))
        raise SettingsError(f"{name} must be one of {expected}, got {raw!r}")
    if parts.scheme not in {"sqlite", "memory"} and not parts.hostname:
        raise SettingsError(f"{name} must name a host, got {raw!r}")
    return raw


def _proxies(raw: str | None) -> tuple[str, ...]:
    """`TRUSTED_PROXIES`: addresses or networks (CIDR) of the reverse proxies in front of the service,
    comma-separated; only from them is X-Forwarded-For believed. Empty: the peer address is the client."""
    items = tuple(item.strip() for item in (raw or "").split(",") if item.strip())
    for item in items:
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise SettingsError(f"TRUSTED_PROXIES must list IP addresses or networks (e.g. 10.0.0.0/8), got {item!r}") from None
    return items


PRODUCTION_KEY_BITS = 256
_HEX = set("0123456789abcdefABCDEF")
_BASE64 = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_=")


def secret_bits(secret: str) -> float:
    """What a secret can carry at most: its length times the bits of the smallest usual alphabet it
    is written in (hex 4, base64 6, printable ASCII ~6.6, else 8 per byte). A secret built from a
    handful of distinct characters is a pattern, not a key: it counts as 0."""
    if len(set(secret)) < 8:
        return 0.0
    chars = set(secret)
    if chars <= _HEX:
        return 4.0 * len(secret)
    if chars <= _BASE64:
        return 6.0 * len(secret)
    if secret.isascii() and secret.isprintable():
        return math.log2(95) * len(secret)
    return 8.0 * len(secret.encode())


def _secret_keys(raw: str | None, key_file: Path, *, production: bool = False) -> tuple[tuple[str, bytes], ...]:
    """`SECRET_KEY` is `id:secret[,id:secret...]`, newest first, or a bare secret (id `k1`).

    Older keys stay listed after a rotation so tokens encrypted with them can still be read.
    Without `SECRET_KEY` a key is generated once into a local file, with a warning: fine for the
    embedded demo, wrong for a fleet of processes that must share it. In production `SECRET_KEY` is
    required and the current (first) key must carry at least 256 bits.
    """
    if not raw and production:
        raise SettingsError("SECRET_KEY is required when ANAF_MODE=production: a random key of at least 256 bits shared by every "
                            "process, e.g. python3 -c 'import secrets; print(secrets.token_urlsafe(32))'")
    if not raw:
        if key_file.exists():
            raw = key_file.read_text().strip()
        else:
            raw = "k1:" + secrets.token_urlsafe(32)
            key_file.write_text(raw + "\n")
            key_file.chmod(0o600)
            log.warning("SECRET_KEY is not set: generated one into %s (set SECRET_KEY in production)", key_file)
    keys = []
    for item in raw.split(","):
        item = item.strip()
        key_id, sep, secret = item.partition(":")
        if not sep:
            key_id, secret = "k1", item
        if len(secret) < 16:
            raise SettingsError("SECRET_KEY must hold secrets of at least 16 characters (format id:secret[,id:old-secret])")
        keys.append((key_id, secret.encode()))
    if production and secret_bits(keys[0][1].decode()) < PRODUCTION_KEY_BITS:
        raise SettingsError(f"SECRET_KEY's current key must carry at least {PRODUCTION_KEY_BITS} bits when ANAF_MODE=production "
                            "(e.g. 43 random base64 characters or 64 hex digits: python3 -c 'import secrets; print(secrets.token_urlsafe(32))')")
    if len({k for k, _ in keys}) != len(keys):
        raise SettingsError("SECRET_KEY lists the same key id twice")
    return tuple(keys)


def load_settings(env: Mapping[str, str] | None = None, *, key_file: Path | None = None) -> Settings:
    """Read and check every variable; raise `SettingsError` with one line on the first problem."""
    env = os.environ if env is None else env
    get = lambda name: (env.get(name) or "").strip() or None  # noqa: E731

    database_url = _url("DATABASE_URL", get("DATABASE_URL") or Settings.database_url, {"sqlite", "postgres", "postgresql", "asyncpg"})
    broadcast_url = _url("BROADCAST_URL", get("BROADCAST_URL") or Settings.broadcast_url, {"memory", "redis", "rediss", "postgres", "postgresql"})
    smtp_url = get("SMTP_URL")
    if smtp_url:
        _url("SMTP_URL", smtp_url, {"smtp", "smtps"})
    app_url = _url("APP_URL", get("APP_URL") or Settings.app_url, {"http", "https"}).rstrip("/")

    anaf_mode = get("ANAF_MODE") or "sandbox"
    if anaf_mode not in {"sandbox", "production"}:
        raise SettingsError(f"ANAF_MODE must be sandbox or production, got {anaf_mode!r}")
    client_id, client_secret, redirect = get("ANAF_CLIENT_ID"), get("ANAF_CLIENT_SECRET"), get("ANAF_REDIRECT_URI")
    if anaf_mode == "production":
        for name, value in (("ANAF_CLIENT_ID", client_id), ("ANAF_CLIENT_SECRET", client_secret), ("ANAF_REDIRECT_URI", redirect)):
            if not value:
                raise SettingsError(f"{name} is required when ANAF_MODE=production (from the application registered at ANAF)")
        if not redirect.startswith("https://"):
            raise SettingsError("ANAF_REDIRECT_URI must be an https:// URL registered at ANAF when ANAF_MODE=production")
    urls = {}
    for key, name in (("registry_url", "ANAF_REGISTRY_URL"), ("oauth_url", "ANAF_OAUTH_URL"), ("api_url", "ANAF_API_URL"), ("spv_url", "ANAF_SPV_URL")):
        value = get(name)
        urls[key] = _url(name, value, {"http", "https"}).rstrip("/") if value else (ANAF_PRODUCTION[key] if anaf_mode == "production" else None)

    redis_url = get("REDIS_URL")
    if redis_url:
        _url("REDIS_URL", redis_url, {"redis", "rediss"})
    trusted_ca_file = get("AGENT_TRUSTED_CA_FILE")
    if trusted_ca_file and not Path(trusted_ca_file).is_file():
        raise SettingsError(f"AGENT_TRUSTED_CA_FILE must name a PEM file of trusted CA certificates, got {trusted_ca_file!r}")
    if anaf_mode == "production" and not trusted_ca_file:
        raise SettingsError("AGENT_TRUSTED_CA_FILE is required when ANAF_MODE=production (the qualified CAs whose certificates the token agent may present)")

    origins = tuple(o.strip().rstrip("/") for o in (get("ALLOWED_ORIGINS") or "").split(",") if o.strip())
    for origin in origins:
        if origin != "*":
            _url("ALLOWED_ORIGINS", origin, {"http", "https"})

    graphiql = _bool("GRAPHIQL", get("GRAPHIQL") or ("true" if database_url.startswith("sqlite") and anaf_mode != "production" else "false"))
    if graphiql and anaf_mode == "production":
        raise SettingsError("GRAPHIQL cannot be on when ANAF_MODE=production (use GRAPHQL_INTROSPECTION=true for tools that read the schema)")
    log_format = (get("LOG_FORMAT") or "text").lower()
    if log_format not in {"text", "json"}:
        raise SettingsError(f"LOG_FORMAT must be text or json, got {log_format!r}")

    return Settings(
        database_url=database_url,
        broadcast_url=broadcast_url,
        smtp_url=smtp_url,
        mail_from=get("MAIL_FROM") or Settings.mail_from,
        app_url=app_url,
        secret_keys=_secret_keys(get("SECRET_KEY"), key_file or Path(SECRET_KEY_FILE), production=anaf_mode == "production"),
        anaf_mode=anaf_mode,
        anaf_client_id=client_id or Settings.anaf_client_id,
        anaf_client_secret=client_secret or Settings.anaf_client_secret,
        anaf_redirect_uri=redirect or "",
        anaf_registry_url=urls["registry_url"],
        anaf_oauth_url=urls["oauth_url"],
        anaf_api_url=urls["api_url"],
        anaf_spv_url=urls["spv_url"],
        invitation_ttl_seconds=_int("INVITATION_TTL_SECONDS", get("INVITATION_TTL_SECONDS") or "1296000", minimum=60),
        invitation_reminder_days=_days("INVITATION_REMINDER_DAYS", get("INVITATION_REMINDER_DAYS") or "7,13"),
        jobs_enabled=_bool("JOBS_ENABLED", get("JOBS_ENABLED") or "true"),
        allowed_origins=origins,
        session_ttl_seconds=_int("SESSION_TTL_SECONDS", get("SESSION_TTL_SECONDS") or str(30 * 24 * 3600), minimum=60),
        database_pool_max=_int("DATABASE_POOL_MAX", get("DATABASE_POOL_MAX") or "10", minimum=1),
        ws_max_connections_per_user=_int("WS_MAX_CONNECTIONS_PER_USER", get("WS_MAX_CONNECTIONS_PER_USER") or "10", minimum=1),
        graphiql=graphiql,
        redis_url=redis_url,
        efactura_processes=_int("EFACTURA_PROCESSES", get("EFACTURA_PROCESSES") or "1", minimum=1),
        agent_trusted_ca_file=trusted_ca_file,
        invitation_emails_per_recipient_day=_int("INVITATION_EMAILS_PER_RECIPIENT_DAY", get("INVITATION_EMAILS_PER_RECIPIENT_DAY") or "10", minimum=1),
        invitation_emails_per_firm_day=_int("INVITATION_EMAILS_PER_FIRM_DAY", get("INVITATION_EMAILS_PER_FIRM_DAY") or "3000", minimum=1),
        trusted_proxies=_proxies(get("TRUSTED_PROXIES")),
        signups_per_address_hour=_int("SIGNUPS_PER_ADDRESS_HOUR", get("SIGNUPS_PER_ADDRESS_HOUR") or "20", minimum=1),
        registry_lookups_per_user_minute=_int("REGISTRY_LOOKUPS_PER_USER_MINUTE", get("REGISTRY_LOOKUPS_PER_USER_MINUTE") or "20", minimum=1),
        registry_cache_seconds=_int("REGISTRY_CACHE_SECONDS", get("REGISTRY_CACHE_SECONDS") or str(24 * 3600), minimum=0),
        rights_verified_fresh_hours=_hours("RIGHTS_VERIFIED_FRESH_HOURS", get("RIGHTS_VERIFIED_FRESH_HOURS") or "6"),
        graphql_introspection=_bool("GRAPHQL_INTROSPECTION", get("GRAPHQL_INTROSPECTION")) if get("GRAPHQL_INTROSPECTION") else None,
        max_request_bytes=_int("MAX_REQUEST_BYTES", get("MAX_REQUEST_BYTES") or str(Settings.max_request_bytes), minimum=64 * 1024),
        log_format=log_format,
        metrics_token=get("METRICS_TOKEN"),
    )
