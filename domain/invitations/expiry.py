"""Closing invitations whose links have run out: one set-based, idempotent UPDATE, then one grouped
notification per firm ("12 invitații au expirat") rather than one per invitation.

Readers never wait for this: `invitation_state.effective_status` already treats an open invitation
past `expires_at` as expired. Closing the row frees its `open_key`, so the firm can invite again.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from domain.companies.service import member_user_ids
from domain.invitations.models import OPEN_INVITATION_STATUSES, Invitation, InvitationEvent, InvitationStatus
from domain.invitations.state import Action, mirror_in_portfolio
from domain.kernel.clock import now
from domain.kernel.events import company_channel, emit, unit_of_work
from domain.notifications.models import NotificationKind
from domain.notifications.service import Text, notify


def ro_count(n: int, one: str, many: str) -> str:
    """Romanian counting: 1 invitație, 2–19 invitații, 20 de invitații (and 101 de…, but 102 invitații)."""
    if n == 1:
        return f"1 {one}"
    return f"{n} {many}" if n % 100 in range(1, 20) else f"{n} de {many}"


def expired_text(invitations: list[Invitation]) -> Text:
    if len(invitations) == 1:
        inv = invitations[0]
        return Text(ro=("Invitație expirată", f"Invitația trimisă către {inv.company_name} (CUI {inv.cui}) a expirat."),
                    en=("Invitation expired", f"The invitation to {inv.company_name} (CUI {inv.cui}) has expired."))
    n = len(invitations)
    return Text(ro=(f"{ro_count(n, 'invitație', 'invitații')} au expirat", "Le puteți trimite din nou din portofoliu."),
                en=(f"{n} invitations have expired", "You can send them again from the portfolio."))


async def expire_overdue(*, firm_id: int | None = None, at: datetime | None = None) -> int:
    """Mark open invitations past their expiry EXPIRED (all firms, or one); returns how many."""
    at = at or now()
    async with unit_of_work():
        query = Invitation.filter(status__in=list(OPEN_INVITATION_STATUSES), expires_at__lte=at)
        if firm_id is not None:
            query = query.filter(firm_id=firm_id)
        # Rows another process is already closing are skipped, not waited for.
        overdue = await query.select_for_update(skip_locked=True).order_by("id")
        if not overdue:
            return 0
        ids = [inv.id for inv in overdue]
        await Invitation.filter(id__in=ids, status__in=list(OPEN_INVITATION_STATUSES)).update(
            status=InvitationStatus.EXPIRED, open_key=None, expired_at=at)
        for inv in overdue:
            inv.status, inv.open_key, inv.expired_at = InvitationStatus.EXPIRED, None, at
        await InvitationEvent.bulk_create([InvitationEvent(invitation_id=i, action=Action.EXPIRED) for i in ids])
        await mirror_in_portfolio(overdue)
        by_firm: dict[int, list[Invitation]] = defaultdict(list)
        for inv in overdue:
            by_firm[inv.firm_id].append(inv)
            emit(company_channel(inv.firm_id), "invitation", id=inv.id)
            if inv.client_company_id:
                emit(company_channel(inv.client_company_id), "invitation", id=inv.id)
        for fid, invitations in by_firm.items():
            await notify(user_ids=await member_user_ids(fid), kind=NotificationKind.INVITATION_EXPIRED, text=expired_text(invitations),
                         company_id=fid, invitation_id=invitations[0].id if len(invitations) == 1 else None,
                         data={"count": len(invitations), "invitationIds": [i.id for i in invitations[:100]]})
    return len(overdue)
