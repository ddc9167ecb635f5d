"""The bell: the viewer's notifications, the unread count, marking them read."""

from __future__ import annotations

from typing import AsyncGenerator

import strawberry

from domain.kernel.errors import NotFound
from domain.notifications import feed as notification_feed
from domain.notifications import service as notifications
from graph import streams
from graph.context import Info
from graph.schema.inputs import parse_id
from graph.schema.notifications import Notification, NotificationConnection, NotificationEdge
from graph.schema.pagination import PageInfo, decode_cursor, encode_cursor, page_size

CURSOR = "notification"


def _ids(raw: list[strawberry.ID]) -> list[int]:
    return [i for i in map(parse_id, raw) if i is not None]


@strawberry.type
class Query:
    @strawberry.field(description="The viewer's notifications, newest first.")
    async def notifications(self, info: Info, unread_only: bool | None = None, first: int | None = None,
                            after: str | None = None) -> NotificationConnection:
        feed = await notification_feed.feed(actor=info.context.require_viewer(), unread_only=bool(unread_only),
                                            first=page_size(first, 20), before_id=decode_cursor(CURSOR, after))
        made: dict = {}  # one API object per invitation and company of the page
        edges = [NotificationEdge(cursor=encode_cursor(CURSOR, row.id), node=Notification.of(row, feed.invitations, feed.companies, made))
                 for row in feed.rows]
        return NotificationConnection(edges=edges, total_count=feed.total,
                                      page_info=PageInfo(has_next_page=feed.has_next, end_cursor=edges[-1].cursor if edges else None))

    @strawberry.field
    async def unread_notification_count(self, info: Info) -> int:
        return await notifications.unread_count(info.context.require_viewer().id)


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Mark these notifications of the viewer read; returns how many changed.")
    async def mark_notifications_read(self, info: Info, ids: list[strawberry.ID]) -> int:
        return await notifications.mark_read(user_id=info.context.require_viewer().id, ids=_ids(ids))

    @strawberry.mutation(description="Mark every notification of the viewer read; returns how many changed.")
    async def mark_all_notifications_read(self, info: Info) -> int:
        return await notifications.mark_read(user_id=info.context.require_viewer().id)


def cursor_id(value: strawberry.ID | None) -> int | None:
    if value is None:
        return None
    cursor = parse_id(value)
    if cursor is None:
        raise NotFound("No notification with that id.")
    return cursor


@strawberry.type
class Subscription:
    @strawberry.subscription(description="The bell: every notification after `after` (omitted: from now), then new "
                                         "ones as they happen; in id order, each once. Reconnect with the last id received.")
    async def notification_added(self, info: Info, after: strawberry.ID | None = None) -> AsyncGenerator[Notification, None]:
        viewer = info.context.require_viewer()
        stream = streams.notifications(info.context.services.broadcast, user_id=viewer.id, after_id=cursor_id(after))
        async for row in stream:
            # The row comes with its company and invitation (with the invitation's companies) loaded.
            invitations = {row.invitation_id: row.invitation} if row.invitation_id else {}
            companies = {row.company_id: row.company} if row.company_id else {}
            yield Notification.of(row, invitations, companies)

    @strawberry.subscription(description="The number of unread notifications now, then each time it changes "
                                         "(a notification arrives, or some are marked read).")
    async def unread_notification_count_changed(self, info: Info) -> AsyncGenerator[int, None]:
        viewer = info.context.require_viewer()
        async for count in streams.unread_counts(info.context.services.broadcast, user_id=viewer.id):
            yield count
