"""The pub/sub layer on its own: bounded queues, the slow-consumer policy, backend choice, limits."""

from __future__ import annotations

import asyncio
import os
from contextlib import asynccontextmanager

import pytest

from portofoliu.pubsub import Gap, create_broadcast
from portofoliu.pubsub.postgres import PayloadTooLarge, PostgresBackend
from portofoliu.pubsub.redis import RedisBackend
from tests.support.processes import throwaway_redis

PG_URL = os.environ.get("TEST_DATABASE_URL", "").strip() or "postgres://postgres@127.0.0.1:5432/test"


async def test_a_slow_subscriber_gets_one_gap_instead_of_an_unbounded_queue():
    broadcast = create_broadcast("memory://", queue_size=4)
    await broadcast.connect()
    try:
        async with broadcast.subscribe("user:1") as slow, broadcast.subscribe("user:1") as fast:
            received = []
            for i in range(10):
                await broadcast.publish("user:1", str(i))
                received.append((await asyncio.wait_for(fast.get(), 1)).message)
            await asyncio.sleep(0.05)
            assert received == [str(i) for i in range(10)]  # the fast one is not held back
            backlog = await slow.batch()
            # The slow one is told to reload; its backlog was dropped and never exceeded the bound.
            assert isinstance(backlog[0], Gap) and len(backlog) <= 4
            assert all(not isinstance(e, Gap) for e in backlog[1:])
            assert broadcast.gaps >= 1
    finally:
        await broadcast.disconnect()


def test_the_backend_follows_the_url():
    assert isinstance(create_broadcast("redis://127.0.0.1:6379/0").backend, RedisBackend)
    assert isinstance(create_broadcast("postgres://postgres@127.0.0.1/test").backend, PostgresBackend)
    with pytest.raises(ValueError):
        create_broadcast("kafka://localhost")


@pytest.mark.redis
async def test_subscribers_joining_a_channel_at_once_all_hear_it():
    async with throwaway_redis() as redis:
        broadcast = create_broadcast(redis.url)
        await broadcast.connect()
        try:
            async with asyncio.TaskGroup() as group:
                ready = asyncio.Event()
                heard: list[str] = []

                async def listen():
                    async with broadcast.subscribe("company:9") as events:
                        await ready.wait()
                        heard.append((await asyncio.wait_for(events.get(), 3)).message)

                for _ in range(5):
                    group.create_task(listen())
                await asyncio.sleep(0.2)
                ready.set()
                await broadcast.publish("company:9", "x")
            assert heard == ["x"] * 5
        finally:
            await broadcast.disconnect()


@asynccontextmanager
async def connected(backend: str, queue_size: int = 4096):
    """A broadcast on a throwaway Redis or on the test PostgreSQL (skipped when it is unreachable and
    not required), with room for big bursts."""
    if backend == "redis":
        async with throwaway_redis() as redis:
            broadcast = create_broadcast(redis.url, queue_size=queue_size)
            await broadcast.connect()
            try:
                yield broadcast
            finally:
                await broadcast.disconnect()
        return
    broadcast = create_broadcast(PG_URL, queue_size=queue_size)
    try:
        await broadcast.connect()
    except OSError as exc:
        if os.environ.get("REQUIRE_SERVICES") == "1":
            raise
        pytest.skip(f"PostgreSQL unreachable: {exc}")
    try:
        yield broadcast
    finally:
        await broadcast.disconnect()


async def test_postgres_refuses_a_payload_it_could_not_carry():
    async with connected("postgres") as broadcast:
        with pytest.raises(PayloadTooLarge):
            await broadcast.publish("user:1", "x" * 8000)
        async with broadcast.subscribe("portofoliu_test_limit") as events:
            await broadcast.publish("portofoliu_test_limit", "y" * 7000)
            assert (await asyncio.wait_for(events.get(), 3)).message == "y" * 7000


@pytest.mark.parametrize("backend", [pytest.param("redis", marks=pytest.mark.redis), "postgres"])
async def test_a_burst_published_together_reaches_every_channel_in_order(backend):
    """One commit's events go out together (pipelined); each channel still hears all of its own, in
    order, and nothing of the others'."""
    async with connected(backend) as broadcast:
        channels = [f"portofoliu_burst_{n}" for n in range(3)]
        async with broadcast.subscribe(channels[0]) as first, broadcast.subscribe(channels[1]) as second, \
                broadcast.subscribe(channels[2]) as third:
            burst = [(channels[n % 3], f"{n}") for n in range(2500)]
            await broadcast.publish_many(burst)
            for subscriber, channel in zip((first, second, third), channels):
                heard = [(await asyncio.wait_for(subscriber.get(), 5)).message
                         for _ in range(sum(1 for c, _ in burst if c == channel))]
                assert heard == [message for c, message in burst if c == channel]
                assert subscriber.pending() == []
