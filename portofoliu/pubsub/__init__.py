"""Pub/sub for live events, chosen by `BROADCAST_URL`: `memory://` (one process), `redis://` or
`postgres://` (several processes). Every choice is broadcaster's `Broadcast` interface with
bounded subscriber queues and a `Gap` signal after anything may have been lost."""

from __future__ import annotations

from urllib.parse import urlsplit

from broadcaster._backends.memory import MemoryBackend

from portofoliu.pubsub.broadcast import DEFAULT_QUEUE_SIZE, BoundedBroadcast, Gap

__all__ = ["BoundedBroadcast", "Gap", "create_broadcast"]


def create_broadcast(url: str, *, queue_size: int = DEFAULT_QUEUE_SIZE) -> BoundedBroadcast:
    scheme = urlsplit(url).scheme
    if scheme == "memory":
        backend = MemoryBackend(url)
    elif scheme in ("redis", "rediss"):
        from portofoliu.pubsub.redis import RedisBackend

        backend = RedisBackend(url)
    elif scheme in ("postgres", "postgresql"):
        from portofoliu.pubsub.postgres import PostgresBackend

        backend = PostgresBackend(url)
    else:
        raise ValueError(f"BROADCAST_URL must be memory://, redis://... or postgres://..., got {url!r}")
    return BoundedBroadcast(backend=backend, queue_size=queue_size)
