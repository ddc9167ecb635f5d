"""The client's side of an invitation link: previewing it, signing up from it, or claiming it with an
existing account; either way the client's company is created (or linked) at once and a
collaboration request waits in the bell of whoever may answer it.

The link proves the e-mail address: sign-up uses the invited address, and a signed-in user may
claim only an invitation sent to their own address. The invitation belongs to whoever holds its
link: sent by a firm whose certificate has rights on the CUI, it verifies the holder as the
company's owner (VERIFIED_BY_INVITATION), even when someone else registered the CUI first with an
unverified claim; that claim is then suspended and never sees the request. Only a company that
already has verified owners keeps them in charge: they answer, and the link holder does not join.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise.expressions import Q

from domain.accounts.models import User
from domain.accounts.passwords import check_password_rules
from domain.accounts.service import SignedIn, create_user, email_exists, open_session
from domain.companies.models import Company, CompanyVerification
from domain.companies.service import (Registry, add_company_with_owner, fetch_registry_record, member_user_ids,
                                      verified_manager_ids, verify_by_invitation)
from domain.invitations.collaborations import firm_followers
from domain.invitations.mail import collaboration_request, declined_by_link_to_firm
from domain.invitations.models import Invitation, InvitationStatus
from domain.invitations.state import Action, effective_status, record, require_status, with_companies
from domain.invitations.texts import client_account_created, collaboration_invitation, declined_by_link
from domain.kernel import clock
from domain.kernel.contacts import clean_name, normalise_phone
from domain.kernel.errors import DomainError, ErrorCode, NotFound
from domain.kernel.events import company_channel, emit, unit_of_work
from domain.kernel.secrets import hash_secret
from domain.notifications.models import Notification, NotificationKind
from domain.notifications.service import notify


@dataclass(frozen=True)
class Preview:
    accounting_firm_name: str
    company_name: str
    cui: str
    representative_name: str
    email: str
    status: InvitationStatus
    expires_at: datetime
    account_exists: bool


@dataclass(frozen=True)
class SignedUpFromInvitation:
    signed_in: SignedIn
    invitation: Invitation


def _unknown_link() -> DomainError:
    return DomainError(ErrorCode.INVITATION_NOT_FOUND, "This invitation link is not valid. Check that it was copied whole.",
                       "Linkul de invitație nu este valid. Verificați că a fost copiat complet.", field=["token"])


async def find_by_token(token: str, *, lock: bool = False) -> Invitation | None:
    """The invitation a link belongs to (its current link, or the one before the last reminder)."""
    if not token or len(token) > 200:
        return None
    digest = hash_secret(token.strip())
    query = Invitation.filter(Q(token_hash=digest) | Q(previous_token_hash=digest))
    return await (query.select_for_update() if lock else query).first()


async def preview(token: str) -> Preview | None:
    """What the link page shows, or None for an unknown link.

    A link that can no longer be used (expired, revoked, used, answered) shows only its status and
    expiry: nothing about the people or companies involved.
    """
    invitation = await find_by_token(token)
    if invitation is None:
        return None
    status = effective_status(invitation)
    if status != InvitationStatus.PENDING:
        return Preview(accounting_firm_name="", company_name="", cui="", representative_name="", email="", status=status,
                       expires_at=invitation.expires_at, account_exists=False)
    firm = await Company.get(id=invitation.firm_id)
    return Preview(accounting_firm_name=firm.name, company_name=invitation.company_name, cui=invitation.cui,
                   representative_name=invitation.representative_name, email=invitation.email, status=status,
                   expires_at=invitation.expires_at, account_exists=await email_exists(invitation.email))


async def _usable(token: str) -> Invitation:
    invitation = await find_by_token(token)
    if invitation is None:
        raise _unknown_link()
    require_status(invitation, InvitationStatus.PENDING)
    return invitation


async def _registry_record_if_new(registry: Registry, cui: str):
    """ANAF's record when the company is not on the platform yet (fetched before the transaction)."""
    if await Company.filter(cui=cui).exists():
        return None
    return await fetch_registry_record(registry, cui)


async def accept_sign_up(*, token: str, password: str, name: str | None, phone: str | None, registry: Registry, app_url: str,
                         ttl_seconds: int, client_address: str | None = None) -> SignedUpFromInvitation:
    """Create the invited person's account and sign them in; create or link their company."""
    invitation = await _usable(token)
    if await email_exists(invitation.email):
        raise DomainError(ErrorCode.EMAIL_TAKEN,
                          f"An account with {invitation.email} already exists. Sign in, then open the invitation link again to claim it.",
                          f"Există deja un cont cu {invitation.email}. Autentificați-vă, apoi deschideți din nou linkul invitației.")
    name = clean_name(name, field="name") if name and name.strip() else invitation.representative_name
    phone = normalise_phone(phone) if phone and phone.strip() else invitation.phone
    check_password_rules(password, email=invitation.email)
    record_ = await _registry_record_if_new(registry, invitation.cui)
    async with unit_of_work():
        invitation = await _relock(invitation.id)
        user = await create_user(email=invitation.email, password=password, name=name, phone=phone, locale=invitation.locale)
        signed_in = await open_session(user, ttl_seconds=ttl_seconds, client_address=client_address)
        await _link_company(invitation, user=user, registry_record=record_, app_url=app_url, action=Action.ACCOUNT_CREATED)
    return SignedUpFromInvitation(signed_in=signed_in, invitation=invitation)


async def claim(*, actor: User, token: str, registry: Registry, app_url: str) -> Invitation:
    """A signed-in user takes an invitation sent to their own address."""
    invitation = await _usable(token)
    if invitation.email != actor.email:
        raise DomainError(ErrorCode.INVITATION_EMAIL_MISMATCH,
                          f"You are signed in as {actor.email}; this invitation is for {invitation.email}. Sign in with that address.",
                          f"Sunteți autentificat ca {actor.email}; invitația este pentru {invitation.email}. Autentificați-vă cu acea adresă.",
                          field=["token"])
    return await _claim(invitation, actor=actor, registry=registry, app_url=app_url)


async def claim_by_id(*, actor: User, invitation_id: int | str, registry: Registry, app_url: str) -> Invitation:
    """`claim` from the bell: an invitee who already had an account when the firm sent the
    invitation was notified with its id. Only the invited address may use it (anyone else: NOT_FOUND)."""
    try:
        invitation = await Invitation.get_or_none(id=int(invitation_id))
    except (TypeError, ValueError):
        invitation = None
    if invitation is None or invitation.email != actor.email:
        raise NotFound("No invitation with that id.")
    require_status(invitation, InvitationStatus.PENDING)
    return await _claim(invitation, actor=actor, registry=registry, app_url=app_url)


async def _claim(invitation: Invitation, *, actor: User, registry: Registry, app_url: str) -> Invitation:
    record_ = await _registry_record_if_new(registry, invitation.cui)
    async with unit_of_work():
        invitation = await _relock(invitation.id)
        await _link_company(invitation, user=actor, registry_record=record_, app_url=app_url, action=Action.CLAIMED)
    return await with_companies(invitation)


async def decline(*, token: str) -> Invitation:
    """Decline from the e-mailed link, without an account (the link proves the address, as for
    sign-up). Only an unused link (PENDING) declines; afterwards the company answers from the bell.
    The firm is told in its bell and by e-mail; the company can be invited again later."""
    invitation = await _usable(token)
    async with unit_of_work():
        invitation = await _relock(invitation.id)
        invitation.status, invitation.answered_at, invitation.open_key = InvitationStatus.DECLINED, clock.now(), None
        await invitation.save(update_fields=["status", "answered_at", "open_key"])
        await record(invitation, action=Action.DECLINED, actor_id=None, detail="declined from the invitation link")
        firm = await Company.get(id=invitation.firm_id)
        await notify(user_ids=await member_user_ids(firm.id), kind=NotificationKind.INVITATION_DECLINED,
                     text=declined_by_link(invitation.company_name, invitation.cui), invitation_id=invitation.id)
        await declined_by_link_to_firm(invitation, firm=firm, recipients=await firm_followers(invitation))
    return await with_companies(invitation)


async def _relock(invitation_id: int) -> Invitation:
    """The invitation again, row-locked, still usable (another request may have used it meanwhile)."""
    invitation = await Invitation.filter(id=invitation_id).select_for_update().first()
    require_status(invitation, InvitationStatus.PENDING)
    return invitation


async def _link_company(invitation: Invitation, *, user: User, registry_record, app_url: str, action: str) -> None:
    """Give the invitation its client company and put the collaboration request where it belongs:
    a new company is the user's own; an existing company's owners decide (the user does not join it)."""
    firm = await Company.get(id=invitation.firm_id)
    company = await Company.get_or_none(cui=invitation.cui)
    sent_to_owners = False
    if company is None:
        if registry_record is None:  # created and deleted while we were at ANAF: rare enough to ask for a retry
            raise DomainError(ErrorCode.INVALID_STATE, "The company changed meanwhile. Try again.", "Compania s-a schimbat între timp. Încercați din nou.")
        company = await add_company_with_owner(owner=user, record=registry_record, verification=CompanyVerification.VERIFIED_BY_INVITATION)
        answerers = [user.id]
    else:
        # Only people verified for the company answer for it; unverified claims never see the request.
        answerers = await verified_manager_ids(company.id)
        if not answerers:
            # Nobody has proven the company yet: the link holder does, and owns it.
            await verify_by_invitation(user_id=user.id, company_id=company.id)
            answerers = [user.id]
        elif user.id not in answerers:
            sent_to_owners = True
            owners = await User.filter(id__in=answerers)
            await collaboration_request(firm=firm, company=company, owners=owners, app_url=app_url)
    invitation.status, invitation.account_created_at = InvitationStatus.ACCOUNT_CREATED, clock.now()
    invitation.client_company_id, invitation.client_user_id = company.id, user.id
    await invitation.save(update_fields=["status", "account_created_at", "client_company_id", "client_user_id"])
    await record(invitation, action=action, actor_id=user.id, detail="request sent to the company's owners" if sent_to_owners else None)
    await notify(user_ids=await member_user_ids(firm.id), kind=NotificationKind.CLIENT_ACCOUNT_CREATED,
                 text=client_account_created(company, sent_to_owners=sent_to_owners), company_id=company.id, invitation_id=invitation.id)
    # Whoever was already notified when the firm sent (an existing account) keeps that one notification.
    rung = set(await Notification.filter(invitation_id=invitation.id, kind=NotificationKind.COLLABORATION_INVITATION,
                                         user_id__in=answerers).values_list("user_id", flat=True))
    await notify(user_ids=[u for u in answerers if u not in rung], kind=NotificationKind.COLLABORATION_INVITATION,
                 text=collaboration_invitation(firm, company), company_id=firm.id, invitation_id=invitation.id)
    emit(company_channel(company.id), "invitation", id=invitation.id)
