"""Types of invitations, their audit trail, the link preview, and the collaboration answer."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.dataloader import DataLoader

from domain.invitations import service as domain_invitations
from domain.invitations.links import Preview
from domain.invitations.models import Invitation as InvitationModel
from domain.invitations.models import InvitationStatus as DomainInvitationStatus
from domain.invitations.state import effective_status
from graph.context import Info
from graph.schema.accounts import User
from graph.schema.companies import Company
from graph.schema.errors import UserError
from graph.schema.pagination import PageInfo

InvitationStatus = strawberry.enum(DomainInvitationStatus, name="InvitationStatus")


@strawberry.type(description="One step of an invitation's audit trail: who did what, when.")
class InvitationEvent:
    action: str = strawberry.field(description="SENT, RESENT, REMINDED, REVOKED, EXPIRED, ACCOUNT_CREATED, CLAIMED, ACCEPTED or DECLINED")
    at: datetime
    actor: User | None
    detail: str | None


def _events_loader(info: Info) -> DataLoader:
    """One query for the trails of every invitation in the response."""
    loader = info.context.loaders.get("invitation_events")
    if loader is None:
        async def load(ids: list[int]) -> list[list[InvitationEvent]]:
            trails = await domain_invitations.events_of(ids)
            return [[InvitationEvent(action=e.action, at=e.created_at, actor=User.of(e.actor) if e.actor else None, detail=e.detail)
                     for e in trails[i]] for i in ids]

        loader = info.context.loaders["invitation_events"] = DataLoader(load_fn=load)
    return loader


@strawberry.type
class Invitation:
    id: strawberry.ID
    cui: str
    company_name: str
    representative_name: str
    email: str
    phone: str
    message: str | None
    status: InvitationStatus
    sent_at: datetime
    expires_at: datetime
    accepted_at: datetime | None
    answered_at: datetime | None
    accounting_firm: Company
    client_company: Company | None

    @strawberry.field(description="The audit trail, oldest first.")
    async def events(self, info: Info) -> list[InvitationEvent]:
        return await _events_loader(info).load(int(self.id))

    @staticmethod
    def of(invitation: InvitationModel, made: dict | None = None) -> "Invitation":
        """`invitation.firm` (and `client_company`, when set) must be loaded. `made`: the API objects
        of one answer, by (type, id), each made once."""
        if made is not None:
            known = made.get((Invitation, invitation.id))
            if known is None:
                known = made[(Invitation, invitation.id)] = Invitation._of(invitation, made)
            return known
        return Invitation._of(invitation, None)

    @staticmethod
    def _of(invitation: InvitationModel, made: dict | None) -> "Invitation":
        client = invitation.client_company if invitation.client_company_id else None
        return Invitation(id=strawberry.ID(str(invitation.id)), cui=invitation.cui, company_name=invitation.company_name,
                          representative_name=invitation.representative_name, email=invitation.email, phone=invitation.phone,
                          message=invitation.message, status=effective_status(invitation), sent_at=invitation.sent_at,
                          expires_at=invitation.expires_at, accepted_at=invitation.accepted_at, answered_at=invitation.answered_at,
                          accounting_firm=Company.of(invitation.firm, made), client_company=Company.of(client, made) if client else None)


@strawberry.type
class InvitationEdge:
    cursor: str
    node: Invitation


@strawberry.type
class InvitationConnection:
    edges: list[InvitationEdge]
    page_info: PageInfo
    total_count: int


@strawberry.type(description="What the invitation link page shows. A link that can no longer be used (status other than "
                             "PENDING) shows only its status and expiry; the other fields are empty.")
class InvitationPreview:
    accounting_firm_name: str
    company_name: str
    cui: str
    representative_name: str
    email: str
    status: InvitationStatus
    expires_at: datetime
    account_exists: bool = strawberry.field(description="The invited e-mail already has an account: sign in and claim instead of signing up.")

    @staticmethod
    def of(preview: Preview) -> "InvitationPreview":
        return InvitationPreview(accounting_firm_name=preview.accounting_firm_name, company_name=preview.company_name, cui=preview.cui,
                                 representative_name=preview.representative_name, email=preview.email, status=preview.status,
                                 expires_at=preview.expires_at, account_exists=preview.account_exists)


@strawberry.input
class InvitationInput:
    cui: str
    representative_name: str
    email: str
    phone: str
    message: str | None = None


@strawberry.input
class AcceptInvitationSignUpInput:
    token: str
    password: str
    name: str | None = strawberry.field(default=None, description="Defaults to the representative's name from the invitation.")
    phone: str | None = strawberry.field(default=None, description="Defaults to the phone number from the invitation.")


@strawberry.type
class SendInvitationsPayload:
    invitations: list[Invitation] = strawberry.field(default_factory=list)
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class InvitationPayload:
    invitation: Invitation | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)
