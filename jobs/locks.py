"""Cross-process guards for jobs: a PostgreSQL advisory lock per job name (a no-op on SQLite,
where there is a single process by definition of the embedded set-up)."""

from __future__ import annotations

import zlib
from contextlib import asynccontextmanager
from typing import AsyncIterator

from tortoise import connections
from tortoise.transactions import in_transaction


def _is_postgres() -> bool:
    return connections.get("default").capabilities.dialect == "postgres"


@asynccontextmanager
async def exclusive(name: str) -> AsyncIterator[bool]:
    """A transaction holding `pg_try_advisory_xact_lock(name)`; yields False when another process
    holds it (then the caller skips this tick)."""
    async with in_transaction() as conn:
        if _is_postgres():
            key = zlib.crc32(name.encode())
            rows = await conn.execute_query_dict("SELECT pg_try_advisory_xact_lock($1) AS ok", [key])
            yield bool(rows[0]["ok"])
        else:
            yield True
