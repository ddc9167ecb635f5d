"""The bell as the API reads it: a page of the viewer's notifications with the invitation and company
each one points at, joined in the same statement (never one query per row)."""

from __future__ import annotations

from dataclasses import dataclass, field

from domain.accounts.models import User
from domain.companies.models import Company
from domain.invitations.models import Invitation
from domain.kernel import sql
from domain.notifications.models import Notification


@dataclass
class Feed:
    rows: list[Notification]
    has_next: bool
    total: int
    invitations: dict[int, Invitation] = field(default_factory=dict)  # with firm and client company loaded
    companies: dict[int, Company] = field(default_factory=dict)


async def feed(*, actor: User, unread_only: bool = False, first: int = 20, before_id: int | None = None) -> Feed:
    """Newest first; `before_id` is the cursor of the last row of the previous page. One statement:
    the page, its invitations (with their firm and client) and companies, and the count."""
    rows = await sql.fetch(_FEED[(unread_only, before_id is not None)], actor.id, before_id, first + 1)
    if rows:
        total = rows[0]["total"]
    else:
        total = (await sql.fetch(_COUNT[unread_only], actor.id))[0]["total"] if before_id is not None else 0
    page: list[Notification] = []
    invitations: dict[int, Invitation] = {}
    companies: dict[int, Company] = {}  # the notifications' companies
    known: dict[int, Company] = {}  # every company of the page, made once (the firm recurs on every row)

    def company(row: dict, prefix: str) -> Company | None:
        company_id = row[prefix + "id"]
        if company_id is None:
            return None
        if company_id not in known:
            known[company_id] = sql.model(Company, row, prefix)
        return known[company_id]

    for row in rows[:first]:
        page.append(sql.model(Notification, row, "n__"))
        if row["i__id"] is not None and row["i__id"] not in invitations:
            invitation = sql.model(Invitation, row, "i__")
            sql.attach(invitation, "firm", company(row, "f__"))
            sql.attach(invitation, "client_company", company(row, "ic__"))
            invitations[invitation.id] = invitation
        if row["c__id"] is not None:
            companies[row["c__id"]] = company(row, "c__")
    return Feed(rows=page, has_next=len(rows) > first, total=total, invitations=invitations, companies=companies)


def _count(unread_only: bool) -> str:
    return f"SELECT count(*) FROM notifications WHERE user_id = $1{' AND read_at IS NULL' if unread_only else ''}"


# $1 user, $2 before id, $3 limit
_COUNT = sql.Statements(lambda unread_only: _count(unread_only).replace("count(*)", "count(*) AS total", 1))
_FEED = sql.Statements(lambda unread_only, before: (
    f"SELECT {sql.columns(Notification, 'n', 'n__')}, {sql.columns(Invitation, 'i', 'i__')}, {sql.columns(Company, 'f', 'f__')}, "
    f"{sql.columns(Company, 'ic', 'ic__')}, {sql.columns(Company, 'c', 'c__')}, ({_count(unread_only)}) AS total "
    "FROM notifications n LEFT JOIN invitations i ON i.id = n.invitation_id LEFT JOIN companies f ON f.id = i.firm_id "
    "LEFT JOIN companies ic ON ic.id = i.client_company_id LEFT JOIN companies c ON c.id = n.company_id "
    f"WHERE n.user_id = $1{' AND n.read_at IS NULL' if unread_only else ''}{' AND n.id < $2' if before else ''} "
    "ORDER BY n.id DESC LIMIT $3"))
