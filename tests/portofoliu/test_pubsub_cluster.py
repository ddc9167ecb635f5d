"""Several processes sharing Redis or PostgreSQL: an event produced in one reaches a subscriber of
another, and a pub/sub outage loses no notification.

"Two processes" are the test's own service (in this process; it produces the events) and
`python -m portofoliu serve` in a real subprocess (it holds the subscribers), so nothing is shared
in memory: an event can only cross through the pub/sub backend. (Two apps in one process could
not even be started: the ORM has one global context per process.)
"""

from __future__ import annotations

import asyncio
import os
import uuid
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from tests.support.bell import NOTIFICATION_ADDED, ring
from tests.support.factories import api_user
from tests.support.processes import service_process, throwaway_redis
from tests.support.ws import WsClient

PG_URL = os.environ.get("TEST_DATABASE_URL", "").strip() or "postgres://postgres@127.0.0.1:5432/test"


def process_env(settings, broadcast_url: str) -> dict[str, str]:
    key_id, secret = settings.current_key
    return {"DATABASE_URL": settings.database_url, "BROADCAST_URL": broadcast_url,
            "SECRET_KEY": f"{key_id}:{secret.decode()}", "APP_URL": settings.app_url}


@pytest.fixture
async def redis_bus():
    async with throwaway_redis() as redis:
        yield redis


@pytest.fixture
async def pg_bus():
    """A database of its own for LISTEN/NOTIFY (channels are per database), so parallel runs never hear each other."""
    name = f"portofoliu_bus_{uuid.uuid4().hex[:12]}"
    admin_url = PG_URL.replace("postgresql://", "postgres://", 1)
    try:
        admin = await asyncpg.connect(admin_url, timeout=3)
    except (OSError, asyncpg.PostgresError) as exc:
        if os.environ.get("REQUIRE_SERVICES") == "1":
            raise
        pytest.skip(f"PostgreSQL unreachable: {exc}")
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(urlsplit(admin_url)._replace(path=f"/{name}"))
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def collect(bell, count: int, timeout: float = 15.0) -> list[int]:
    return [int((await bell.next(timeout=timeout))["notificationAdded"]["id"]) for _ in range(count)]


@pytest.mark.redis
async def test_an_event_made_in_one_process_reaches_a_subscriber_of_another_through_redis(start_service, settings, redis_bus, db):
    producer = await start_service(broadcast_url=redis_bus.url)
    token, user = await api_user(producer)
    async with service_process(process_env(settings, redis_bus.url)) as other:
        ws = await WsClient.connect(other + "/graphql", token)
        bell = await ws.subscribe(NOTIFICATION_ADDED, after="0")
        await asyncio.sleep(0.2)
        sent = [await ring(user["id"], f"n{i}") for i in range(3)]
        assert await collect(bell, 3) == sent
        # Signing out in this process closes the socket held by the other one.
        await producer.client(token).execute("mutation { signOut }")
        assert (await ws.wait_closed()).code == 4401


@pytest.mark.redis
async def test_redis_restarted_mid_stream_loses_no_notification(start_service, settings, redis_bus, db):
    producer = await start_service(broadcast_url=redis_bus.url)
    token, user = await api_user(producer)
    async with service_process(process_env(settings, redis_bus.url)) as other:
        ws = await WsClient.connect(other + "/graphql", token)
        bell = await ws.subscribe(NOTIFICATION_ADDED, after="0")
        await asyncio.sleep(0.2)
        sent = [await ring(user["id"], f"before {i}") for i in range(20)]
        received = await collect(bell, 20)

        await redis_bus.kill()
        sent += [await ring(user["id"], f"during {i}") for i in range(10)]  # rows commit; publishing fails
        await redis_bus.start()
        # The subscriber's process reconnects, resubscribes, and replays from its cursor.
        received += await collect(bell, 10, timeout=20)
        await asyncio.sleep(0.5)  # the producer's own Redis client reconnects on its next publish
        sent += [await ring(user["id"], f"after {i}") for i in range(10)]
        received += await collect(bell, 10)

        assert received == sent, f"lost {len(set(sent) - set(received))} of {len(sent)}"
        assert await bell.nothing_within(0.5), "a notification was delivered twice"
        await ws.close()


async def test_an_event_made_in_one_process_reaches_a_subscriber_of_another_through_postgres(start_service, settings, pg_bus, db):
    producer = await start_service(broadcast_url=pg_bus)
    token, user = await api_user(producer)
    async with service_process(process_env(settings, pg_bus)) as other:
        ws = await WsClient.connect(other + "/graphql", token)
        bell = await ws.subscribe(NOTIFICATION_ADDED, after="0")
        await asyncio.sleep(0.2)
        sent = [await ring(user["id"], f"n{i}") for i in range(3)]
        assert await collect(bell, 3) == sent
        await ws.close()


async def test_a_dropped_listen_connection_reconnects_and_loses_no_notification(start_service, settings, pg_bus, db):
    producer = await start_service(broadcast_url=pg_bus)
    token, user = await api_user(producer)
    async with service_process(process_env(settings, pg_bus)) as other:
        ws = await WsClient.connect(other + "/graphql", token)
        bell = await ws.subscribe(NOTIFICATION_ADDED, after="0")
        await asyncio.sleep(0.2)
        sent = [await ring(user["id"], f"before {i}") for i in range(5)]
        received = await collect(bell, 5)

        bus_name = urlsplit(pg_bus).path.lstrip("/")
        admin = await asyncpg.connect(PG_URL.replace("postgresql://", "postgres://", 1))
        try:
            killed = await admin.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = $1 AND query ILIKE 'LISTEN%'", bus_name)
        finally:
            await admin.close()
        assert killed >= 1
        sent += [await ring(user["id"], f"after {i}") for i in range(5)]
        received += await collect(bell, 5, timeout=20)
        assert received == sent
        assert await bell.nothing_within(0.5)
        await ws.close()
