"""Subscriptions: the bell (`notificationAdded`, `unreadNotificationCountChanged`), a firm's
discovery progress and its invitation table. Each authorises the viewer, then maps a stream."""

from __future__ import annotations

from typing import AsyncGenerator

import strawberry

from domain.companies import require_member
from domain.errors import NotFound
from graph import streams
from graph.context import Info
from graph.schema.discovery import DiscoveryRun
from graph.schema.invitations import Invitation
from graph.schema.notifications import Notification


def cursor_id(value: strawberry.ID | None) -> int | None:
    if value is None:
        return None
    try:
        cursor = int(value)
    except (TypeError, ValueError):
        raise NotFound("No notification with that id.") from None
    return max(cursor, 0)


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

    @strawberry.subscription(description="The firm's latest discovery run now (if any), then each time it progresses.")
    async def discovery_progress(self, info: Info, company_id: strawberry.ID) -> AsyncGenerator[DiscoveryRun, None]:
        membership = await require_member(info.context.require_viewer(), company_id)
        async for run in streams.discovery_runs(info.context.services.broadcast, company_id=membership.company_id):
            yield DiscoveryRun.of(run)

    @strawberry.subscription(description="The firm's invitations, each time one changes (sent, accepted, declined, ...).")
    async def invitation_updated(self, info: Info, company_id: strawberry.ID) -> AsyncGenerator[Invitation, None]:
        membership = await require_member(info.context.require_viewer(), company_id)
        async for invitation in streams.invitation_updates(info.context.services.broadcast, company_id=membership.company_id):
            yield Invitation.of(invitation)
