"""The bell as the API reads it: a page of the viewer's notifications with the invitation and company
each one points at, loaded with one query per kind (never one per row)."""

from __future__ import annotations

from dataclasses import dataclass, field

from domain.accounts.models import User
from domain.companies.models import Company
from domain.invitations.models import Invitation
from domain.notifications import service as notifications
from domain.notifications.models import Notification


@dataclass
class Feed:
    rows: list[Notification]
    has_next: bool
    total: int
    invitations: dict[int, Invitation] = field(default_factory=dict)  # with firm and client company loaded
    companies: dict[int, Company] = field(default_factory=dict)


async def related(rows: list[Notification]) -> tuple[dict[int, Invitation], dict[int, Company]]:
    invitation_ids = {r.invitation_id for r in rows if r.invitation_id}
    company_ids = {r.company_id for r in rows if r.company_id}
    invitations = {i.id: i for i in await Invitation.filter(id__in=list(invitation_ids)).select_related("firm", "client_company")} if invitation_ids else {}
    companies = {c.id: c for c in await Company.filter(id__in=list(company_ids))} if company_ids else {}
    return invitations, companies


async def feed(*, actor: User, unread_only: bool = False, first: int = 20, before_id: int | None = None) -> Feed:
    rows, has_next, total = await notifications.page(user_id=actor.id, unread_only=unread_only, first=first, before_id=before_id)
    invitations, companies = await related(rows)
    return Feed(rows=rows, has_next=has_next, total=total, invitations=invitations, companies=companies)
