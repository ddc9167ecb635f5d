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


def invitation_message(invitation: Invitation, *, firm_name: str, link: str, account_exists: bool = False) -> dict:
    """The `enqueue` arguments of the invitation e-mail (also used for a resend). An address that
    already has an account is told to sign in and take the invitation, any other to create the
    account; both can decline on the link's page without an account (`#decline`)."""
    return dict(kind="invitation", to=invitation.email, locale=invitation.locale, template="invitation", link=link,
                context={"firm_name": firm_name, "company_name": invitation.company_name, "cui": invitation.cui,
                         "representative_name": invitation.representative_name, "message": invitation.message or "",
                         "link": link, "account_exists": account_exists,
                         "expires_at": invitation.expires_at})


async def send_invitations(messages: Iterable[dict]) -> None:
    await outbox.enqueue_many(list(messages))


def reminder_message(invitation: Invitation, *, firm_name: str, link: str, days_left: int, account_exists: bool = False) -> dict:
    message = invitation_message(invitation, firm_name=firm_name, link=link, account_exists=account_exists)
    message.update(kind="invitation_reminder", template="invitation_reminder")
    message["context"]["days_left"] = days_left
    return message


async def answer_to_firm(invitation: Invitation, *, accepted: bool, firm: Company, client: Company,
                         client_user: User, recipients: Iterable[User]) -> None:
    """`client_accepted` / `client_declined` to the people of the firm who follow the invitation."""
    await _answer_mail("client_accepted" if accepted else "client_declined", firm=firm, company_name=client.name, cui=client.cui,
                       client_name=client_user.name, recipients=recipients)


async def declined_by_link_to_firm(invitation: Invitation, *, firm: Company, recipients: Iterable[User]) -> None:
    """`client_declined` to the firm's followers when the invitee declined from the link (no account:
    the invited representative is who declined)."""
    await _answer_mail("client_declined", firm=firm, company_name=invitation.company_name, cui=invitation.cui,
                       client_name=invitation.representative_name, recipients=recipients)


async def _answer_mail(template: str, *, firm: Company, company_name: str, cui: str, client_name: str, recipients: Iterable[User]) -> None:
    await outbox.enqueue_many([
        dict(kind=template, to=user.email, locale=user.locale, template=template,
             context={"firm_name": firm.name, "company_name": company_name, "cui": cui, "client_name": client_name})
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
