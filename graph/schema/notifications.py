"""The bell's types: `Notification` and its kinds."""

from __future__ import annotations

from datetime import datetime

import strawberry

from domain.models.notifications import Notification as NotificationModel
from domain.models.notifications import NotificationKind as NotificationKindEnum
from graph.schema.companies import Company
from graph.schema.invitations import Invitation

NotificationKind = strawberry.enum(NotificationKindEnum, name="NotificationKind")


@strawberry.type
class Notification:
    id: strawberry.ID = strawberry.field(description="Increasing: the cursor `notificationAdded(after:)` replays from.")
    kind: NotificationKind
    title: str
    body: str
    created_at: datetime
    read_at: datetime | None
    invitation: Invitation | None
    company: Company | None

    @staticmethod
    def of(row: NotificationModel) -> "Notification":
        """From a row with `company` and `invitation` (with its firm and client company) loaded."""
        return Notification(id=strawberry.ID(str(row.id)), kind=row.kind, title=row.title, body=row.body,
                            created_at=row.created_at, read_at=row.read_at,
                            invitation=Invitation.of(row.invitation) if row.invitation else None,
                            company=Company.of(row.company) if row.company else None)
