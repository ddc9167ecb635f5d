"""The bell: writing notification rows (in the caller's transaction) and reading them back.

Each row is written in the recipient's language; its increasing id is the cursor a reconnecting
client replays from. A live event follows each row once the transaction commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

from domain.accounts.models import User
from domain.kernel.bulk import insert_rows
from domain.kernel.clock import now
from domain.kernel.events import emit, user_channel
from domain.notifications.models import Notification, NotificationKind


@dataclass(frozen=True)
class Text:
    """A notification's title and body in both languages."""

    ro: tuple[str, str]
    en: tuple[str, str]

    def for_locale(self, locale: str) -> tuple[str, str]:
        return self.en if locale == "en" else self.ro


async def notify(*, user_ids: Iterable[int], kind: NotificationKind, text: Text, company_id: int | None = None,
                 invitation_id: int | None = None, data: Mapping[str, Any] | None = None) -> list[Notification]:
    """One row per recipient, inside the caller's `unit_of_work()`; the live event follows the commit."""
    ids = sorted(set(user_ids))
    if not ids:
        return []
    locales = dict(await User.filter(id__in=ids).values_list("id", "locale"))
    rows = []
    for user_id in ids:
        title, body = text.for_locale(locales.get(user_id, "ro"))
        row = await Notification.create(user_id=user_id, kind=kind, title=title, body=body, data=dict(data or {}),
                                        company_id=company_id, invitation_id=invitation_id)
        emit(user_channel(user_id), "notification", id=row.id)
        rows.append(row)
    return rows


@dataclass(frozen=True)
class Notice:
    """One notification to write with `notify_many`."""

    user_id: int
    kind: NotificationKind
    text: Text
    company_id: int | None = None
    invitation_id: int | None = None
    data: Mapping[str, Any] | None = None


async def notify_many(notices: Sequence[Notice], *, locales: Mapping[int, str] | None = None) -> list[int]:
    """Many notifications, each to its own recipient, in one INSERT (per few thousand rows) inside
    the caller's `unit_of_work()`; a live event per row follows the commit. Returns the new ids in
    the order of `notices`. `locales` (user id → locale) saves the lookup when the caller has them."""
    if not notices:
        return []
    if locales is None:
        locales = dict(await User.filter(id__in=list({n.user_id for n in notices})).values_list("id", "locale"))
    at = now()
    rows, order = [], {}
    for index, notice in enumerate(notices):
        title, body = notice.text.for_locale(locales.get(notice.user_id, "ro"))
        rows.append(dict(user_id=notice.user_id, kind=notice.kind, title=title, body=body, data=dict(notice.data or {}),
                         company_id=notice.company_id, invitation_id=notice.invitation_id, created_at=at))
        order.setdefault((notice.user_id, str(notice.kind), notice.invitation_id, notice.company_id, title), []).append(index)
    ids = [0] * len(notices)
    # The returned rows come in no guaranteed order: match them back by what tells them apart.
    for row in await insert_rows(Notification, rows, returning=("id", "user_id", "kind", "invitation_id", "company_id", "title")):
        ids[order[(row["user_id"], row["kind"], row["invitation_id"], row["company_id"], row["title"])].pop(0)] = row["id"]
    for notice, row_id in zip(notices, ids):
        emit(user_channel(notice.user_id), "notification", id=row_id)
    return ids


async def unread_count(user_id: int) -> int:
    return await Notification.filter(user_id=user_id, read_at__isnull=True).count()


async def page(*, user_id: int, unread_only: bool = False, first: int = 20, before_id: int | None = None) -> tuple[list[Notification], bool, int]:
    """Newest first; `before_id` is the cursor of the last row of the previous page."""
    query = Notification.filter(user_id=user_id)
    if unread_only:
        query = query.filter(read_at__isnull=True)
    total = await query.count()
    if before_id is not None:
        query = query.filter(id__lt=before_id)
    rows = await query.order_by("-id").limit(first + 1)
    return rows[:first], len(rows) > first, total


async def after(*, user_id: int, after_id: int, limit: int = 500) -> list[Notification]:
    """Rows after a cursor, oldest first: the replay of a (re)connecting subscription."""
    return await Notification.filter(user_id=user_id, id__gt=after_id).order_by("id").limit(limit)


async def mark_read(*, user_id: int, ids: Iterable[int] | None = None) -> int:
    """Mark the viewer's notifications read (only theirs); returns how many changed."""
    query = Notification.filter(user_id=user_id, read_at__isnull=True)
    if ids is not None:
        query = query.filter(id__in=list(ids))
    changed = await query.update(read_at=now())
    if changed:
        # The unread count of every open bell of this user changes.
        from domain.kernel.events import publish_all

        await publish_all([(user_channel(user_id), {"kind": "notifications_read"})])
    return changed
