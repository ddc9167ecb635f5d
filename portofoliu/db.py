"""The Tortoise configuration and the migration runner, shared by the CLI, the app and the tests."""

from __future__ import annotations

import os
from typing import Any

from tortoise import Tortoise
from tortoise.connection import get_connection
from tortoise.migrations.api import migrate as tortoise_migrate
from tortoise.migrations.executor import MigrationExecutor

from domain import MODEL_MODULES

MIGRATIONS_MODULE = "domain.migrations"


def normalise_db_url(url: str) -> str:
    """Tortoise names the PostgreSQL driver `asyncpg://`; accept the usual `postgres[ql]://` too."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "asyncpg://" + url[len(prefix):]
    return url


def tortoise_config(database_url: str, *, pool_max: int = 10) -> dict[str, Any]:
    url = normalise_db_url(database_url)
    if url.startswith("asyncpg://") and "maxsize" not in url:
        url += ("&" if "?" in url else "?") + f"maxsize={pool_max}"
    return {
        "connections": {"default": url},
        "apps": {
            "models": {
                "models": MODEL_MODULES,
                "default_connection": "default",
                "migrations": MIGRATIONS_MODULE,
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


# `tortoise makemigrations -c portofoliu.db.TORTOISE_ORM` reads this.
TORTOISE_ORM = tortoise_config(os.environ.get("DATABASE_URL", "sqlite://portofoliu.sqlite3"))


async def apply_migrations(database_url: str) -> None:
    """Bring the schema up to date; the same migrations run on SQLite and PostgreSQL."""
    try:
        await tortoise_migrate(config=tortoise_config(database_url, pool_max=2))
    finally:
        await Tortoise.close_connections()


async def pending_migrations(database_url: str) -> list[str]:
    """Names of migrations not yet applied (used by /readyz and `migrate --check`)."""
    config = tortoise_config(database_url, pool_max=2)
    await Tortoise.init(config=config, init_connections=False)
    try:
        executor = MigrationExecutor(get_connection("default"), config["apps"])
        steps = await executor.plan(None)
    finally:
        await Tortoise.close_connections()
    return [f"{step.migration.app_label}.{step.migration.name}" for step in steps if not step.backward]
