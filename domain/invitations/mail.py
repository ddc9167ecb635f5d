"""The e-mails of the invitation flow: which template, to whom, with what context.

Every function only queues rows in the outbox, inside the caller's transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Iterable

from domain.accounts.models import User
from domain.companies.models import Company
from domain.invitations.models import Invitation
from domain.mail import outbox


def invite_link(app_url: str, token: str) -> str:
    return f"{app_url.rstrip('/')}/invite/{token}"


def invitation_message(invitation: Invitation, *, firm_name: str, link: str) -> dict:
    """The `enqueue` arguments of the invitation e-mail (also used for a resend)."""
    return dict(kind="invitation", to=invitation.email, locale=invitation.locale, template="invitation", link=link,
                context={"firm_name": firm_name, "company_name": invitation.company_name, "cui": invitation.cui,
                         "representative_name": invitation.representative_name, "message": invitation.message or "",
                         "link": link, "expires_at": invitation.expires_at})


async def send_invitations(messages: Iterable[dict]) -> None:
    await outbox.enqueue_many(list(messages))


def reminder_message(invitation: Invitation, *, firm_name: str, link: str, days_left: int) -> dict:
    message = invitation_message(invitation, firm_name=firm_name, link=link)
    message.update(kind="invitation_reminder", template="invitation_reminder")
    message["context"]["days_left"] = days_left
    return message


async def answer_to_firm(invitation: Invitation, *, accepted: bool, firm: Company, client: Company,
                         client_user: User, recipients: Iterable[User]) -> None:
    """`client_accepted` / `client_declined` to the people of the firm who follow the invitation."""
    template = "client_accepted" if accepted else "client_declined"
    await outbox.enqueue_many([
        dict(kind=template, to=user.email, locale=user.locale, template=template,
             context={"firm_name": firm.name, "company_name": client.name, "cui": client.cui, "client_name": client_user.name})
        for user in recipients])


async def collaboration_request(*, firm: Company, company: Company, owners: Iterable[User], app_url: str) -> None:
    """To the owners of a company already on the platform: a firm asks to collaborate."""
    link = f"{app_url.rstrip('/')}/notifications"
    await outbox.enqueue_many([
        dict(kind="collaboration_request", to=user.email, locale=user.locale, template="collaboration_request", link=link,
             context={"firm_name": firm.name, "company_name": company.name, "cui": company.cui, "link": link})
        for user in owners])


def days_left(expires_at: datetime, at: datetime) -> int:
    """Whole days before expiry, rounded up (a link that dies in 30 hours has 2 days left)."""
    seconds = (expires_at - at).total_seconds()
    return max(0, -int(-seconds // 86400))
