"""The ASGI application: routes, and the lifespan that opens and closes everything a process holds."""

from __future__ import annotations

import functools
import hashlib
import logging
import tempfile
from contextlib import asynccontextmanager
from importlib.metadata import entry_points
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route, WebSocketRoute
from tortoise.contrib.starlette import RegisterTortoise
from tortoise.exceptions import BaseORMException
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from domain.kernel import events
from graph.schema import build_schema, schema
from portofoliu.db import apply_migrations, pending_migrations, tortoise_config
from portofoliu.edge import RequestLimits, SecurityHeaders, content_security_policy
from portofoliu.graphql_app import PREFLIGHT_HEADERS, PortofoliuGraphQL
from portofoliu.metrics import HttpMetrics, metrics
from portofoliu.pubsub import create_broadcast
from portofoliu.routes import oauth_callback
from portofoliu.routes.agent_statements import AGENT_STATEMENTS_PATH, agent_statements
from portofoliu.services import build_services
from portofoliu.settings import SANDBOX_MOUNT, Settings
from portofoliu.web_client import WEB_DIST, WebClientFallback, built

log = logging.getLogger(__name__)

# What runs beside the API in a process with JOBS_ENABLED (the periodic jobs of `jobs/`) is found
# through these entry points, which pyproject.toml declares: `jobs` stands above this shell in the
# layering, so the shell never imports it. Each is `(services) -> runner` with `start()` and
# `shutdown(wait=False)`.
BACKGROUND_ENTRY_POINTS = "portofoliu.background"


def background_starters() -> list:
    starters = [entry.load() for entry in entry_points(group=BACKGROUND_ENTRY_POINTS)]
    if not starters:
        log.warning("JOBS_ENABLED is set but no background jobs are installed (entry points %r): "
                    "install the package (pip install -e .) so its jobs register", BACKGROUND_ENTRY_POINTS)
    return starters


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    """Ready when the database answers and every migration is applied."""
    from tortoise import connections

    try:
        await connections.get("default").execute_query("SELECT 1")
        pending = await pending_migrations(request.app.state.services.settings.database_url)
    except Exception as exc:  # noqa: BLE001 - readiness reports, it does not raise
        log.warning("readiness check failed: %s", exc)
        return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503)
    if pending:
        return JSONResponse({"status": "unavailable", "pendingMigrations": pending}, status_code=503)
    return JSONResponse({"status": "ok"})


async def resume_discovery(services) -> None:
    """Discovery runs cut short by a restart go on at once. A database not migrated yet must not stop
    the process from starting: /readyz reports it, and the hourly job resumes the runs later."""
    try:
        await services.discovery.resume_stale()
    except BaseORMException as exc:
        log.warning("discovery runs not resumed at start-up: %s", exc)


@functools.lru_cache(maxsize=4)
def _schema(introspection: bool, suggestions: bool):
    if introspection and suggestions:
        return schema  # the one schema.graphql is exported from
    return build_schema(introspection=introspection, suggestions=suggestions)


def schema_for(settings: Settings):
    """Production answers without "Did you mean ...?" hints, and without introspection unless allowed."""
    return _schema(settings.introspection, not settings.production)


def sandbox_mounted(settings: Settings) -> bool:
    return settings.sandbox and not (settings.anaf_registry_url and settings.anaf_oauth_url and settings.anaf_api_url)


def sandbox_state_path(settings: Settings) -> str:
    """Where the mounted sandbox keeps its state (keys, issued tokens, counters) across restarts:
    beside the SQLite database (`portofoliu.sqlite3` → `portofoliu.anaf-sandbox.sqlite3`), or, with
    PostgreSQL, in a file of the system's temporary directory named after the database, which every
    process of this machine using that database shares."""
    if settings.is_sqlite:
        path = settings.database_url.removeprefix("sqlite://")
        if path and path != ":memory:":
            database = Path(path)
            return str(database.with_name(f"{database.stem}.anaf-sandbox.sqlite3"))
    digest = hashlib.sha256(settings.database_url.encode()).hexdigest()[:16]
    return str(Path(tempfile.gettempdir()) / f"portofoliu-anaf-sandbox-{digest}.sqlite3")


def outbox_page_mounted(settings: Settings) -> bool:
    """The page showing kept e-mail is a demo tool: embedded set-up, or sandbox without real SMTP;
    never in production, whatever the database."""
    return not settings.production and (settings.embedded or (settings.sandbox and not settings.smtp_url))


def create_app(settings: Settings, *, self_url: str, migrate: bool | None = None, sandbox_config=None,
               web_dist: Path | None = WEB_DIST, **service_overrides) -> Starlette:
    """`self_url` is where this process listens; in sandbox mode the ANAF clients call the sandbox
    mounted here over real HTTP through it, exactly as they would call ANAF. When the web client is
    built (`web_dist`), every path no route answers serves it."""
    migrate = settings.embedded if migrate is None else migrate

    @asynccontextmanager
    async def lifespan(app: Starlette):
        if migrate:
            await apply_migrations(settings.database_url)
        services = build_services(settings, self_url=self_url, **service_overrides)
        services.broadcast = create_broadcast(settings.broadcast_url)
        app.state.services = services
        async with RegisterTortoise(app, config=tortoise_config(settings.database_url, pool_max=settings.database_pool_max)):
            await services.broadcast.connect()
            events.set_publisher(services.publish_committed)
            if services.discovery.options.resume_on_start:
                await resume_discovery(services)
            running = []
            if settings.jobs_enabled:
                for start_background in background_starters():
                    runner = start_background(services)
                    runner.start()
                    running.append(runner)
            try:
                yield
            finally:
                for runner in running:
                    runner.shutdown(wait=False)
                await services.discovery.stop()
                events.set_publisher(None)
                await services.broadcast.disconnect()
                await services.aclose()

    graphql = PortofoliuGraphQL(schema_for(settings), graphiql=settings.graphiql_enabled, allowed_origins=settings.allowed_origins)
    routes = [
        Route("/graphql", graphql, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", graphql),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route(oauth_callback.PATH, oauth_callback.oauth_callback, methods=["GET"]),
        Route(AGENT_STATEMENTS_PATH, agent_statements, methods=["POST"]),
        Route("/metrics", metrics, methods=["GET"]),
    ]
    if outbox_page_mounted(settings):
        from portofoliu.routes.outbox_page import outbox_page

        routes.append(Route("/_outbox", outbox_page, methods=["GET"]))
    if sandbox_mounted(settings):
        from anaf.sandbox.app import create_sandbox_app
        from anaf.sandbox.state import SandboxConfig

        sandbox_config = sandbox_config or SandboxConfig()
        sandbox_config.oauth_client_id = settings.anaf_client_id
        sandbox_config.oauth_client_secret = settings.anaf_client_secret
        sandbox_config.oauth_redirect_uris = (settings.redirect_uri,)
        if sandbox_config.state_path is None:
            sandbox_config.state_path = sandbox_state_path(settings)
        sandbox_app = create_sandbox_app(sandbox_config)
        routes.append(Mount(SANDBOX_MOUNT, app=sandbox_app))
    # Outermost first: every answer is counted and carries the security headers, refusals included.
    middleware = [
        Middleware(HttpMetrics),
        Middleware(SecurityHeaders, csp=content_security_policy(settings.app_url), hsts=settings.production,
                   graphiql_path="/graphql" if settings.graphiql_enabled else None),
        Middleware(RequestLimits, max_body_bytes=settings.max_request_bytes),
    ]
    if settings.allowed_origins:
        middleware.append(Middleware(CORSMiddleware, allow_origins=list(settings.allowed_origins),
                                     allow_methods=["GET", "POST", "OPTIONS"], allow_headers=["authorization", "content-type", "accept-language", *PREFLIGHT_HEADERS],
                                     max_age=600))
    if settings.trusted_proxies:
        # Outermost: behind the listed proxies the client is the address they forward, else the peer.
        middleware.insert(0, Middleware(ProxyHeadersMiddleware, trusted_hosts=list(settings.trusted_proxies)))
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan)
    app.state.sandbox = sandbox_app.state.sandbox if sandbox_mounted(settings) else None
    app.state.web_client = built(web_dist)
    if app.state.web_client:
        app.router.default = WebClientFallback(web_dist, app.router.not_found)
    return app
