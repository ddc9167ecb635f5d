"""The client's answer to an invitation: what waits in its bell, accepting (an ACTIVE collaboration)
or declining. Only the client company's verified owners and administrators answer, and only once;
anyone else asking about the invitation is told it does not exist.

Two answers racing for one invitation are serialised by a row lock on the invitation (PostgreSQL);
the unique (firm, client) constraint on collaborations is the last line behind it.
"""

from __future__ import annotations

from tortoise.exceptions import IntegrityError

from domain.accounts.models import User
from domain.companies.models import Company, CompanyVerification, Membership
from domain.companies.service import MANAGER_ROLES, member_user_ids
from domain.invitations.mail import answer_to_firm
from domain.invitations.models import Collaboration, CollaborationStatus, Invitation, InvitationStatus
from domain.invitations.state import Action, closed_error, record, require_status
from domain.invitations.texts import answered
from domain.kernel import clock
from domain.kernel.errors import NotFound
from domain.kernel.events import company_channel, emit, unit_of_work
from domain.notifications.models import NotificationKind
from domain.notifications.service import notify


async def collaboration_requests(*, actor: User) -> list[Invitation]:
    """Invitations waiting for an answer from a company the actor manages, newest first."""
    managed = await Membership.filter(user_id=actor.id, role__in=list(MANAGER_ROLES)).exclude(
        verification=CompanyVerification.UNVERIFIED).values_list("company_id", flat=True)
    if not managed:
        return []
    return await Invitation.filter(client_company_id__in=list(managed), status=InvitationStatus.ACCOUNT_CREATED,
                                   expires_at__gt=clock.now()).order_by("-id").select_related("firm", "client_company")


async def respond(*, actor: User, invitation_id: int | str, accept: bool) -> Invitation:
    try:
        iid = int(invitation_id)
    except (TypeError, ValueError):
        raise NotFound("No invitation with that id.") from None
    try:
        async with unit_of_work():
            return await _respond(actor, iid, accept)
    except IntegrityError:
        # The unique (firm, client) pair refused a second collaboration: someone answered first.
        raise closed_error(InvitationStatus.ACCEPTED) from None


async def _respond(actor: User, invitation_id: int, accept: bool) -> Invitation:
    invitation = await Invitation.filter(id=invitation_id).select_for_update().first()
    if invitation is None or invitation.client_company_id is None or invitation.client_company_id not in await _answering_for(actor):
        # Someone else's invitation reads exactly like one that does not exist.
        raise NotFound("No invitation with that id.")
    require_status(invitation, InvitationStatus.ACCOUNT_CREATED)
    at = clock.now()
    if accept:
        existing = await Collaboration.filter(firm_id=invitation.firm_id, client_id=invitation.client_company_id).first()
        if existing is None:
            await Collaboration.create(firm_id=invitation.firm_id, client_id=invitation.client_company_id, invitation_id=invitation.id)
        else:  # an ended collaboration starts again
            await Collaboration.filter(id=existing.id).update(status=CollaborationStatus.ACTIVE, invitation_id=invitation.id, since=at)
        invitation.status, invitation.accepted_at = InvitationStatus.ACCEPTED, at
    else:
        invitation.status = InvitationStatus.DECLINED
    invitation.answered_at, invitation.open_key = at, None
    await invitation.save(update_fields=["status", "accepted_at", "answered_at", "open_key"])
    await record(invitation, action=Action.ACCEPTED if accept else Action.DECLINED, actor_id=actor.id)
    firm = await Company.get(id=invitation.firm_id)
    client = await Company.get(id=invitation.client_company_id)
    await notify(user_ids=await member_user_ids(firm.id), kind=NotificationKind.INVITATION_ACCEPTED if accept else NotificationKind.INVITATION_DECLINED,
                 text=answered(client, accepted=accept), company_id=client.id, invitation_id=invitation.id)
    await answer_to_firm(invitation, accepted=accept, firm=firm, client=client, client_user=actor,
                         recipients=await firm_followers(invitation))
    emit(company_channel(client.id), "invitation", id=invitation.id)
    invitation.firm, invitation.client_company = firm, client
    return invitation


async def _answering_for(actor: User) -> set[int]:
    """The companies the actor answers collaboration requests for: verified owner or administrator."""
    return set(await Membership.filter(user_id=actor.id, role__in=list(MANAGER_ROLES)).exclude(
        verification=CompanyVerification.UNVERIFIED).values_list("company_id", flat=True))


async def firm_followers(invitation: Invitation) -> list[User]:
    """Who is e-mailed about the answer: the accountant who sent the invitation, else the firm's managers."""
    if invitation.created_by_id and await Membership.filter(user_id=invitation.created_by_id, company_id=invitation.firm_id).exists():
        return await User.filter(id=invitation.created_by_id)
    return await User.filter(id__in=await member_user_ids(invitation.firm_id, roles=MANAGER_ROLES))
