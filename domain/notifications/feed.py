"""The bell as the API reads it: a page of the viewer's notifications with the invitation and company
each one points at, joined in the same statement (never one query per row).

The page is read as records of the fields the bell shows (`sql.reader`), not as models: building
some sixty models per page cost more than the statement."""

from __future__ import annotations

from dataclasses import dataclass, field

from domain.accounts.models import User
from domain.companies.models import LISTED_FIELDS as COMPANY_FIELDS
from domain.companies.models import Company
from domain.invitations.models import LISTED_FIELDS as INVITATION_FIELDS
from domain.invitations.models import Invitation
from domain.kernel import sql
from domain.notifications.models import Notification

NOTIFICATION_FIELDS = ("id", "kind", "title", "body", "created_at", "read_at", "invitation_id", "company_id")


@dataclass
class Feed:
    """Records with the fields of a notification, invitation or company the bell shows (attributes
    named as the models' own); each invitation has its `firm` and `client_company` (None) set."""

    rows: list[sql.Record]
    has_next: bool
    total: int
    invitations: dict[int, sql.Record] = field(default_factory=dict)
    companies: dict[int, sql.Record] = field(default_factory=dict)


async def feed(*, actor: User, unread_only: bool = False, first: int = 20, before_id: int | None = None) -> Feed:
    """Newest first; `before_id` is the cursor of the last row of the previous page. One statement:
    the page, its invitations (with their firm and client) and companies, and the count."""
    rows = await sql.fetch(_FEED[(unread_only, before_id is not None)], actor.id, before_id, first + 1)
    if rows:
        total = rows[0]["total"]
    else:
        total = (await sql.fetch(_COUNT[unread_only], actor.id))[0]["total"] if before_id is not None else 0
    notification = sql.reader(Notification, NOTIFICATION_FIELDS, "n__")
    invitation_of = sql.reader(Invitation, INVITATION_FIELDS, "i__")
    firm_of, client_of, company_of = (sql.reader(Company, COMPANY_FIELDS, prefix) for prefix in ("f__", "ic__", "c__"))
    page: list[sql.Record] = []
    invitations: dict[int, sql.Record] = {}
    companies: dict[int, sql.Record] = {}  # the notifications' companies
    known: dict[int, sql.Record] = {}  # every company of the page, made once (the firm recurs on every row)

    def company(company_id: int | None, row, read) -> sql.Record | None:
        if company_id is None:
            return None
        made = known.get(company_id)
        if made is None:
            made = known[company_id] = read(row)
        return made

    for row in rows[:first]:
        page.append(notification(row))
        invitation_id = row["i__id"]
        if invitation_id is not None and invitation_id not in invitations:
            invitation = invitations[invitation_id] = invitation_of(row)
            invitation.firm = company(row["f__id"], row, firm_of)
            invitation.client_company = company(row["ic__id"], row, client_of)
        company_id = row["c__id"]
        if company_id is not None:
            companies[company_id] = company(company_id, row, company_of)
    return Feed(rows=page, has_next=len(rows) > first, total=total, invitations=invitations, companies=companies)


def _count(unread_only: bool) -> str:
    return f"SELECT count(*) FROM notifications WHERE user_id = $1{' AND read_at IS NULL' if unread_only else ''}"


# $1 user, $2 before id, $3 limit
_COUNT = sql.Statements(lambda unread_only: _count(unread_only).replace("count(*)", "count(*) AS total", 1))
_FEED = sql.Statements(lambda unread_only, before: (
    f"SELECT {sql.columns(Notification, 'n', 'n__', NOTIFICATION_FIELDS)}, {sql.columns(Invitation, 'i', 'i__', INVITATION_FIELDS)}, "
    f"{sql.columns(Company, 'f', 'f__', COMPANY_FIELDS)}, {sql.columns(Company, 'ic', 'ic__', COMPANY_FIELDS)}, "
    f"{sql.columns(Company, 'c', 'c__', COMPANY_FIELDS)}, ({_count(unread_only)}) AS total "
    "FROM notifications n LEFT JOIN invitations i ON i.id = n.invitation_id LEFT JOIN companies f ON f.id = i.firm_id "
    "LEFT JOIN companies ic ON ic.id = i.client_company_id LEFT JOIN companies c ON c.id = n.company_id "
    f"WHERE n.user_id = $1{' AND n.read_at IS NULL' if unread_only else ''}{' AND n.id < $2' if before else ''} "
    "ORDER BY n.id DESC LIMIT $3"))
