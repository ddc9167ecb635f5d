"""Types of the e-Factura integration, its authorization payloads and the set-up checklist."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import strawberry
from strawberry.dataloader import DataLoader

from domain.companies.service import verifications_for
from domain.efactura import service as efactura
from domain.efactura.models import EfacturaIntegration as IntegrationModel
from domain.efactura.models import EfacturaStatus as DomainEfacturaStatus
from graph.schema.accounts import User
from graph.schema.errors import UserError, user_error

if TYPE_CHECKING:
    from graph.context import Context

EfacturaStatus = strawberry.enum(DomainEfacturaStatus, name="EfacturaStatus")


@strawberry.type
class EfacturaIntegration:
    company_id: strawberry.ID
    status: EfacturaStatus
    authorized_at: datetime | None
    authorized_by: User | None
    access_expires_at: datetime | None
    refresh_expires_at: datetime | None
    certificate_serial: str | None = strawberry.field(description="Serial number of the qualified certificate that authorized.")
    last_error: str | None = strawberry.field(description="What went wrong last, and what to do (in the language of who authorized).")
    last_refreshed_at: datetime | None

    @staticmethod
    def of(row: IntegrationModel) -> "EfacturaIntegration":
        # `authorized_by` is loaded with the row (select_related) wherever a row reaches the API.
        by = row.authorized_by if row.authorized_by_id is not None else None
        return EfacturaIntegration(company_id=strawberry.ID(str(row.company_id)), status=row.status, authorized_at=row.authorized_at,
                                   authorized_by=User.of(by) if by is not None else None,
                                   access_expires_at=row.access_expires_at, refresh_expires_at=row.refresh_expires_at,
                                   certificate_serial=row.certificate_serial, last_error=row.last_error,
                                   last_refreshed_at=row.last_refreshed_at)


@strawberry.type
class SetupChecklist:
    provides_accounting_services: bool
    efactura_active: bool
    ready: bool
    problems: list[UserError] = strawberry.field(description="One per thing left to do, worded as what to do.")

    @staticmethod
    def of(checklist: efactura.SetupChecklist, lang: str) -> "SetupChecklist":
        return SetupChecklist(provides_accounting_services=checklist.provides_accounting_services,
                              efactura_active=checklist.efactura_active, ready=checklist.ready,
                              problems=[user_error(p, lang) for p in checklist.problems])


@strawberry.type
class EfacturaAuthorizationPayload:
    authorization_url: str | None = strawberry.field(default=None, description="Open in the browser where the USB token is plugged in.")
    expires_at: datetime | None = strawberry.field(default=None, description="The link works once, until then.")
    integration: EfacturaIntegration | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class EfacturaIntegrationPayload:
    integration: EfacturaIntegration | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


def integration_loader(context: "Context") -> DataLoader[int, EfacturaIntegration | None]:
    """Per operation: the integrations of many companies in two queries (the viewer's memberships,
    then the integrations). Only members see a company's integration; others get null."""
    loader = context.loaders.get("efactura")
    if loader is None:
        viewer = context.require_viewer()

        async def load(company_ids: list[int]) -> list[EfacturaIntegration | None]:
            mine = set(await verifications_for(viewer.id, company_ids))  # suspended claims see nothing
            rows = await efactura.integrations_for(mine)
            return [EfacturaIntegration.of(rows[cid]) if cid in mine else None for cid in company_ids]

        loader = context.loaders["efactura"] = DataLoader(load_fn=load)
    return loader
