"""An invitation's life cycle: its effective status, the errors of a closed one, and what follows
every move (the audit trail, the portfolio entry that mirrors it, the firm's live event).

The stored status lags behind the clock until the expiry job runs, so every reader goes through
`effective_status`, which treats an open invitation past `expires_at` as EXPIRED.
"""

from __future__ import annotations

from datetime import datetime
from typing import Iterable

from tortoise import connections

from domain.invitations.models import OPEN_INVITATION_STATUSES, Invitation, InvitationEvent, InvitationStatus
from domain.kernel.clock import now
from domain.kernel.errors import DomainError, ErrorCode
from domain.kernel.events import company_channel, emit
from domain.portfolio.models import PortfolioEntry, PortfolioStatus

PORTFOLIO_STATUS = {
    InvitationStatus.PENDING: PortfolioStatus.INVITED,
    InvitationStatus.ACCOUNT_CREATED: PortfolioStatus.ACCOUNT_CREATED,
    InvitationStatus.ACCEPTED: PortfolioStatus.COLLABORATING,
    InvitationStatus.DECLINED: PortfolioStatus.DECLINED,
    InvitationStatus.EXPIRED: PortfolioStatus.EXPIRED,
    InvitationStatus.REVOKED: PortfolioStatus.REVOKED,
}


class Action:
    """What the audit trail records (`InvitationEvent.action`)."""

    SENT = "SENT"
    RESENT = "RESENT"
    REMINDED = "REMINDED"
    REVOKED = "REVOKED"
    EXPIRED = "EXPIRED"
    ACCOUNT_CREATED = "ACCOUNT_CREATED"
    CLAIMED = "CLAIMED"
    ACCEPTED = "ACCEPTED"
    DECLINED = "DECLINED"


def open_key(firm_id: int, cui: str) -> str:
    return f"{firm_id}:{cui}"  # `link_sent_invitations` rebuilds it in SQL


def effective_status(invitation: Invitation, at: datetime | None = None) -> InvitationStatus:
    status = InvitationStatus(invitation.status)
    if status in OPEN_INVITATION_STATUSES and invitation.expires_at <= (at or now()):
        return InvitationStatus.EXPIRED
    return status


def closed_error(status: InvitationStatus) -> DomainError:
    """Why a closed invitation cannot be used or answered."""
    if status == InvitationStatus.EXPIRED:
        return DomainError(ErrorCode.INVITATION_EXPIRED, "This invitation has expired. Ask your accounting firm to send a new one.",
                           "Invitația a expirat. Cereți firmei de contabilitate să trimită una nouă.")
    if status == InvitationStatus.REVOKED:
        return DomainError(ErrorCode.INVITATION_REVOKED, "The accounting firm has withdrawn this invitation.",
                           "Firma de contabilitate a retras această invitație.")
    return DomainError(ErrorCode.INVITATION_ALREADY_USED, "This invitation has already been used.",
                       "Această invitație a fost deja folosită.")


def require_status(invitation: Invitation, *allowed: InvitationStatus) -> None:
    status = effective_status(invitation)
    if status not in allowed:
        raise closed_error(status)


async def record(invitation: Invitation, *, action: str, actor_id: int | None, detail: str | None = None) -> None:
    """After a change to `invitation` (already saved): trail, portfolio entry, live event."""
    await InvitationEvent.create(invitation_id=invitation.id, actor_id=actor_id, action=action, detail=detail)
    await mirror_in_portfolio([invitation])
    emit(company_channel(invitation.firm_id), "invitation", id=invitation.id)


async def mirror_in_portfolio(invitations: Iterable[Invitation]) -> None:
    """Give each invitation's portfolio entry the matching status: one UPDATE per status.

    A single invitation (re)links its entry by firm and CUI; a group moves entries already linked
    to its invitations (every transition after sending; `link_sent_invitations` links new ones)."""
    by_status: dict[PortfolioStatus, list[Invitation]] = {}
    for invitation in invitations:
        by_status.setdefault(PORTFOLIO_STATUS[InvitationStatus(invitation.status)], []).append(invitation)
    for status, group in by_status.items():
        if len(group) == 1:
            inv = group[0]
            await PortfolioEntry.filter(firm_id=inv.firm_id, cui=inv.cui).update(
                status=status, invitation_id=inv.id, client_company_id=inv.client_company_id)
        else:
            await PortfolioEntry.filter(invitation_id__in=[inv.id for inv in group]).update(status=status)


async def link_sent_invitations(firm_id: int, cuis: list[str]) -> None:
    """Point the firm's entries for these CUIs at their open invitations, INVITED, in one UPDATE
    (a correlated sub-select on `open_key`, which works alike on SQLite and PostgreSQL)."""
    if not cuis:
        return
    conn = connections.get("default")  # inside a transaction: the transaction's connection
    mark = (lambda i: f"${i}") if conn.capabilities.dialect == "postgres" else (lambda i: "?")
    in_list = ", ".join(mark(i + 4) for i in range(len(cuis)))
    sql = (f"UPDATE portfolio_entries SET status = {mark(1)}, client_company_id = NULL, "
           f"invitation_id = (SELECT i.id FROM invitations i WHERE i.open_key = {mark(2)} || portfolio_entries.cui) "
           f"WHERE firm_id = {mark(3)} AND cui IN ({in_list})")
    await conn.execute_query(sql, [str(PortfolioStatus.INVITED), f"{firm_id}:", firm_id, *cuis])


async def with_companies(invitation: Invitation) -> Invitation:
    """Load the firm and client company the API shows with an invitation."""
    await invitation.fetch_related(*(["firm"] if invitation.firm_id else []), *(["client_company"] if invitation.client_company_id else []))
    return invitation
