"""Invitations: the firm sends, resends, revokes and lists them; the client previews the link, signs
up or claims it, and answers the collaboration."""

from __future__ import annotations

from typing import AsyncGenerator

import strawberry

from domain.companies.service import require_member
from domain.invitations import collaborations
from domain.invitations import links as invitation_links
from domain.invitations import service as firm_invitations
from graph import streams
from graph.context import Info
from graph.resolvers.accounts import auth_payload
from graph.schema.accounts import AuthPayload
from graph.schema.errors import returns_payload, user_error
from graph.schema.invitations import (
    AcceptInvitationSignUpInput,
    Invitation,
    InvitationConnection,
    InvitationEdge,
    InvitationInput,
    InvitationPayload,
    InvitationPreview,
    InvitationStatus,
    SendInvitationsPayload,
)
from graph.schema.pagination import PageInfo, decode_cursor, encode_cursor, page_size

CURSOR = "invitation"


def _links(info: Info) -> firm_invitations.Links:
    settings = info.context.settings
    return firm_invitations.Links(app_url=settings.app_url, ttl_seconds=settings.invitation_ttl_seconds,
                                  per_recipient_daily=settings.invitation_emails_per_recipient_day,
                                  per_firm_daily=settings.invitation_emails_per_firm_day)


def _request(row: InvitationInput) -> firm_invitations.InvitationRequest:
    return firm_invitations.InvitationRequest(cui=row.cui, representative_name=row.representative_name, email=row.email,
                                              phone=row.phone, message=row.message)


@strawberry.type
class Query:
    @strawberry.field(description="The firm's invitations, newest first.")
    async def invitations(self, info: Info, company_id: strawberry.ID, status: InvitationStatus | None = None,
                          first: int | None = None, after: str | None = None) -> InvitationConnection:
        rows, has_next, total = await firm_invitations.page(actor=info.context.require_viewer(), company_id=company_id, status=status,
                                                       first=page_size(first), before_id=decode_cursor(CURSOR, after))
        edges = [InvitationEdge(cursor=encode_cursor(CURSOR, row.id), node=Invitation.of(row)) for row in rows]
        return InvitationConnection(edges=edges, total_count=total,
                                    page_info=PageInfo(has_next_page=has_next, end_cursor=edges[-1].cursor if edges else None))

    @strawberry.field(description="What an invitation link shows, without a session; null for an unknown link.")
    async def invitation_preview(self, info: Info, token: str) -> InvitationPreview | None:
        preview = await invitation_links.preview(token)
        return InvitationPreview.of(preview) if preview else None

    @strawberry.field(description="Invitations waiting for an answer from a company the viewer manages.")
    async def collaboration_requests(self, info: Info) -> list[Invitation]:
        return [Invitation.of(row) for row in await collaborations.collaboration_requests(actor=info.context.require_viewer())]


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Invite up to 1,000 portfolio companies at once. Valid rows are sent even when others fail; "
                                     "a retry with the same idempotencyKey returns the first answer and sends nothing twice.")
    @returns_payload(SendInvitationsPayload)
    async def send_invitations(self, info: Info, company_id: strawberry.ID, invitations: list[InvitationInput],
                               idempotency_key: str | None = None) -> SendInvitationsPayload:
        rows = [_request(row) for row in invitations]
        result = await firm_invitations.send_invitations(actor=info.context.require_viewer(), company_id=company_id, rows=rows,
                                                           links=_links(info), idempotency_key=idempotency_key,
                                                           efactura=info.context.services.efactura, oauth=info.context.services.oauth)
        return SendInvitationsPayload(invitations=[Invitation.of(row) for row in result.invitations],
                                      errors=[user_error(e, info.context.lang) for e in result.errors])

    @strawberry.mutation(description="A new link (the old one stops working) and a new expiry, for the same invitation.")
    @returns_payload(InvitationPayload)
    async def resend_invitation(self, info: Info, id: strawberry.ID) -> InvitationPayload:
        invitation = await firm_invitations.resend_invitation(actor=info.context.require_viewer(), invitation_id=id, links=_links(info))
        return InvitationPayload(invitation=Invitation.of(invitation))

    @strawberry.mutation
    @returns_payload(InvitationPayload)
    async def revoke_invitation(self, info: Info, id: strawberry.ID) -> InvitationPayload:
        invitation = await firm_invitations.revoke_invitation(actor=info.context.require_viewer(), invitation_id=id)
        return InvitationPayload(invitation=Invitation.of(invitation))

    @strawberry.mutation(description="Create the invited person's account from the link (with the invited e-mail) and sign in; "
                                     "their company is added at once from ANAF's data.")
    @returns_payload(AuthPayload)
    async def accept_invitation_sign_up(self, info: Info, input: AcceptInvitationSignUpInput) -> AuthPayload:
        ctx = info.context
        done = await invitation_links.accept_sign_up(token=input.token, password=input.password, name=input.name, phone=input.phone,
                                                     registry=ctx.services.registry, app_url=ctx.settings.app_url,
                                                     ttl_seconds=ctx.settings.session_ttl_seconds, client_address=ctx.client_address)
        return auth_payload(done.signed_in)

    @strawberry.mutation(description="For a signed-in user whose e-mail the invitation was sent to.")
    @returns_payload(InvitationPayload)
    async def claim_invitation(self, info: Info, token: str) -> InvitationPayload:
        ctx = info.context
        invitation = await invitation_links.claim(actor=ctx.require_viewer(), token=token, registry=ctx.services.registry,
                                                  app_url=ctx.settings.app_url)
        return InvitationPayload(invitation=Invitation.of(invitation))

    @strawberry.mutation(description="Take, from the bell, an invitation sent to the viewer's own e-mail (the COLLABORATION_INVITATION "
                                     "notification carries it when the address already had an account); then answer it with "
                                     "respondToCollaboration. NOT_FOUND for an invitation sent to another address.")
    @returns_payload(InvitationPayload)
    async def claim_invitation_by_id(self, info: Info, id: strawberry.ID) -> InvitationPayload:
        ctx = info.context
        invitation = await invitation_links.claim_by_id(actor=ctx.require_viewer(), invitation_id=id, registry=ctx.services.registry,
                                                        app_url=ctx.settings.app_url)
        return InvitationPayload(invitation=Invitation.of(invitation))

    @strawberry.mutation(description="Decline from the e-mailed link, without an account (an unused link only: "
                                     "afterwards the company answers from the bell). The firm is told.")
    @returns_payload(InvitationPayload)
    async def decline_invitation(self, info: Info, token: str) -> InvitationPayload:
        return InvitationPayload(invitation=Invitation.of(await invitation_links.decline(token=token)))

    @strawberry.mutation(description="The client company's owners and administrators accept or decline, once.")
    @returns_payload(InvitationPayload)
    async def respond_to_collaboration(self, info: Info, invitation_id: strawberry.ID, accept: bool) -> InvitationPayload:
        invitation = await collaborations.respond(actor=info.context.require_viewer(), invitation_id=invitation_id, accept=accept)
        return InvitationPayload(invitation=Invitation.of(invitation))


@strawberry.type
class Subscription:
    @strawberry.subscription(description="The firm's invitations, each time one changes (sent, accepted, declined, ...).")
    async def invitation_updated(self, info: Info, company_id: strawberry.ID) -> AsyncGenerator[Invitation, None]:
        membership = await require_member(info.context.require_viewer(), company_id)
        async for invitation in streams.invitation_updates(info.context.services.broadcast, company_id=membership.company_id):
            yield Invitation.of(invitation)
