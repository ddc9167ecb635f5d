"""Client-side budgets for ANAF's limits: per-minute call limiters and the per-CUI daily quota."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from anaf.limits import LocalCallLimiter, MemoryDailyQuota, RedisCallLimiter, RedisDailyQuota
from tests.support.requirements import service_missing

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    client = Redis.from_url(REDIS_URL)
    try:
        await client.ping()
    except (RedisConnectionError, OSError) as exc:
        await client.aclose()
        service_missing(f"no Redis server at {REDIS_URL} ({exc}); set TEST_REDIS_URL to run the shared-limit tests")
    yield client
    await client.aclose()


@pytest.fixture
def key() -> str:
    return f"test:anaf-limits:{uuid.uuid4().hex}"


async def timed(*calls) -> float:
    started = time.monotonic()
    for call in calls:
        await call()
    return time.monotonic() - started


async def test_local_limiter_waits_when_the_budget_is_spent():
    limiter = LocalCallLimiter(per_minute=3, window_seconds=0.6)
    assert await timed(*[limiter.acquire] * 3) < 0.1
    assert await timed(limiter.acquire) >= 0.1


@pytest.mark.redis
async def test_redis_limiter_is_one_budget_for_two_processes(redis, key):
    first = RedisCallLimiter(redis, per_minute=4, key=key, window_seconds=1.0)
    second = RedisCallLimiter(redis, per_minute=4, key=key, window_seconds=1.0)
    assert await timed(first.acquire, second.acquire, first.acquire, second.acquire) < 0.3
    # The window is full for both: the fifth call waits until the first leaves the window.
    assert await timed(second.acquire) >= 0.6
    other = RedisCallLimiter(redis, per_minute=4, key=f"{key}:other", window_seconds=1.0)
    assert await timed(other.acquire) < 0.1  # another key is another budget
    await redis.delete(key, f"{key}:other")


@pytest.mark.redis
async def test_redis_limiter_waiters_share_the_window_fairly(redis, key):
    limiters = [RedisCallLimiter(redis, per_minute=3, key=key, window_seconds=0.5) for _ in range(3)]
    started = time.monotonic()
    await asyncio.gather(*(limiter.acquire() for limiter in limiters for _ in range(3)))
    # 9 calls, 3 per half second: at least two full windows had to pass.
    assert time.monotonic() - started >= 0.9
    await redis.delete(key)


async def test_memory_daily_quota_counts_per_cui():
    quota = MemoryDailyQuota(per_day=2)
    assert [await quota.take("18547290") for _ in range(3)] == [True, True, False]
    assert await quota.take("4221306")


@pytest.mark.redis
async def test_redis_daily_quota_is_shared(redis, key):
    first, second = RedisDailyQuota(redis, per_day=3, key=key), RedisDailyQuota(redis, per_day=3, key=key)
    taken = [await first.take("18547290"), await second.take("18547290"), await first.take("18547290")]
    assert taken == [True, True, True]
    assert not await second.take("18547290")
    assert await second.take("4221306")
    async for stale in redis.scan_iter(f"{key}:*"):
        await redis.delete(stale)


async def test_local_limiter_is_a_sliding_window_not_a_bucket_that_refills_at_once():
    """ANAF counts the calls of any minute: after a full burst, the next call waits for the window."""
    limiter = LocalCallLimiter(5, window_seconds=0.5)
    started = time.monotonic()
    for _ in range(5):
        await limiter.acquire()
    assert time.monotonic() - started < 0.1
    await limiter.acquire()
    assert time.monotonic() - started >= 0.5  # a leaky bucket would have let it through after 0.1 s



async def test_a_call_counts_until_a_window_after_its_answer():
    """ANAF counts a call when it arrives, which may be late: the window runs from the answer."""
    limiter = LocalCallLimiter(2, window_seconds=0.4)
    started = time.monotonic()
    slow = await limiter.acquire()
    await limiter.acquire()
    await asyncio.sleep(0.3)
    limiter.completed(slow)  # its answer came only now
    await limiter.acquire()
    assert time.monotonic() - started >= 0.4  # the fast call's slot freed at 0.4 s...
    await limiter.acquire()
    assert time.monotonic() - started >= 0.7  # ...the slow one's only 0.4 s after its answer
