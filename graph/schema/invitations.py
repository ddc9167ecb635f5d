"""The `Invitation` type (a firm's invitation to a client company) and its status enum."""

from __future__ import annotations

from datetime import datetime

import strawberry

from domain.models.invitations import Invitation as InvitationModel
from domain.models.invitations import InvitationStatus as InvitationStatusEnum
from graph.schema.companies import Company

InvitationStatus = strawberry.enum(InvitationStatusEnum, name="InvitationStatus")


@strawberry.type
class Invitation:
    id: strawberry.ID
    cui: str
    company_name: str
    representative_name: str
    email: str
    phone: str
    status: InvitationStatus
    sent_at: datetime
    expires_at: datetime
    accepted_at: datetime | None
    accounting_firm: Company
    client_company: Company | None

    @staticmethod
    def of(row: InvitationModel) -> "Invitation":
        """From a row with `firm` and `client_company` loaded."""
        return Invitation(id=strawberry.ID(str(row.id)), cui=row.cui, company_name=row.company_name,
                          representative_name=row.representative_name, email=row.email, phone=row.phone,
                          status=row.status, sent_at=row.sent_at, expires_at=row.expires_at, accepted_at=row.accepted_at,
                          accounting_firm=Company.of(row.firm),
                          client_company=Company.of(row.client_company) if row.client_company else None)
