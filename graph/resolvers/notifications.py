"""The bell: the viewer's notifications, the unread count, marking them read."""

from __future__ import annotations

import strawberry

from domain import notification_feed, notifications
from graph.context import Info
from graph.schema.notifications import Notification, NotificationConnection, NotificationEdge
from graph.schema.pagination import PageInfo, decode_cursor, encode_cursor, page_size

CURSOR = "notification"


def _ids(raw: list[strawberry.ID]) -> list[int]:
    return [int(i) for i in raw if str(i).isdigit()]


@strawberry.type
class Query:
    @strawberry.field(description="The viewer's notifications, newest first.")
    async def notifications(self, info: Info, unread_only: bool | None = None, first: int | None = None,
                            after: str | None = None) -> NotificationConnection:
        feed = await notification_feed.feed(actor=info.context.require_viewer(), unread_only=bool(unread_only),
                                            first=page_size(first, 20), before_id=decode_cursor(CURSOR, after))
        edges = [NotificationEdge(cursor=encode_cursor(CURSOR, row.id), node=Notification.of(row, feed.invitations, feed.companies))
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
