"""Client-side budgets for ANAF's published e-Factura limits.

ANAF allows 1,000 calls per minute for all e-Factura methods together (HTTP 429 above it) and 1,500
simple-list calls per CUI per day (a `S-au facut deja ...` answer above it); ignoring those answers
repeatedly can get the user, then the application, blocked. So the application budgets its own
calls before ANAF has to refuse them:

- `CallLimiter.acquire()` waits (never fails) until one more call fits the per-minute budget.
  `LocalCallLimiter` budgets one process: give each of N processes a 1/N share of the limit.
  `RedisCallLimiter` budgets every process that shares a Redis key (a sliding window kept in Redis).
- `DailyQuota.take(cui)` says whether one more simple-list call for that CUI fits today's budget
  (ANAF's day: Europe/Bucharest). `MemoryDailyQuota` for one process, `RedisDailyQuota` shared.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from redis.asyncio import Redis

ANAF_CALLS_PER_MINUTE = 1000
ANAF_LIST_CALLS_PER_CUI_PER_DAY = 1500
ANAF_TIMEZONE = ZoneInfo("Europe/Bucharest")


class CallLimiter(Protocol):
    async def acquire(self) -> object:
        """Return when one more call may be made; wait as long as needed. A limiter may return a
        slot and offer `completed(slot)`, called when the call's answer came back."""


class DailyQuota(Protocol):
    async def take(self, cui: str) -> bool:
        """Count one call for `cui` today; False when today's budget for it is already spent."""


def anaf_day(now: datetime | None = None) -> str:
    """The calendar day, in Romania, that ANAF's daily quotas count in (YYYY-MM-DD)."""
    return (now or datetime.now(ANAF_TIMEZONE)).astimezone(ANAF_TIMEZONE).date().isoformat()


def _redis_client(redis: str | Redis) -> tuple[Redis, bool]:
    """A client from a URL (owned, closed by us) or the caller's client (not ours to close)."""
    if isinstance(redis, str):
        return Redis.from_url(redis), True
    return redis, False


class LocalCallLimiter:
    """Per-process budget of `per_minute` calls in any sliding window of `window_seconds`.

    A sliding-window log, as ANAF counts (a leaky bucket, which lets a full burst through and then
    keeps dripping, would allow nearly twice the limit in the first minute). A call counts from when
    it starts until `window_seconds` after it ends (`completed(slot)`): ANAF counts it when it
    arrives, which a busy or slow connection can delay by more than any fixed margin, but never
    past the answer."""

    def __init__(self, per_minute: int = ANAF_CALLS_PER_MINUTE, *, window_seconds: float = 60.0) -> None:
        self._per_minute = per_minute
        self._window = window_seconds
        self._calls: dict[int, float] = {}  # slot -> when the call started, or when it ended
        self._next_slot = 0
        self._lock = asyncio.Lock()

    async def acquire(self) -> int:
        async with self._lock:  # callers are served in arrival order
            while True:
                now = time.monotonic()
                for slot in [s for s, at in self._calls.items() if at <= now - self._window]:
                    del self._calls[slot]
                if len(self._calls) < self._per_minute:
                    self._next_slot += 1
                    self._calls[self._next_slot] = now
                    return self._next_slot
                await asyncio.sleep(min(self._calls.values()) + self._window - now + 0.001)

    def completed(self, slot: int | None) -> None:
        """The call of `slot` got its answer: it leaves the window `window_seconds` from now."""
        if slot in self._calls:
            self._calls[slot] = time.monotonic()


# A sliding-window log in a sorted set, timed by the Redis server's clock so that processes on
# machines with skewed clocks still share one window. Returns 0 when the call was admitted, else
# the milliseconds until the oldest call in the window leaves it.
_SLIDING_WINDOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window)
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local wait = tonumber(oldest[2]) + window - now
if wait < 1 then wait = 1 end
return wait
"""


class RedisCallLimiter:
    """Budget of `per_minute` calls shared by every process using the same Redis `key`."""

    def __init__(
        self,
        redis: str | Redis,
        per_minute: int = ANAF_CALLS_PER_MINUTE,
        key: str = "anaf:efactura:calls",
        *,
        window_seconds: float = 60.0,
    ) -> None:
        self._redis, self._owned = _redis_client(redis)
        self._per_minute = per_minute
        self._key = key
        self._window_ms = int(window_seconds * 1000)
        self._script = self._redis.register_script(_SLIDING_WINDOW)

    async def acquire(self) -> None:
        while True:
            args = [self._per_minute, self._window_ms, uuid.uuid4().hex]
            wait_ms = int(await self._script(keys=[self._key], args=args))
            if wait_ms == 0:
                return
            # Jitter so that waiting processes do not all retry in the same millisecond.
            await asyncio.sleep(wait_ms / 1000 + random.uniform(0, 0.05))

    async def aclose(self) -> None:
        if self._owned:
            await self._redis.aclose()


class MemoryDailyQuota:
    """Per-process daily budget of simple-list calls per CUI."""

    def __init__(self, per_day: int = ANAF_LIST_CALLS_PER_CUI_PER_DAY) -> None:
        self._per_day = per_day
        self._day = ""
        self._counts: dict[str, int] = {}
        self._lock = asyncio.Lock()

    async def take(self, cui: str) -> bool:
        async with self._lock:
            today = anaf_day()
            if today != self._day:
                self._day, self._counts = today, {}
            used = self._counts.get(cui, 0)
            if used >= self._per_day:
                return False
            self._counts[cui] = used + 1
            return True


class RedisDailyQuota:
    """Daily budget of simple-list calls per CUI, shared through Redis (one counter per CUI and day)."""

    def __init__(
        self,
        redis: str | Redis,
        per_day: int = ANAF_LIST_CALLS_PER_CUI_PER_DAY,
        key: str = "anaf:efactura:daily",
    ) -> None:
        self._redis, self._owned = _redis_client(redis)
        self._per_day = per_day
        self._key = key

    async def take(self, cui: str) -> bool:
        key = f"{self._key}:{anaf_day()}:{cui}"
        async with self._redis.pipeline(transaction=True) as pipe:
            # Two days of life: the counter outlives its day whatever the server's time zone.
            used, _ = await pipe.incr(key).expire(key, 2 * 86400).execute()
        return int(used) <= self._per_day

    async def aclose(self) -> None:
        if self._owned:
            await self._redis.aclose()
