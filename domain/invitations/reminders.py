"""Reminders to clients who have not opened their invitation yet (e.g. on days 7 and 13 of 15).

Only PENDING invitations before their expiry get one: never after the client has created an
account, answered, been revoked or expired. Only the hash of a link is stored, so a reminder
carries a fresh link; the link before it keeps working (`previous_token_hash`) until the next one.
A run that missed a day sends one reminder, the latest due, not a burst.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Sequence

from domain.accounts.models import User
from domain.companies.models import Company
from domain.invitations.mail import days_left, invite_link, reminder_message
from domain.invitations.mail import send_invitations as queue_mail
from domain.invitations.models import Invitation, InvitationEvent, InvitationStatus
from domain.invitations.state import Action
from domain.kernel.clock import now
from domain.kernel.events import company_channel, emit, unit_of_work
from domain.kernel.secrets import new_secret


def reminders_due(sent_at: datetime, reminder_days: Sequence[float], at: datetime) -> int:
    """How many reminders should have gone out by `at`."""
    return sum(1 for d in reminder_days if sent_at + timedelta(days=d) <= at)


async def send_due_reminders(*, reminder_days: Sequence[float], app_url: str, at: datetime | None = None) -> int:
    """Queue the reminders that are due; returns how many went out."""
    at = at or now()
    days = sorted(reminder_days)
    if not days:
        return 0
    async with unit_of_work():
        candidates = await Invitation.filter(status=InvitationStatus.PENDING, expires_at__gt=at, reminders_sent__lt=len(days),
                                             sent_at__lte=at - timedelta(days=days[0])).select_for_update(skip_locked=True).order_by("id")
        due = [(inv, n) for inv in candidates if (n := reminders_due(inv.sent_at, days, at)) > inv.reminders_sent]
        if not due:
            return 0
        firm_names = dict(await Company.filter(id__in=list({inv.firm_id for inv, _ in due})).values_list("id", "name"))
        with_account = set(await User.filter(email__in=list({inv.email for inv, _ in due})).values_list("email", flat=True))
        messages = []
        for inv, n in due:
            token, token_hash = new_secret()
            inv.previous_token_hash, inv.token_hash, inv.reminders_sent = inv.token_hash, token_hash, n
            messages.append(reminder_message(inv, firm_name=firm_names[inv.firm_id], link=invite_link(app_url, token),
                                             days_left=days_left(inv.expires_at, at), account_exists=inv.email in with_account))
        invitations = [inv for inv, _ in due]
        await Invitation.bulk_update(invitations, fields=["previous_token_hash", "token_hash", "reminders_sent"], batch_size=len(invitations))
        await InvitationEvent.bulk_create([InvitationEvent(invitation_id=inv.id, action=Action.REMINDED, detail=f"reminder {n}")
                                           for inv, n in due])
        await queue_mail(messages)
        for inv in invitations:
            emit(company_channel(inv.firm_id), "invitation", id=inv.id)
    return len(due)
