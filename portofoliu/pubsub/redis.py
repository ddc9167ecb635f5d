"""Redis pub/sub behind broadcaster's backend interface, surviving Redis restarts.

broadcaster 0.3.1's own Redis backend never reconnects (subscribers hang while publishing still
"succeeds"). This one keeps one listening connection that it re-opens with back-off, subscribes
again to every channel in use, and then hands the fan-out a `Gap` so subscribers reload what they
may have missed while Redis was away. `subscribe()` returns once Redis has confirmed the
subscription, so a caller replaying rows right after it cannot miss an event in between.
Publishing goes through a separate client (its own connection pool).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from broadcaster import Event
from broadcaster._backends.base import BroadcastBackend
from redis import asyncio as aioredis
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry

from portofoliu.pubsub.broadcast import Gap, offer
from portofoliu.pubsub.reconnect import Backoff

PUBLISH_BATCH = 1000  # messages per pipelined round trip

log = logging.getLogger(__name__)

# Always subscribed, and subscribed last on every (re)connect: its confirmation means every
# channel before it in the same SUBSCRIBE is confirmed too.
CONTROL_CHANNEL = "portofoliu:pubsub:control"
CONNECTION_ERRORS = (RedisConnectionError, RedisTimeoutError, ConnectionError, OSError)
SUBSCRIBE_TIMEOUT = 5.0
INBOX_SIZE = 10_000


class RedisBackend(BroadcastBackend):
    def __init__(self, url: str, *, backoff: Backoff = Backoff(), health_check_interval: float = 15.0) -> None:
        self._url = url
        self._backoff = backoff
        self._health_check_interval = health_check_interval
        self._channels: set[str] = set()
        self._pending: dict[str, list[asyncio.Future[None]]] = {}
        self._inbox: asyncio.Queue[Event] = asyncio.Queue(maxsize=INBOX_SIZE)
        self._pubsub: aioredis.client.PubSub | None = None
        self._batch: set[str] = set()
        self._listener: asyncio.Task[None] | None = None
        self._connected = asyncio.Event()
        self.reconnects = 0

    async def connect(self) -> None:
        self._publisher = aioredis.Redis.from_url(self._url, socket_connect_timeout=2.0, socket_timeout=5.0,
                                                  retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), 2),
                                                  retry_on_error=[RedisConnectionError, RedisTimeoutError])
        # Errors of the listening connection surface here instead of being retried inside redis-py,
        # so that every reconnect is known and announced as a `Gap`.
        self._listening = aioredis.Redis.from_url(self._url, socket_connect_timeout=2.0, socket_keepalive=True,
                                                  health_check_interval=self._health_check_interval, retry=Retry(ExponentialBackoff(), 0))
        self._listener = asyncio.create_task(self._listen_forever(), name="redis-pubsub-listener")
        try:
            await asyncio.wait_for(self._connected.wait(), timeout=SUBSCRIBE_TIMEOUT)
        except asyncio.TimeoutError:
            log.warning("Redis pub/sub not reachable at start-up; subscribers will catch up when it is")

    async def disconnect(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            try:
                await self._listener
            except asyncio.CancelledError:
                pass
        await self._close_pubsub()
        await self._listening.aclose()
        await self._publisher.aclose()

    async def subscribe(self, channel: str) -> None:
        self._channels.add(channel)
        confirmed = asyncio.get_running_loop().create_future()
        self._pending.setdefault(channel, []).append(confirmed)
        if self._connected.is_set() and self._pubsub is not None:
            try:
                await self._pubsub.subscribe(channel)
            except CONNECTION_ERRORS:
                pass  # the reconnect subscribes every channel again and confirms this one
        try:
            await asyncio.wait_for(asyncio.shield(confirmed), timeout=SUBSCRIBE_TIMEOUT)
        except asyncio.TimeoutError:
            # Redis is away: go on; the `Gap` after the reconnect makes the subscriber reload.
            log.warning("subscription to %s not confirmed yet (Redis unreachable)", channel)

    async def unsubscribe(self, channel: str) -> None:
        self._channels.discard(channel)
        for future in self._pending.pop(channel, []):
            future.cancel()
        if self._connected.is_set() and self._pubsub is not None:
            try:
                await self._pubsub.unsubscribe(channel)
            except CONNECTION_ERRORS:
                pass

    async def publish(self, channel: str, message: Any) -> None:
        await self._publisher.publish(channel, message)

    async def publish_many(self, messages: list[tuple[str, Any]]) -> None:
        """Pipelined, PUBLISH_BATCH at a time: one round trip instead of one per message."""
        for start in range(0, len(messages), PUBLISH_BATCH):
            async with self._publisher.pipeline(transaction=False) as pipe:
                for channel, message in messages[start:start + PUBLISH_BATCH]:
                    pipe.publish(channel, message)
                await pipe.execute()

    async def next_published(self) -> Event:
        return await self._inbox.get()

    async def _close_pubsub(self) -> None:
        pubsub, self._pubsub = self._pubsub, None
        if pubsub is not None:
            try:
                await pubsub.aclose()
            except Exception:  # noqa: BLE001 - the connection is already gone
                pass

    async def _listen_forever(self) -> None:
        first = True
        while True:
            async for attempt in self._backoff.retrying(CONNECTION_ERRORS, "Redis pub/sub"):
                with attempt:
                    await self._close_pubsub()
                    self._pubsub = self._listening.pubsub()
                    self._batch = set(self._channels)
                    await self._pubsub.subscribe(*sorted(self._batch), CONTROL_CHANNEL)
            try:
                await self._read(announce_gap=not first)
            except CONNECTION_ERRORS as exc:
                log.warning("Redis pub/sub connection lost (%s); reconnecting", exc)
            self._connected.clear()
            first = False
            self.reconnects += 1

    async def _read(self, *, announce_gap: bool) -> None:
        assert self._pubsub is not None
        while True:
            message = await self._pubsub.get_message(ignore_subscribe_messages=False, timeout=self._health_check_interval)
            if message is None:
                continue
            kind = message["type"]
            channel = message["channel"].decode() if isinstance(message["channel"], bytes) else message["channel"]
            if kind == "message":
                data = message["data"]
                self._deliver(Event(channel=channel, message=data.decode() if isinstance(data, bytes) else data))
            elif kind == "subscribe":
                if channel == CONTROL_CHANNEL:
                    self._connected.set()
                    if announce_gap:
                        self._deliver(Gap())
                        announce_gap = False
                    # Every channel sent before the control channel is confirmed by now; channels
                    # asked for while (re)connecting were not sent yet: send them now.
                    for name in self._batch:
                        self._confirm(name)
                    missing = self._channels - self._batch
                    if missing:
                        await self._pubsub.subscribe(*sorted(missing))
                else:
                    self._confirm(channel)

    def _confirm(self, channel: str) -> None:
        for future in self._pending.pop(channel, []):
            if not future.done():
                future.set_result(None)

    def _deliver(self, event: Event) -> None:
        # The fan-out never waits, so a full inbox means a starved process: everyone reloads.
        offer(self._inbox, event)  # any Gap reaches every subscriber
