"""Closing invitations whose links have run out, set-based and idempotent, then one grouped
notification per firm ("12 invitații au expirat") rather than one per invitation.

Each chunk is one transaction: on PostgreSQL one statement closes the invitations, writes their
audit trail and moves their portfolio entries (data-modifying WITH); on SQLite three statements do
the same. Nothing is loaded as ORM objects, so 100,000 due invitations cost a few statements.

Readers never wait for this: `invitation_state.effective_status` already treats an open invitation
past `expires_at` as expired. Closing the row frees its `open_key`, so the firm can invite again.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from tortoise import connections

from domain.companies.models import Membership
from domain.invitations.models import OPEN_INVITATION_STATUSES, Invitation, InvitationStatus
from domain.invitations.state import PORTFOLIO_STATUS, Action
from domain.kernel.clock import now
from domain.kernel.events import company_channel, emit, unit_of_work
from domain.notifications.models import NotificationKind
from domain.notifications.service import Notice, Text, notify_many

# Invitations closed per transaction, and ids per live event.
CHUNK = 25_000
EVENT_IDS = 500


def ro_count(n: int, one: str, many: str) -> str:
    """Romanian counting: 1 invitație, 2–19 invitații, 20 de invitații (and 101 de…, but 102 invitații)."""
    if n == 1:
        return f"1 {one}"
    return f"{n} {many}" if n % 100 in range(1, 20) else f"{n} de {many}"


def expired_text(invitations: list) -> Text:
    """The bell text for a firm's invitations that expired together (anything with `company_name` and `cui`)."""
    if len(invitations) == 1:
        inv = invitations[0]
        return Text(ro=("Invitație expirată", f"Invitația trimisă către {inv.company_name} (CUI {inv.cui}) a expirat."),
                    en=("Invitation expired", f"The invitation to {inv.company_name} (CUI {inv.cui}) has expired."))
    n = len(invitations)
    return Text(ro=(f"{ro_count(n, 'invitație', 'invitații')} au expirat", "Le puteți trimite din nou din portofoliu."),
                en=(f"{n} invitations have expired", "You can send them again from the portfolio."))


async def expire_overdue(*, firm_id: int | None = None, at: datetime | None = None) -> int:
    """Mark open invitations past their expiry EXPIRED (all firms, or one); returns how many.

    Set-based, `CHUNK` invitations per transaction: one UPDATE ... RETURNING picks and closes them
    (on PostgreSQL skipping rows another process is closing, never waiting for them), then one
    INSERT writes their audit trail, one UPDATE moves their portfolio entries, one INSERT rings each
    firm's bell once, and one event per channel and few hundred ids tells the live tables."""
    at = at or now()
    total = 0
    while True:
        closed = await _expire_chunk(firm_id=firm_id, at=at)
        total += closed
        if closed < CHUNK:
            return total


@dataclass(frozen=True)
class _Closed:
    id: int
    firm_id: int
    client_company_id: int | None
    cui: str
    company_name: str


async def _expire_chunk(*, firm_id: int | None, at: datetime) -> int:
    async with unit_of_work():
        conn = connections.get("default")  # inside the transaction: its connection
        postgres = conn.capabilities.dialect == "postgres"
        closed = await (_close_postgres(conn, firm_id, at) if postgres else _close_sqlite(conn, firm_id, at))
        if not closed:
            return 0
        by_firm: dict[int, list[_Closed]] = defaultdict(list)
        for c in closed:
            by_firm[c.firm_id].append(c)
        _announce(closed)
        members = await Membership.filter(company_id__in=list(by_firm)).values_list("company_id", "user_id")
        users_of: dict[int, list[int]] = defaultdict(list)
        for company_id, user_id in members:
            users_of[company_id].append(user_id)
        await notify_many([
            Notice(user_id=user_id, kind=NotificationKind.INVITATION_EXPIRED, text=expired_text(group), company_id=fid,
                   invitation_id=group[0].id if len(group) == 1 else None,
                   data={"count": len(group), "invitationIds": [c.id for c in group[:100]]})
            for fid, group in by_firm.items() for user_id in sorted(set(users_of[fid]))])
    return len(closed)


OPEN = ", ".join(f"'{s}'" for s in OPEN_INVITATION_STATUSES)
RETURNED = "invitations.id, invitations.firm_id, invitations.client_company_id, invitations.cui, invitations.company_name"


def _due(mark: str, firm_id: int | None, firm_mark: str) -> str:
    """The next CHUNK open invitations past their expiry, oldest id first."""
    firm = f" AND firm_id = {firm_mark}" if firm_id is not None else ""
    return f"SELECT id FROM invitations WHERE status IN ({OPEN}) AND expires_at <= {mark}{firm} ORDER BY id LIMIT {CHUNK}"


# The outer UPDATE checks the status again: a row a concurrent sweep closed while this one waited
# for its lock is left alone, so two sweeps never both close (or notify about) the same invitation.
_CLOSE = (f"UPDATE invitations SET status = '{InvitationStatus.EXPIRED}', open_key = NULL, expired_at = {{at}} "
          f"FROM due WHERE invitations.id = due.id AND invitations.status IN ({OPEN}) RETURNING {RETURNED}")


async def _close_postgres(conn, firm_id: int | None, at: datetime) -> list[_Closed]:
    """One statement: close, write the audit trail and move the portfolio entries."""
    params: list = [at, str(Action.EXPIRED)] + ([int(firm_id)] if firm_id is not None else [])
    rows = await conn.execute_query_dict(
        f"WITH due AS ({_due('$1', firm_id, '$3')}), closed AS ({_CLOSE.format(at='$1')}), "
        f"trail AS (INSERT INTO invitation_events (invitation_id, action, created_at) SELECT id, $2, $1 FROM closed), "
        f"entries AS (UPDATE portfolio_entries SET status = '{PORTFOLIO_STATUS[InvitationStatus.EXPIRED]}' "
        f"FROM closed WHERE portfolio_entries.invitation_id = closed.id) "
        f"SELECT * FROM closed", params)
    return sorted((_Closed(**row) for row in rows), key=lambda c: c.id)


async def _close_sqlite(conn, firm_id: int | None, at: datetime) -> list[_Closed]:
    """The same in three statements (SQLite has no data-modifying WITH), binding by position."""
    when = Invitation._meta.fields_map["expired_at"].to_db_value(at, Invitation)
    params: list = [when] + ([int(firm_id)] if firm_id is not None else []) + [when]
    rows = await conn.execute_query_dict(f"WITH due AS ({_due('?', firm_id, '?')}) {_CLOSE.format(at='?')}", params)
    closed = sorted((_Closed(**row) for row in rows), key=lambda c: c.id)
    if closed:
        ids = json.dumps([c.id for c in closed])
        await conn.execute_query("INSERT INTO invitation_events (invitation_id, action, created_at) "
                                 "SELECT value, ?, ? FROM json_each(?)", [str(Action.EXPIRED), when, ids])
        await conn.execute_query(f"UPDATE portfolio_entries SET status = '{PORTFOLIO_STATUS[InvitationStatus.EXPIRED]}' "
                                 "WHERE invitation_id IN (SELECT value FROM json_each(?))", [ids])
    return closed


def _announce(closed: list[_Closed]) -> None:
    """Live events for the firms' (and clients') invitation tables: a few hundred ids per event, so
    a sweep of 100,000 costs hundreds of events rather than 200,000 (and each stays well under
    PostgreSQL NOTIFY's 8,000 bytes)."""
    by_channel: dict[str, list[int]] = defaultdict(list)
    for c in closed:
        by_channel[company_channel(c.firm_id)].append(c.id)
        if c.client_company_id:
            by_channel[company_channel(c.client_company_id)].append(c.id)
    for channel, ids in by_channel.items():
        for start in range(0, len(ids), EVENT_IDS):
            emit(channel, "invitation", ids=ids[start:start + EVENT_IDS])
