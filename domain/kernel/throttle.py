"""Limits on how often something may happen per key (an e-mail, an address, an invitation, a firm),
shared by every process through the database and exact under concurrency.

Each key has one counter row per fixed window. Taking a slot is one atomic statement, an
`INSERT ... ON CONFLICT DO UPDATE SET hits = hits + n RETURNING hits`, the same on PostgreSQL and
SQLite: parallel requests each get a different count, so no more than `limit` of them are ever let
through. A slot that would go over the limit is given back at once, so refused requests do not
count. The previous window is weighed in by how much of it still overlaps the sliding window
(`previous × (1 − elapsed share)`), so a burst at the end of one window and the start of the next
is not twice the limit.

Inside a transaction (PostgreSQL) the counter row stays locked until the commit: callers that
count something they are writing (invitation e-mails, sign-ups) take the slot in the same unit of
work, so a rolled-back write gives its slot back too.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable, Mapping

from tortoise.expressions import F

from domain.kernel.clock import now
from domain.kernel.errors import DomainError, ErrorCode
from domain.kernel.models import ThrottleCounter

# Bound parameters per statement stay under PostgreSQL's 32,767 and SQLite's 32,766.
_MAX_KEYS_PER_STATEMENT = 5_000


def key_for(kind: str, value: str) -> str:
    """Keys hash what they count (e-mail, address) so the table holds no personal data."""
    return f"{kind}:{hashlib.sha256(value.lower().encode()).hexdigest()[:40]}"


@dataclass(frozen=True)
class Limit:
    key: str
    limit: int
    window: timedelta


def rate_limited(window: timedelta, what: str | None = None, what_ro: str | None = None, *,
                 field: list | None = None) -> DomainError:
    minutes = max(1, int(window.total_seconds() // 60))
    wait_en = f"{minutes // 60} hours" if minutes >= 120 else f"{minutes} minutes"
    wait_ro = f"{minutes // 60} ore" if minutes >= 120 else f"{minutes} minute"
    return DomainError(ErrorCode.RATE_LIMITED,
                       f"{what or 'Too many attempts.'} Wait up to {wait_en} and try again.",
                       f"{what_ro or 'Prea multe încercări.'} Așteptați cel mult {wait_ro} și încercați din nou.", field=field)


def _bucket(window: timedelta, at: datetime) -> tuple[int, float]:
    """The window's number at `at`, and how much of it has passed (0..1)."""
    seconds = max(1, int(window.total_seconds()))
    position = at.timestamp() / seconds
    return int(position), position - int(position)


def _connection():
    return ThrottleCounter._meta.db  # inside a transaction: the transaction's connection


async def _add(amounts: Mapping[str, int], window: timedelta, at: datetime) -> dict[str, int]:
    """Add to the current window's counter of each key, atomically; the counts after adding."""
    if not amounts:
        return {}
    bucket, _ = _bucket(window, at)
    conn = _connection()
    expires = ThrottleCounter._meta.fields_map["expires_at"].to_db_value(at + 2 * window, ThrottleCounter)
    postgres = conn.capabilities.dialect == "postgres"
    keys = sorted(amounts)  # one order for every caller: row locks are taken alike, never crosswise
    out: dict[str, int] = {}
    for start in range(0, len(keys), _MAX_KEYS_PER_STATEMENT):
        chunk = keys[start:start + _MAX_KEYS_PER_STATEMENT]
        upsert = (' ON CONFLICT ("key", "bucket") DO UPDATE SET "hits" = "throttle_counters"."hits" + EXCLUDED."hits"'
                  ' RETURNING "key", "hits"')
        if postgres:
            sql = ('INSERT INTO "throttle_counters" ("key", "bucket", "hits", "expires_at") '
                   'SELECT k, $2::bigint, h, $4::timestamptz FROM unnest($1::varchar[], $3::int[]) AS t(k, h) ORDER BY k' + upsert)
            rows = await conn.execute_query_dict(sql, [chunk, bucket, [amounts[k] for k in chunk], expires])
        else:
            values: list = []
            for key in chunk:
                values += [key, bucket, amounts[key], expires]
            marks = ", ".join(["(?, ?, ?, ?)"] * len(chunk))
            sql = f'INSERT INTO "throttle_counters" ("key", "bucket", "hits", "expires_at") VALUES {marks}' + upsert
            rows = await conn.execute_query_dict(sql, values)
        out.update({row["key"]: int(row["hits"]) for row in rows})
    return out


async def _previous(keys: Iterable[str], window: timedelta, at: datetime) -> dict[str, int]:
    bucket, _ = _bucket(window, at)
    rows = await ThrottleCounter.filter(key__in=list(keys), bucket=bucket - 1).values_list("key", "hits")
    return {key: hits for key, hits in rows}


async def give_back(amounts: Mapping[str, int], window: timedelta, at: datetime | None = None) -> None:
    """Undo slots taken in the window of `at` (default: now)."""
    bucket, _ = _bucket(window, at or now())
    for key, amount in amounts.items():
        if amount:
            await ThrottleCounter.filter(key=key, bucket=bucket).update(hits=F("hits") - amount)


def _carried(previous: int, elapsed: float) -> int:
    """What the previous window still weighs, rounded up: rounding down would let one attempt more
    than the limit through just after a window turns."""
    return math.ceil(previous * (1 - elapsed))


async def take_many(amounts: Mapping[str, int], *, limit: int, window: timedelta,
                    at: datetime | None = None) -> dict[str, int]:
    """Take `amounts[key]` slots of each key, as many as fit under `limit` (all or part of each);
    how many were granted per key. What did not fit is given back at once."""
    at = at or now()
    _, elapsed = _bucket(window, at)
    wanted = {k: n for k, n in amounts.items() if n > 0}
    counts = await _add(wanted, window, at)
    previous = await _previous(wanted, window, at)
    granted: dict[str, int] = {}
    excess: dict[str, int] = {}
    for key, amount in wanted.items():
        carried = _carried(previous.get(key, 0), elapsed)
        room = limit - carried - (counts[key] - amount)  # what was free before this request added
        granted[key] = max(0, min(amount, room))
        if granted[key] < amount:
            excess[key] = amount - granted[key]
    await give_back(excess, window, at)
    return granted


async def take(key: str, *, limit: int, window: timedelta, amount: int = 1, at: datetime | None = None) -> int:
    """Take up to `amount` slots of one key; how many were granted."""
    return (await take_many({key: amount}, limit=limit, window=window, at=at)).get(key, 0)


@dataclass(frozen=True)
class Taken:
    """Slots taken by `hit`, to give back with `release` (in the windows they were taken in)."""

    slots: tuple[tuple[Limit, datetime], ...]


async def hit(*limits: Limit, what: str | None = None, what_ro: str | None = None) -> Taken:
    """One slot of every limit, or none: RATE_LIMITED (and everything taken given back) when any is used up."""
    taken: list[tuple[Limit, datetime]] = []
    for item in limits:
        at = now()
        if not await take(item.key, limit=item.limit, window=item.window, at=at):
            await release(Taken(tuple(taken)))
            raise rate_limited(item.window, what, what_ro)
        taken.append((item, at))
    return Taken(tuple(taken))


async def release(taken: Taken) -> None:
    """Give the slots back (e.g. an attempt that succeeded does not count as a failure)."""
    for item, at in taken.slots:
        await give_back({item.key: 1}, item.window, at)


async def used(key: str, window: timedelta) -> int:
    """Slots of `key` in use now (the sliding estimate)."""
    at = now()
    bucket, elapsed = _bucket(window, at)
    rows = dict(await ThrottleCounter.filter(key=key, bucket__in=[bucket - 1, bucket]).values_list("bucket", "hits"))
    return rows.get(bucket, 0) + _carried(rows.get(bucket - 1, 0), elapsed)


async def clear(key: str) -> None:
    await ThrottleCounter.filter(key=key).delete()


async def purge_expired() -> int:
    return await ThrottleCounter.filter(expires_at__lt=now()).delete()
