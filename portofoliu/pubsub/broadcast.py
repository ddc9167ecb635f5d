"""Broadcaster's `Broadcast` with bounded subscriber queues and a `Gap` signal.

broadcaster 0.3.1 gives every subscriber an unbounded queue and fans events out with `await
queue.put(...)`, so one slow consumer grows memory without limit. Here each subscriber has a
queue of `queue_size` events and the fan-out never waits. Slow-consumer policy: when a
subscriber's queue is full, its queued events are dropped and replaced by one `Gap`; a subscriber
that sees a `Gap` reloads from the rows (the database is the truth, events only say "look").

A backend that reconnected (and so may have missed events) hands the fan-out a `Gap` too, which
reaches every subscriber of every channel.

The public interface (`connect`, `disconnect`, `publish`, `subscribe` yielding a subscriber with
`get()` and async iteration) is broadcaster's.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator

from broadcaster import Broadcast, Event
from broadcaster._backends.base import BroadcastBackend
from broadcaster._base import Subscriber

from domain.kernel.events import Gap

log = logging.getLogger(__name__)

DEFAULT_QUEUE_SIZE = 256


def offer(queue: asyncio.Queue, event: Event) -> bool:
    """Put without waiting; a full queue is emptied down to one `Gap` (False then)."""
    try:
        queue.put_nowait(event)
        return True
    except asyncio.QueueFull:
        while not queue.empty():
            queue.get_nowait()
        queue.put_nowait(event if isinstance(event, Gap) else Gap(event.channel))
        return False


class BoundedBroadcast(Broadcast):
    def __init__(self, url: str | None = None, *, backend: BroadcastBackend | None = None,
                 queue_size: int = DEFAULT_QUEUE_SIZE) -> None:
        super().__init__(url, backend=backend)
        self.queue_size = queue_size
        self.gaps = 0  # how many times a subscriber was told to reload (observability)
        # The backend's subscribe is awaited once per channel; later subscribers wait on the same task.
        self._channel_ready: dict[str, asyncio.Future[None]] = {}

    @property
    def backend(self) -> BroadcastBackend:
        return self._backend

    async def _listener(self) -> None:
        while True:
            event = await self._backend.next_published()
            if isinstance(event, Gap):
                for channel, queues in list(self._subscribers.items()):
                    for queue in list(queues):
                        offer(queue, Gap(channel))
                        self.gaps += 1
                continue
            for queue in list(self._subscribers.get(event.channel, ())):
                if not offer(queue, event):
                    self.gaps += 1

    @asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator["LiveSubscriber"]:
        """Subscribed (confirmed by the backend) when the block starts, so a caller may replay rows next."""
        queue: asyncio.Queue[Event | None] = asyncio.Queue(maxsize=self.queue_size)
        # Register first: a second subscriber arriving while the first awaits the backend must not
        # subscribe the backend twice nor overwrite the first one's queue (as 0.3.1 does).
        first = channel not in self._subscribers
        self._subscribers.setdefault(channel, set()).add(queue)
        try:
            if first:
                ready = self._channel_ready[channel] = asyncio.ensure_future(self._backend.subscribe(channel))
            else:
                ready = self._channel_ready[channel]
            await asyncio.shield(ready)
            yield LiveSubscriber(queue)
        finally:
            queues = self._subscribers.get(channel)
            if queues is not None:
                queues.discard(queue)
                if not queues:
                    del self._subscribers[channel]
                    self._channel_ready.pop(channel, None)
                    try:
                        await self._backend.unsubscribe(channel)
                    except Exception:  # noqa: BLE001 - a lost connection unsubscribes anyway
                        log.debug("unsubscribe %s failed", channel, exc_info=True)

    def subscriber_count(self) -> int:
        return sum(len(queues) for queues in self._subscribers.values())

    async def publish(self, channel: str, message: Any) -> None:
        await self._backend.publish(channel, message)

    async def publish_many(self, messages: list[tuple[str, Any]]) -> None:
        """Publish in order; a backend that can sends them together (`publish_many`), in one round trip."""
        publish_many = getattr(self._backend, "publish_many", None)
        if publish_many is not None:
            await publish_many(messages)
            return
        for channel, message in messages:
            await self._backend.publish(channel, message)


class LiveSubscriber(Subscriber):
    """broadcaster's subscriber, plus taking what is already queued without waiting (to coalesce)."""

    def pending(self) -> list[Event]:
        items = []
        while not self._queue.empty():
            item = self._queue.get_nowait()
            if item is not None:
                items.append(item)
        return items

    async def batch(self) -> list[Event]:
        """The next event and every one queued behind it."""
        first = await self.get()
        return [first, *self.pending()]
