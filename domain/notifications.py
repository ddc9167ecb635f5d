"""The bell: writing notification rows (in the caller's transaction) and reading them back.

Each row is written in the recipient's language; its increasing id is the cursor a reconnecting
client replays from. A live event follows each row once the transaction commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from domain.events import emit, user_channel
from domain.models.accounts import User
from domain.models.notifications import Notification, NotificationKind
from domain.throttle import now


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
        from domain.events import publish_all

        await publish_all([(user_channel(user_id), {"kind": "notifications_read"})])
    return changed
