"""Is anyone still carrying out a RUNNING discovery run? Answered at once, not after a timeout.

A process that crashes leaves its runs RUNNING with a recent heartbeat; waiting for the heartbeat
to go stale (two minutes) kept "start" returning a stuck run. Instead, while a process carries a
run out it holds a PostgreSQL advisory lock on it from one connection of its own: the database
releases the lock the moment that process dies (its connection closes), so another process that
can take the lock knows the run is orphaned and resumes it at once.

On SQLite (the embedded, single-process set-up) the process is the only one: a RUNNING run it is
not carrying out is orphaned.
"""

from __future__ import annotations

import asyncio
import logging

from domain.portfolio.models import DiscoveryRun

log = logging.getLogger(__name__)

_NAMESPACE = 0x44495343  # "DISC": the advisory-lock class of discovery runs


def _postgres_dsn(database_url: str) -> str | None:
    for prefix in ("postgres://", "postgresql://", "asyncpg://"):
        if database_url.startswith(prefix):
            return "postgres://" + database_url[len(prefix):]
    return None


class RunLiveness:
    def __init__(self, database_url: str | None) -> None:
        self.dsn = _postgres_dsn(database_url or "")
        self._conn = None
        self._lock = asyncio.Lock()

    async def _connection(self):
        if self._conn is None or self._conn.is_closed():
            import asyncpg

            self._conn = await asyncpg.connect(self.dsn)
        return self._conn

    async def _call(self, sql: str, run_id: int):
        async with self._lock:
            conn = await self._connection()
            return await conn.fetchval(sql, _NAMESPACE, run_id % 2**31)

    async def hold(self, run_id: int) -> bool:
        """This process carries out the run from now on (until `release`); False when another
        live process already does."""
        if not self.dsn:
            return True
        return bool(await self._call("SELECT pg_try_advisory_lock($1::int, $2::int)", run_id))

    async def release(self, run_id: int) -> None:
        if self.dsn:
            try:
                await self._call("SELECT pg_advisory_unlock($1::int, $2::int)", run_id)
            except Exception:  # noqa: BLE001 - a lost connection released it already
                log.warning("could not release discovery run %s", run_id, exc_info=True)

    async def orphaned(self, run: DiscoveryRun) -> bool:
        """No process carries the run out (the caller knows it does not itself)."""
        if not self.dsn:
            return True
        free = await self._call("SELECT pg_try_advisory_lock($1::int, $2::int)", run.id)
        if free:
            await self._call("SELECT pg_advisory_unlock($1::int, $2::int)", run.id)
        return bool(free)

    async def close(self) -> None:
        if self._conn is not None and not self._conn.is_closed():
            await self._conn.close()
        self._conn = None
