"""The `portofoliu` command: serve, migrate, the ANAF sandbox, and the token agent."""

from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import replace

import click

from portofoliu.logs import configure_logging
from portofoliu.settings import SettingsError, load_settings


def _settings():
    try:
        return load_settings()
    except SettingsError as exc:
        click.echo(f"configuration error: {exc}", err=True)
        sys.exit(2)


def with_served_app_url(settings, *, host: str, port: int, env=None):
    """Without an explicit APP_URL, links (e-mails, ANAF's redirect) point at this process: its port."""
    env = os.environ if env is None else env
    if (env.get("APP_URL") or "").strip():
        return settings
    name = "localhost" if host in ("127.0.0.1", "localhost") else (f"[{host}]" if ":" in host else host)
    return replace(settings, app_url=f"http://{name}:{port}")


@click.group()
def main() -> None:
    """Portofoliu: bring an accounting firm's clients onto the platform."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(min=1),
              help="Processes sharing the port: one per CPU core the service may use (PostgreSQL and a shared BROADCAST_URL needed above 1).")
@click.option("--log-level", default="info", show_default=True)
def serve(host: str, port: int, workers: int, log_level: str) -> None:
    """Run the GraphQL service (on the embedded default it applies migrations itself)."""
    import functools

    import uvicorn

    from portofoliu.server import Server, run_workers, worker_app

    settings = _settings()
    configure_logging(log_level, settings.log_format)
    if workers > 1 and (settings.is_sqlite or settings.broadcast_url.startswith("memory")):
        click.echo("--workers above 1 needs PostgreSQL (DATABASE_URL) and a BROADCAST_URL every process shares "
                   "(redis://... or postgres://...): each process would otherwise keep its own events.", err=True)
        sys.exit(2)
    if workers > settings.efactura_processes and not settings.shared_redis_url:
        click.echo(f"warning: without Redis each process keeps 1000/EFACTURA_PROCESSES e-Factura calls a minute; "
                   f"set EFACTURA_PROCESSES to the number of processes of every host ({workers} or more).", err=True)
    local = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    settings = with_served_app_url(settings, host=local, port=port)
    self_url = f"http://{local}:{port}"
    database = settings.database_url.split("://")[0]
    # Server pings every 20 s find dead peers; on shutdown sockets are closed with 1001 and a reason.
    # WebSocket frames are not compressed (permessage-deflate): the service's frames are a few hundred
    # bytes, which deflate hardly shrinks, while it costs CPU on every frame both ways and keeps a
    # compressor per socket (about 40 KiB each of an idle socket's memory).
    options = dict(host=host, port=port, log_level=log_level, ws_ping_interval=20, ws_ping_timeout=20, timeout_graceful_shutdown=10,
                   ws_per_message_deflate=False,
                   log_config=None,  # every logger goes through configure_logging's clipped handler
                   ws_max_size=settings.max_request_bytes)
    if workers == 1:
        from portofoliu.app import create_app

        app = create_app(settings, self_url=self_url)
        click.echo(f"Portofoliu on {self_url}/graphql (database: {database}, ANAF: {settings.anaf_mode})")
        if app.state.web_client:
            click.echo(f"Web app on {settings.app_url}/")
        server = Server(uvicorn.Config(app, **options))
        server.freeze_after_startup = True
        server.run()
    else:
        click.echo(f"Portofoliu on {self_url}/graphql (database: {database}, ANAF: {settings.anaf_mode}, {workers} processes)")
        run_workers(uvicorn.Config(functools.partial(worker_app, local, port, log_level, settings.log_format), factory=True, workers=workers, **options))


@main.command()
@click.option("--check", is_flag=True, help="Only report pending migrations; exit 1 if there are any.")
def migrate(check: bool) -> None:
    """Apply database migrations (the same ones on SQLite and PostgreSQL)."""
    from portofoliu.db import apply_migrations, pending_migrations

    settings = _settings()
    pending = asyncio.run(pending_migrations(settings.database_url))
    if check:
        click.echo("\n".join(pending) if pending else "up to date")
        sys.exit(1 if pending else 0)
    if not pending:
        click.echo("up to date")
        return
    asyncio.run(apply_migrations(settings.database_url))
    click.echo("applied: " + ", ".join(pending))


@main.group()
def sandbox() -> None:
    """The ANAF sandbox: ANAF's interfaces over fictional data, for demos and tests."""


@sandbox.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=9000, show_default=True, type=int)
@click.option("--redirect-uri", multiple=True, help="Registered OAuth callback(s); default {APP_URL}/anaf/oauth/callback.")
@click.option("--state", "state_path", default="anaf-sandbox.sqlite3", show_default=True,
              help="SQLite file keeping the signing key, issued tokens and call counters across restarts.")
def sandbox_serve(host: str, port: int, redirect_uri: tuple[str, ...], state_path: str) -> None:
    """Run the sandbox on its own port (its paths then start at /)."""
    import uvicorn

    from anaf.sandbox.app import create_sandbox_app
    from anaf.sandbox.state import SandboxConfig

    settings = _settings()
    config = SandboxConfig(oauth_client_id=settings.anaf_client_id, oauth_client_secret=settings.anaf_client_secret,
                           oauth_redirect_uris=redirect_uri or (settings.redirect_uri,), state_path=state_path)
    uvicorn.run(create_sandbox_app(config), host=host, port=port)


@sandbox.command("spv")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8443, show_default=True, type=int)
def sandbox_spv(host: str, port: int) -> None:
    """Run the sandbox SPV service (HTTPS, client certificate from the sandbox CA required)."""
    from anaf.sandbox.spv import run_spv_server

    run_spv_server(host, port)


def _attach_agent_commands() -> None:
    from anaf.agent.cli import agent, issue_certificate_command

    main.add_command(agent)
    sandbox.add_command(issue_certificate_command, "issue-certificate")


_attach_agent_commands()

if __name__ == "__main__":
    main()
