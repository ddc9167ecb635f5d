"""What live subscriptions load: fresh rows per event, only those the subscriber may see.

Events carry ids; these functions turn them into rows, scoped by the user or company the
subscription was authorised for, so an event can never reveal someone else's row.

The bell's loads (`fresh_notifications_after`, `fresh_unread_count`) are coalesced across every
subscription of the process: one commit notifying 2,000 users wakes 2,000 subscriptions, and
their loads are answered by a few statements instead of 2,000 (see domain/kernel/batching.py).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Sequence

from tortoise.expressions import Q
from tortoise.functions import Count

from domain.companies.models import Company
from domain.invitations.models import Invitation
from domain.kernel import sql
from domain.kernel.batching import Coalescer
from domain.notifications.models import Notification
from domain.portfolio.models import DiscoveryRun

REPLAY_PAGE = 500
# Users per coalesced statement: keeps the IN list and the rows read by one statement bounded.
USERS_PER_STATEMENT = 500
NOTIFICATION_RELATIONS = ("company", "invitation__firm", "invitation__client_company")


async def latest_notification_id(user_id: int) -> int:
    """The cursor of a subscription started without one: only notifications after now."""
    row = await Notification.filter(user_id=user_id).order_by("-id").only("id").first()
    return row.id if row else 0


async def notifications_after(user_id: int, after_id: int, *, also_id: int | None = None,
                              limit: int = REPLAY_PAGE) -> list[Notification]:
    """The user's notifications after a cursor (plus `also_id`, one that committed late), oldest
    first, with their company and invitation."""
    condition = Q(id__gt=after_id) if also_id is None else Q(id__gt=after_id) | Q(id=also_id)
    return await (Notification.filter(user_id=user_id).filter(condition).order_by("id").limit(limit)
                  .prefetch_related(*NOTIFICATION_RELATIONS))


@dataclass(frozen=True)
class NotificationsRequest:
    """One subscription's load: `notifications_after(user_id, after_id, also_id=also_id)`."""
    user_id: int
    after_id: int
    also_id: int | None = None

    def wants_id(self, notification_id: int) -> bool:
        return notification_id > self.after_id or notification_id == self.also_id


async def notifications_after_each(requests: Sequence[NotificationsRequest]) -> list[list[Notification]]:
    """What `notifications_after` answers for each request (at most REPLAY_PAGE rows each, oldest
    first, with their company and invitation), read with one statement per USERS_PER_STATEMENT users
    in the usual case, then the related rows of those kept in one or two more."""
    by_user: dict[int, list[int]] = defaultdict(list)
    for index, request in enumerate(requests):
        by_user[request.user_id].append(index)
    answers: list[list[Notification]] = [[] for _ in requests]
    users = sorted(by_user)
    for start in range(0, len(users), USERS_PER_STATEMENT):
        chunk = [index for user_id in users[start:start + USERS_PER_STATEMENT] for index in by_user[user_id]]
        await _read_pages(requests, chunk, answers)
    await _load_related(list({id(n): n for answer in answers for n in answer}.values()))
    return answers


async def _read_pages(requests: Sequence[NotificationsRequest], indexes: list[int],
                      answers: list[list[Notification]]) -> None:
    """Fill each request's page. One statement reads every row any of them may want (after the
    lowest cursor, or a late one), in id order; when it stops at its limit, the requests still
    short of a page read on past the last row seen (a replay from an old cursor sharing the batch
    with live loads costs a few more statements, never a wrong answer)."""
    open_ = list(indexes)
    seen_up_to: int | None = None  # every wanted row with an id up to this one has been read
    while open_:
        lowest = min(requests[index].after_id for index in open_)
        late: list[int] = []
        if seen_up_to is None:
            late = sorted({requests[i].also_id for i in open_ if requests[i].also_id is not None})
        else:
            lowest = max(lowest, seen_up_to)
        limit = REPLAY_PAGE + 4 * len(open_)
        users = sorted({requests[index].user_id for index in open_})
        rows = await sql.fetch(_PAGES[()], users, lowest, late, limit)
        waiting: dict[int, list[int]] = defaultdict(list)
        for index in open_:
            waiting[requests[index].user_id].append(index)
        for row in rows:
            wanting = [index for index in waiting.get(row["user_id"], ())
                       if requests[index].wants_id(row["id"]) and len(answers[index]) < REPLAY_PAGE]
            if wanting:
                notification = sql.model(Notification, row)
                for index in wanting:
                    answers[index].append(notification)
        if len(rows) < limit:
            return
        seen_up_to = rows[-1]["id"]
        open_ = [index for index in open_ if len(answers[index]) < REPLAY_PAGE]


async def _load_related(notifications: list[Notification]) -> None:
    """Attach each notification's company and invitation (with the invitation's firm and client
    company), read by id in two statements, only when some notification has them."""
    invitation_ids = sorted({n.invitation_id for n in notifications if n.invitation_id is not None})
    company_ids = sorted({n.company_id for n in notifications if n.company_id is not None})
    invitations: dict[int, Invitation] = {}
    companies: dict[int, Company] = {}
    if invitation_ids:
        for row in await sql.fetch(_INVITATIONS[()], invitation_ids):
            invitation = sql.model(Invitation, row, "i__")
            sql.attach(invitation, "firm", companies.setdefault(row["f__id"], sql.model(Company, row, "f__")))
            client = sql.model(Company, row, "c__")
            sql.attach(invitation, "client_company", companies.setdefault(client.id, client) if client else None)
            invitations[invitation.id] = invitation
    missing = [company_id for company_id in company_ids if company_id not in companies]
    if missing:
        for row in await sql.fetch(_COMPANIES[()], missing):
            companies[row["id"]] = sql.model(Company, row)
    for notification in notifications:
        sql.attach(notification, "invitation", invitations.get(notification.invitation_id) if notification.invitation_id else None)
        sql.attach(notification, "company", companies.get(notification.company_id) if notification.company_id else None)


# $1 the users, $2 the lowest cursor, $3 late ids wanted too, $4 the limit
_PAGES = sql.Statements(lambda: (
    f"SELECT {sql.columns(Notification, 'n')} FROM notifications n "
    "WHERE n.user_id = ANY($1) AND (n.id > $2 OR n.id = ANY($3)) ORDER BY n.id LIMIT $4"))
_INVITATIONS = sql.Statements(lambda: (
    f"SELECT {sql.columns(Invitation, 'i', 'i__')}, {sql.columns(Company, 'f', 'f__')}, {sql.columns(Company, 'c', 'c__')} "
    "FROM invitations i JOIN companies f ON f.id = i.firm_id LEFT JOIN companies c ON c.id = i.client_company_id "
    "WHERE i.id = ANY($1)"))
_COMPANIES = sql.Statements(lambda: f"SELECT {sql.columns(Company, 'x')} FROM companies x WHERE x.id = ANY($1)")


async def unread_counts(user_ids: Sequence[int]) -> list[int]:
    """Each user's unread notifications, counted by one statement per USERS_PER_STATEMENT users."""
    counts: dict[int, int] = {}
    users = sorted(set(user_ids))
    for start in range(0, len(users), USERS_PER_STATEMENT):
        chunk = users[start:start + USERS_PER_STATEMENT]
        counts.update(await (Notification.filter(user_id__in=chunk, read_at__isnull=True)
                             .annotate(unread=Count("id")).group_by("user_id").values_list("user_id", "unread")))
    return [counts.get(user_id, 0) for user_id in user_ids]


# A burst's loads are answered USERS_PER_STATEMENT subscriptions at a time: the first ones deliver
# while the database reads the next.
_notifications = Coalescer(notifications_after_each, batch_size=USERS_PER_STATEMENT)
_unread = Coalescer(unread_counts, batch_size=USERS_PER_STATEMENT)


async def fresh_notifications_after(user_id: int, after_id: int, *, also_id: int | None = None) -> list[Notification]:
    """`notifications_after`, answered together with the other subscriptions' loads of this moment."""
    return await _notifications.load(NotificationsRequest(user_id, after_id, also_id))


async def fresh_unread_count(user_id: int) -> int:
    """The user's unread count, counted together with the other subscriptions' of this moment."""
    return await _unread.load(user_id)


async def discovery_run(company_id: int, run_id: int) -> DiscoveryRun | None:
    return await DiscoveryRun.filter(id=run_id, firm_id=company_id).first()


async def latest_discovery_run(company_id: int) -> DiscoveryRun | None:
    return await DiscoveryRun.filter(firm_id=company_id).order_by("-id").first()


async def invitations(company_id: int, ids: list[int]) -> list[Invitation]:
    return await (Invitation.filter(firm_id=company_id, id__in=ids).order_by("id")
                  .prefetch_related("firm", "client_company"))


async def invitations_changed_since(company_id: int, since: datetime) -> list[Invitation]:
    """Invitations of a firm with any change at or after `since` (to catch up after a gap)."""
    changed = (Q(sent_at__gte=since) | Q(account_created_at__gte=since) | Q(accepted_at__gte=since)
               | Q(answered_at__gte=since) | Q(revoked_at__gte=since) | Q(expired_at__gte=since))
    return await (Invitation.filter(firm_id=company_id).filter(changed).order_by("id")
                  .prefetch_related("firm", "client_company"))
