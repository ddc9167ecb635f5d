"""Types of the bell: notifications and their connection."""

from __future__ import annotations

from datetime import datetime

import strawberry

from domain.companies.models import Company as CompanyModel
from domain.invitations.models import Invitation as InvitationModel
from domain.notifications.models import Notification as NotificationModel
from domain.notifications.models import NotificationKind as DomainNotificationKind
from graph.schema.companies import Company
from graph.schema.invitations import Invitation
from graph.schema.pagination import PageInfo

NotificationKind = strawberry.enum(DomainNotificationKind, name="NotificationKind")


@strawberry.type
class Notification:
    id: strawberry.ID
    kind: NotificationKind
    title: str
    body: str
    created_at: datetime
    read_at: datetime | None
    invitation: Invitation | None
    company: Company | None

    @staticmethod
    def of(row: NotificationModel, invitations: dict[int, InvitationModel], companies: dict[int, CompanyModel],
           made: dict | None = None) -> "Notification":
        """The models, or records with the same fields (`domain.notifications.feed`); `made`: the API
        objects of the answer, by (type, id), each made once."""
        invitation = invitations.get(row.invitation_id) if row.invitation_id else None
        company = companies.get(row.company_id) if row.company_id else None
        return Notification(id=strawberry.ID(str(row.id)), kind=row.kind, title=row.title, body=row.body, created_at=row.created_at,
                            read_at=row.read_at, invitation=Invitation.of(invitation, made) if invitation else None,
                            company=Company.of(company, made) if company else None)


@strawberry.type
class NotificationEdge:
    cursor: str
    node: Notification


@strawberry.type
class NotificationConnection:
    edges: list[NotificationEdge]
    page_info: PageInfo
    total_count: int
