"""An invitation's life cycle: its effective status, the errors of a closed one, and what follows
every move (the audit trail, the portfolio entry that mirrors it, the firm's live event).

The stored status lags behind the clock until the expiry job runs, so every reader goes through
`effective_status`, which treats an open invitation past `expires_at` as EXPIRED.
"""

from __future__ import annotations

from datetime import datetime
from typing import Iterable

from domain.errors import DomainError, ErrorCode
from domain.events import company_channel, emit
from domain.models.invitations import OPEN_INVITATION_STATUSES, Invitation, InvitationEvent, InvitationStatus
from domain.models.portfolio import PortfolioEntry, PortfolioStatus
from domain.throttle import now

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
    return f"{firm_id}:{cui}"


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
    """Point each invitation's portfolio entry at it, with the matching status (one UPDATE per status)."""
    by_status: dict[PortfolioStatus, list[Invitation]] = {}
    for invitation in invitations:
        by_status.setdefault(PORTFOLIO_STATUS[InvitationStatus(invitation.status)], []).append(invitation)
    for status, group in by_status.items():
        if len(group) == 1:
            inv = group[0]
            await PortfolioEntry.filter(firm_id=inv.firm_id, cui=inv.cui).update(
                status=status, invitation_id=inv.id, client_company_id=inv.client_company_id)
        else:
            await _mirror_many(status, group)


async def _mirror_many(status: PortfolioStatus, invitations: list[Invitation]) -> None:
    firm_ids = {inv.firm_id for inv in invitations}
    entries = await PortfolioEntry.filter(firm_id__in=list(firm_ids), cui__in=list({inv.cui for inv in invitations}))
    by_key = {(inv.firm_id, inv.cui): inv for inv in invitations}
    changed = []
    for entry in entries:
        inv = by_key.get((entry.firm_id, entry.cui))
        if inv is not None:
            entry.status, entry.invitation_id, entry.client_company_id = status, inv.id, inv.client_company_id
            changed.append(entry)
    if changed:
        await PortfolioEntry.bulk_update(changed, fields=["status", "invitation_id", "client_company_id"], batch_size=len(changed))


async def with_companies(invitation: Invitation) -> Invitation:
    """Load the firm and client company the API shows with an invitation."""
    await invitation.fetch_related(*(["firm"] if invitation.firm_id else []), *(["client_company"] if invitation.client_company_id else []))
    return invitation
