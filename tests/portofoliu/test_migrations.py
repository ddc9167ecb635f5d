"""The one set of migrations builds the schema the models describe, on SQLite and PostgreSQL alike."""

from tortoise import Tortoise
from tortoise.migrations.autodetector import MigrationAutodetector

from portofoliu.db import pending_migrations, tortoise_config


async def test_migrations_applied_and_nothing_pending(database_template, database_url):
    assert await pending_migrations(database_url) == []


async def test_models_and_migrations_agree(database_url):
    """A model change without a regenerated migration fails here (makemigrations would write one)."""
    config = tortoise_config(database_url, pool_max=1)
    await Tortoise.init(config=config, init_connections=False)
    try:
        autodetector = MigrationAutodetector(Tortoise.apps, config["apps"])
        changes = await autodetector.changes()
    finally:
        await Tortoise.close_connections()
    assert changes == [], "models changed: regenerate domain/migrations (see README, Development)"
