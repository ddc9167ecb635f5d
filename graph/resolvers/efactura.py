"""e-Factura: the integration's status, its authorization at ANAF, and the set-up checklist."""

from __future__ import annotations

import strawberry

from domain.efactura import service as efactura
from graph.context import Info
from graph.schema.efactura import EfacturaAuthorizationPayload, EfacturaIntegration, EfacturaIntegrationPayload, SetupChecklist
from graph.schema.errors import returns_payload


@strawberry.type
class Query:
    @strawberry.field(description="The company's e-Factura integration (NOT_CONFIGURED when never authorized).")
    async def efactura_integration(self, info: Info, company_id: strawberry.ID) -> EfacturaIntegration:
        row = await efactura.get_integration(actor=info.context.require_viewer(), company_id=company_id)
        return EfacturaIntegration.of(row)

    @strawberry.field(description="What the company still needs before discovering and inviting its portfolio.")
    async def setup_checklist(self, info: Info, company_id: strawberry.ID) -> SetupChecklist:
        checklist = await efactura.setup_checklist(actor=info.context.require_viewer(), company_id=company_id)
        return SetupChecklist.of(checklist, info.context.lang)


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Owners and administrators: get ANAF's authorization link (single use, 10 minutes).")
    @returns_payload(EfacturaAuthorizationPayload)
    async def start_efactura_authorization(self, info: Info, company_id: strawberry.ID) -> EfacturaAuthorizationPayload:
        started = await efactura.start_authorization(actor=info.context.require_viewer(), company_id=company_id,
                                                     oauth=info.context.services.oauth)
        return EfacturaAuthorizationPayload(authorization_url=started.authorization_url, expires_at=started.expires_at,
                                            integration=EfacturaIntegration.of(started.integration))

    @strawberry.mutation(description="Finish the authorization with the `code` and `state` ANAF sent back (the state must be the viewer's).")
    @returns_payload(EfacturaIntegrationPayload)
    async def complete_efactura_authorization(self, info: Info, code: str, state: str) -> EfacturaIntegrationPayload:
        row = await efactura.complete_authorization(state=state, code=code, oauth=info.context.services.oauth,
                                                    efactura=info.context.services.efactura,
                                                    viewer=info.context.require_viewer())
        return EfacturaIntegrationPayload(integration=EfacturaIntegration.of(row))

    @strawberry.mutation(description="Forget the stored ANAF tokens (status NOT_CONFIGURED).")
    @returns_payload(EfacturaIntegrationPayload)
    async def disconnect_efactura(self, info: Info, company_id: strawberry.ID) -> EfacturaIntegrationPayload:
        row = await efactura.disconnect(actor=info.context.require_viewer(), company_id=company_id)
        return EfacturaIntegrationPayload(integration=EfacturaIntegration.of(row))
