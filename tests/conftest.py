"""Shared fixtures: a migrated database per test (PostgreSQL with TEST_DATABASE_URL, else SQLite),
the whole service over real HTTP, and a GraphQL client.

PostgreSQL: one database is created per test session (so parallel runs never collide), migrated
once, and emptied before each test. SQLite: a migrated template file is copied for each test.
With REQUIRE_SERVICES=1 (CI) a test that needs a missing service fails instead of skipping.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
from tortoise.context import TortoiseContext

from portofoliu.db import apply_migrations, tortoise_config
from portofoliu.settings import Settings
from tests.support.graphql import GraphQLClient
from tests.support.requirements import REQUIRE_SERVICES
from tests.support.servers import app_factory, serve
from tests.support.softhsm import softhsm, spv_server  # noqa: F401 - fixtures shared by every directory

# ANAF retries and discovery pauses short enough for tests that inject faults.
FAST_EFACTURA = {"max_attempts": 3, "backoff_initial": 0.05, "backoff_max": 0.3, "timeout": 5.0}
# Every run probes again (no "verified recently" window), unless a test sets it.
FAST_DISCOVERY = {"pause_seconds": 0.1, "attempts": 2, "heartbeat_seconds": 0.5, "verified_fresh_seconds": 0}

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "").strip()
ON_POSTGRES = TEST_DATABASE_URL.startswith(("postgres://", "postgresql://"))

pytest_plugins = ["tests.support.smtp"]


def pytest_collection_modifyitems(config, items):
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL: set TEST_DATABASE_URL=postgres://...")
    for item in items:
        if "postgres" in item.keywords and not ON_POSTGRES:
            if REQUIRE_SERVICES:
                item.add_marker(pytest.mark.xfail(reason="REQUIRE_SERVICES=1 but TEST_DATABASE_URL is not PostgreSQL", strict=True, run=False))
            else:
                item.add_marker(skip_pg)


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


async def _pg_admin(url: str, sql: str) -> None:
    conn = await asyncpg.connect(url.replace("postgresql://", "postgres://", 1))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def database_template(tmp_path_factory) -> str:
    """A migrated database for this test session: its URL (PostgreSQL) or template file (SQLite)."""
    if ON_POSTGRES:
        name = f"portofoliu_test_{uuid.uuid4().hex[:12]}"
        asyncio.run(_pg_admin(TEST_DATABASE_URL, f'CREATE DATABASE "{name}"'))
        url = _with_database(TEST_DATABASE_URL, name)
        asyncio.run(apply_migrations(url))
        yield url
        asyncio.run(_pg_admin(TEST_DATABASE_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    else:
        path = tmp_path_factory.mktemp("db") / "template.sqlite3"
        asyncio.run(apply_migrations(f"sqlite://{path}"))
        yield str(path)


async def _empty_pg(url: str) -> None:
    conn = await asyncpg.connect(url.replace("postgresql://", "postgres://", 1))
    try:
        tables = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'tortoise_migrations'")
        await conn.execute("TRUNCATE " + ", ".join(f'"{t["tablename"]}"' for t in tables) + " RESTART IDENTITY CASCADE")
    finally:
        await conn.close()


@pytest.fixture
async def database_url(database_template: str, tmp_path: Path) -> str:
    """An empty, migrated database for this test."""
    if ON_POSTGRES:
        await _empty_pg(database_template)
        return database_template
    path = tmp_path / "portofoliu.sqlite3"
    shutil.copyfile(database_template, path)
    return f"sqlite://{path}"


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[TortoiseContext]:
    """The ORM, for tests that call the domain directly (or inspect rows next to a running server)."""
    async with TortoiseContext() as ctx:
        await ctx.init(config=tortoise_config(database_url, pool_max=5))
        yield ctx


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        secret_keys=(("k1", b"test-secret-key-0123456789"),),
        app_url="http://app.test",
        jobs_enabled=False,
        graphiql=False,
    )


@dataclass
class RunningService:
    url: str
    app: object
    settings: Settings
    clients: list[GraphQLClient] = field(default_factory=list)
    stack: AsyncExitStack = field(default_factory=AsyncExitStack)

    async def stop(self) -> None:
        """Shut the process down (lifespan and all) before the test ends, e.g. to restart on the same database."""
        await self.stack.aclose()

    @property
    def services(self):
        return self.app.state.services

    @property
    def sandbox(self):
        return self.app.state.sandbox

    @property
    def graphql_url(self) -> str:
        return f"{self.url}/graphql"

    def client(self, token: str | None = None, *, lang: str | None = None) -> GraphQLClient:
        client = GraphQLClient(self.graphql_url, token=token, lang=lang)
        self.clients.append(client)
        return client


@pytest.fixture
async def start_service(settings: Settings, tmp_path: Path):
    """Start the whole service over real HTTP (any Settings field can be overridden)."""
    from anaf.efactura import EfacturaClient
    from anaf.registry import RegistryClient
    from anaf.sandbox.state import SandboxConfig
    from portofoliu.app import create_app

    async with AsyncExitStack() as stack:

        async def start(sandbox_config: SandboxConfig | None = None, discovery_options: dict | None = None,
                        **overrides) -> RunningService:
            svc_settings = replace(settings, **overrides)
            holder: dict = {}

            @app_factory
            def build(base_url: str):
                # Registry spacing is exercised by the anaf tests; here it would only slow every test down.
                config = sandbox_config or SandboxConfig(registry_min_interval=0.0)
                if config.state_path is None:
                    # The sandbox's kept state, per test (beside the test's database), shared by restarts.
                    config.state_path = str(tmp_path / "anaf-sandbox.sqlite3")
                app = create_app(svc_settings, self_url=base_url, migrate=False, sandbox_config=config,
                                 registry_factory=lambda http, url: RegistryClient(http, url, min_interval=0.0, backoff_initial=0.05, backoff_max=0.2, max_attempts=3),
                                 efactura_factory=lambda http, url, **kw: EfacturaClient(http, url, **kw, **FAST_EFACTURA),
                                 discovery_options={**FAST_DISCOVERY, **(discovery_options or {})})
                holder["app"] = app
                return app

            from portofoliu.server import Server

            own = AsyncExitStack()
            url = await own.enter_async_context(serve(build, server_class=Server))
            service = RunningService(url=url, app=holder["app"], settings=svc_settings, stack=own)
            own.push_async_callback(lambda: asyncio.gather(*(c.aclose() for c in service.clients)))
            stack.push_async_callback(own.aclose)
            return service

        yield start


@pytest.fixture
async def service(start_service) -> RunningService:
    return await start_service()
