"""PostgreSQL LISTEN/NOTIFY behind broadcaster's backend interface, done so it survives.

broadcaster 0.3.1's own Postgres backend LISTENs and NOTIFYs on one connection (concurrent
publishes fail) and never reconnects. Here one dedicated connection only LISTENs; it is watched
(termination callback plus a periodic `SELECT 1`), re-opened with back-off, LISTENs again on every
channel in use, and then hands the fan-out a `Gap` so subscribers reload what they may have missed.
Publishing uses a separate small pool. NOTIFY payloads must stay under 8000 bytes: a larger one is
refused with `PayloadTooLarge` (events carry ids, never rows).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import asyncpg
from broadcaster import Event
from broadcaster._backends.base import BroadcastBackend

from portofoliu.pubsub.broadcast import Gap, offer
from portofoliu.pubsub.reconnect import Backoff

log = logging.getLogger(__name__)

MAX_PAYLOAD_BYTES = 7999
CONNECTION_ERRORS = (OSError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError, asyncio.TimeoutError,
                     asyncpg.CannotConnectNowError, ConnectionError)
INBOX_SIZE = 10_000


class PayloadTooLarge(ValueError):
    """A NOTIFY payload of 8000 bytes or more: PostgreSQL would refuse it."""


def _payload(channel: str, message: Any) -> str:
    text = message if isinstance(message, str) else str(message)
    if len(text.encode()) > MAX_PAYLOAD_BYTES:
        raise PayloadTooLarge(f"NOTIFY payload of {len(text.encode())} bytes on {channel}: publish ids, not rows")
    return text


def _dsn(url: str) -> str:
    return url.replace("postgresql://", "postgres://", 1)


class PostgresBackend(BroadcastBackend):
    def __init__(self, url: str, *, backoff: Backoff = Backoff(), ping_interval: float = 10.0, pool_size: int = 4) -> None:
        self._dsn = _dsn(url)
        self._backoff = backoff
        self._ping_interval = ping_interval
        self._pool_size = pool_size
        self._channels: set[str] = set()
        self._inbox: asyncio.Queue[Event] = asyncio.Queue(maxsize=INBOX_SIZE)
        self._listen_conn: asyncpg.Connection | None = None
        self._lost = asyncio.Event()
        self._lock = asyncio.Lock()  # LISTEN/UNLISTEN and reconnects on the one connection, one at a time
        self._watcher: asyncio.Task[None] | None = None
        self.reconnects = 0

    async def connect(self) -> None:
        self._pool = await asyncpg.create_pool(self._dsn, min_size=1, max_size=self._pool_size)
        await self._open_listener()
        self._watcher = asyncio.create_task(self._watch(), name="postgres-listen-watcher")

    async def disconnect(self) -> None:
        if self._watcher is not None:
            self._watcher.cancel()
            try:
                await self._watcher
            except asyncio.CancelledError:
                pass
        if self._listen_conn is not None:
            await self._listen_conn.close(timeout=2)
        await self._pool.close()

    @property
    def listener_pid(self) -> int | None:
        """The server process of the listening connection (tests terminate it to prove recovery)."""
        return self._listen_conn.get_server_pid() if self._listen_conn is not None else None

    async def subscribe(self, channel: str) -> None:
        self._channels.add(channel)
        async with self._lock:
            conn = self._listen_conn
            if conn is not None and not conn.is_closed():
                try:
                    await conn.add_listener(channel, self._on_notify)
                except CONNECTION_ERRORS:
                    self._lost.set()  # the watcher reconnects, LISTENs again and announces a gap

    async def unsubscribe(self, channel: str) -> None:
        self._channels.discard(channel)
        async with self._lock:
            conn = self._listen_conn
            if conn is not None and not conn.is_closed():
                try:
                    await conn.remove_listener(channel, self._on_notify)
                except CONNECTION_ERRORS:
                    self._lost.set()

    async def publish(self, channel: str, message: Any) -> None:
        await self.publish_many([(channel, message)])

    async def publish_many(self, messages: list[tuple[str, Any]]) -> None:
        """Every NOTIFY of the list from one connection, pipelined by asyncpg's executemany."""
        texts = [(channel, _payload(channel, message)) for channel, message in messages]
        async with self._pool.acquire() as conn:
            if len(texts) == 1:
                await conn.execute("SELECT pg_notify($1, $2)", *texts[0])
            else:
                await conn.executemany("SELECT pg_notify($1, $2)", texts)

    async def next_published(self) -> Event:
        return await self._inbox.get()

    def _on_notify(self, connection: Any, pid: int, channel: str, payload: str) -> None:
        # A full inbox means a starved process: drop and make every subscriber reload.
        offer(self._inbox, Event(channel=channel, message=payload))  # any Gap reaches every subscriber

    def _on_terminated(self, connection: Any) -> None:
        self._lost.set()

    async def _open_listener(self) -> None:
        async with self._lock:
            old, self._listen_conn = self._listen_conn, None
            if old is not None:
                old.terminate()
            async for attempt in self._backoff.retrying(CONNECTION_ERRORS, "PostgreSQL LISTEN connection"):
                with attempt:
                    conn = await asyncpg.connect(self._dsn, timeout=5)
                    try:
                        for channel in sorted(self._channels):
                            await conn.add_listener(channel, self._on_notify)
                    except BaseException:
                        conn.terminate()
                        raise
            conn.add_termination_listener(self._on_terminated)
            self._listen_conn = conn
            self._lost.clear()

    async def _watch(self) -> None:
        while True:
            try:
                await asyncio.wait_for(self._lost.wait(), timeout=self._ping_interval)
            except asyncio.TimeoutError:
                try:
                    async with self._lock:
                        if self._listen_conn is not None:
                            await self._listen_conn.fetchval("SELECT 1", timeout=5)
                    continue
                except CONNECTION_ERRORS:
                    pass
            log.warning("PostgreSQL LISTEN connection lost; reconnecting")
            await self._open_listener()
            self.reconnects += 1
            offer(self._inbox, Gap())
