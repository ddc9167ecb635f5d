"""The live streams behind the subscriptions.

Each stream subscribes to its channel first and only then reads rows, so nothing committed in
between is missed; it then follows events, loading fresh rows for each (events only carry ids). A
`Gap` (the pub/sub backend reconnected, or this subscriber fell too far behind) makes it reload
from the rows. Events queued together are handled together, so a burst costs one load; and the
bell's loads of every subscription of the process are coalesced into a few statements
(domain/notifications/live.py), so one commit notifying thousands of users does not cost thousands of queries.
"""

from __future__ import annotations

import logging
from collections import deque
from datetime import timedelta
from typing import Any, AsyncIterator

import orjson

from domain.invitations.models import Invitation
from domain.kernel.clock import now
from domain.kernel.events import Gap, company_channel, user_channel
from domain.notifications import live
from domain.notifications.models import Notification
from domain.portfolio.models import DiscoveryRun

log = logging.getLogger(__name__)

# How far back a catch-up after a gap looks for invitation changes: covers clock skew between the
# database and this process and transactions that committed a moment after they stamped the row.
CATCH_UP_SLACK = timedelta(seconds=30)


def payload(event) -> dict[str, Any]:
    try:
        data = orjson.loads(event.message)
    except (TypeError, ValueError):  # orjson.JSONDecodeError is a ValueError
        log.warning("ignoring a malformed event on %s", event.channel)
        return {}
    return data if isinstance(data, dict) else {}


def ids_of(events, kind: str) -> list[int]:
    out = []
    for event in events:
        data = payload(event)
        if data.get("kind") != kind:
            continue
        if isinstance(data.get("id"), int):
            out.append(data["id"])
        if isinstance(data.get("ids"), list):  # one event for many rows (e.g. the expiry sweep)
            out += [i for i in data["ids"] if isinstance(i, int)]
    return out


class RecentIds:
    """The last `size` ids delivered, to drop a duplicate without remembering a socket's whole life."""

    def __init__(self, size: int = 1024) -> None:
        self._order: deque[int] = deque(maxlen=size)
        self._set: set[int] = set()

    def add(self, value: int) -> None:
        if len(self._order) == self._order.maxlen:
            self._set.discard(self._order[0])
        self._order.append(value)
        self._set.add(value)

    def __contains__(self, value: int) -> bool:
        return value in self._set


async def notifications(broadcast, *, user_id: int, after_id: int | None) -> AsyncIterator[Notification]:
    """Every notification after the cursor (none given: after now), then live ones; each once, in id
    order (a notification whose transaction committed after a later one's comes when it commits)."""
    async with broadcast.subscribe(user_channel(user_id)) as events:
        start = after_id if after_id is not None else await live.latest_notification_id(user_id)
        cursor = start
        delivered = RecentIds()

        async def load(also_id: int | None = None):
            nonlocal cursor
            while True:
                rows = await live.fresh_notifications_after(user_id, cursor, also_id=also_id)
                for row in rows:
                    if row.id in delivered:
                        continue
                    delivered.add(row.id)
                    cursor = max(cursor, row.id)
                    yield row
                if len(rows) < live.REPLAY_PAGE:
                    return
                also_id = None

        async for row in load():
            yield row
        while True:
            batch = await events.batch()
            if any(isinstance(e, Gap) for e in batch):
                async for row in load():
                    yield row
                continue
            fresh = [i for i in ids_of(batch, "notification") if i > start and i not in delivered]
            if not fresh:
                continue
            late = [i for i in fresh if i < cursor]  # committed after a notification with a higher id
            for also in late or [None]:
                async for row in load(also_id=also):
                    yield row


async def unread_counts(broadcast, *, user_id: int) -> AsyncIterator[int]:
    """The unread count now, then again whenever it changes (new notifications or read ones)."""
    async with broadcast.subscribe(user_channel(user_id)) as events:
        last = await live.fresh_unread_count(user_id)
        yield last
        while True:
            await events.batch()  # any event on the user's channel (or a gap) may change it
            count = await live.fresh_unread_count(user_id)
            if count != last:
                last = count
                yield count


async def discovery_runs(broadcast, *, company_id: int) -> AsyncIterator[DiscoveryRun]:
    """The firm's latest run now (if any), then each run again whenever it progresses."""
    async with broadcast.subscribe(company_channel(company_id)) as events:
        latest = await live.latest_discovery_run(company_id)
        if latest is not None:
            yield latest
        while True:
            batch = await events.batch()
            if any(isinstance(e, Gap) for e in batch):
                run = await live.latest_discovery_run(company_id)
                if run is not None:
                    yield run
                continue
            for run_id in sorted(set(ids_of(batch, "discovery"))):
                run = await live.discovery_run(company_id, run_id)
                if run is not None:
                    yield run


async def invitation_updates(broadcast, *, company_id: int) -> AsyncIterator[Invitation]:
    """Each of the firm's invitations whenever it changes; after a gap, every one changed meanwhile."""
    async with broadcast.subscribe(company_channel(company_id)) as events:
        since = now()
        while True:
            batch = await events.batch()
            if any(isinstance(e, Gap) for e in batch):
                rows = await live.invitations_changed_since(company_id, since - CATCH_UP_SLACK)
            else:
                ids = sorted(set(ids_of(batch, "invitation")))
                rows = await live.invitations(company_id, ids) if ids else []
            since = now()
            for row in rows:
                yield row
