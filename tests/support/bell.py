"""Making bell notifications the way the product does (a unit of work), for live tests."""

from __future__ import annotations

from domain.kernel.events import unit_of_work
from domain.notifications.models import NotificationKind
from domain.notifications.service import Text, notify

NOTIFICATION_ADDED = """subscription($after: ID) { notificationAdded(after: $after) { id kind title body readAt company { id } } }"""
UNREAD_COUNT = """subscription { unreadNotificationCountChanged }"""


async def ring(user_id: int | str, title: str = "Invitație nouă") -> int:
    """One notification for a user, committed; returns its id."""
    async with unit_of_work():
        rows = await notify(user_ids=[int(user_id)], kind=NotificationKind.COLLABORATION_INVITATION,
                            text=Text(ro=(title, "Corp"), en=(title, "Body")))
    return rows[0].id
