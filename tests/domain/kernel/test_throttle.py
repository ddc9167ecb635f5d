"""Throttle counters: what fits is granted, what does not is given back, and the previous window
still counts for the part of it the sliding window covers."""

from datetime import timedelta

import pytest

from domain.kernel import throttle
from domain.kernel.clock import now
from domain.kernel.errors import DomainError
from domain.kernel.models import ThrottleCounter

HOUR = timedelta(hours=1)


async def test_take_grants_what_fits_and_gives_back_the_rest(db):
    assert await throttle.take("k", limit=5, window=HOUR, amount=3) == 3
    assert await throttle.take("k", limit=5, window=HOUR, amount=4) == 2
    assert await throttle.take("k", limit=5, window=HOUR) == 0
    assert await throttle.used("k", HOUR) == 5  # refused slots were given back


async def test_take_many_counts_each_key_on_its_own(db):
    granted = await throttle.take_many({"a": 2, "b": 7, "c": 0}, limit=3, window=HOUR)
    assert granted == {"a": 2, "b": 3}
    assert await throttle.take_many({"a": 2, "b": 1}, limit=3, window=HOUR) == {"a": 1, "b": 0}


async def test_hit_takes_every_limit_or_none_and_release_gives_them_back(db):
    first, second = throttle.Limit("x", 1, HOUR), throttle.Limit("y", 2, HOUR)
    taken = await throttle.hit(first, second)
    with pytest.raises(DomainError) as err:
        await throttle.hit(second, first)  # y fits, x does not: y is given back
    assert str(err.value.code) == "RATE_LIMITED"
    assert await throttle.used("y", HOUR) == 1
    await throttle.release(taken)
    assert await throttle.used("x", HOUR) == 0 and await throttle.used("y", HOUR) == 0


async def test_the_previous_window_still_counts(db):
    bucket = int(now().timestamp() // HOUR.total_seconds())
    await ThrottleCounter.create(key="p", bucket=bucket - 1, hits=10_000, expires_at=now() + HOUR)
    assert await throttle.take("p", limit=5, window=HOUR) == 0


async def test_expired_counters_are_purged(db):
    await ThrottleCounter.create(key="old", bucket=1, hits=1, expires_at=now() - timedelta(seconds=1))
    await throttle.take("new", limit=5, window=HOUR)
    assert await throttle.purge_expired() == 1
    assert await ThrottleCounter.filter(key="new").exists()
