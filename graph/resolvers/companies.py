"""Companies: registry look-up, creation, the accounting-services and invitation settings, claims, listing."""

from __future__ import annotations

import strawberry

from domain.companies import service as companies
from domain.companies.models import Company as CompanyModel
from graph.context import Info
from graph.schema.companies import Company, CompanyEdge, CompanyPayload, CompanyRelationship, CreateCompanyInput, RegistryCompany
from graph.schema.errors import returns_payload


@strawberry.type
class Query:
    @strawberry.field(description="\"Administrare companii\": own companies, clients (firm side) and accounting firms (client side).")
    async def companies(self, info: Info, relationship: CompanyRelationship | None = None) -> list[CompanyEdge]:
        links = await companies.list_companies(actor=info.context.require_viewer(), relationship=relationship)
        made: dict = {}  # one API object per company (a firm is the `via` of each of its clients)
        return [CompanyEdge.of(link, made) for link in links]

    @strawberry.field
    async def company(self, info: Info, id: strawberry.ID) -> Company | None:
        return Company.of(await companies.get_visible_company(info.context.require_viewer(), id))

    @strawberry.field(description="ANAF's public data for a CUI (with or without RO); null when ANAF does not know it.")
    async def registry_lookup(self, info: Info, cui: str) -> RegistryCompany | None:
        viewer = info.context.require_viewer()
        record = await companies.registry_lookup(info.context.services.registry_lookups, cui, user_id=viewer.id)
        if record is None:
            return None
        return RegistryCompany(cui=record.cui, name=record.name, address=record.address,
                               registration_number=record.registration_number, status=record.status,
                               registration_status_text=record.registration_status_text, vat_payer=record.vat_payer,
                               efactura=record.efactura, on_platform=await CompanyModel.filter(cui=record.cui).exists())


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Add a company by CUI; its name, address and status come from ANAF. The creator becomes its owner.")
    @returns_payload(CompanyPayload)
    async def create_company(self, info: Info, input: CreateCompanyInput) -> CompanyPayload:
        company = await companies.create_company(actor=info.context.require_viewer(), cui=input.cui,
                                                 provides_accounting_services=input.provides_accounting_services,
                                                 registry=info.context.services.registry_lookups)
        return CompanyPayload(company=Company.of(company))

    @strawberry.mutation
    @returns_payload(CompanyPayload)
    async def set_provides_accounting_services(self, info: Info, company_id: strawberry.ID, enabled: bool) -> CompanyPayload:
        company = await companies.set_provides_accounting_services(actor=info.context.require_viewer(),
                                                                   company_id=company_id, enabled=enabled)
        return CompanyPayload(company=Company.of(company))

    @strawberry.mutation(description="Owners and administrators: let every member send, resend and revoke invitations, or not.")
    @returns_payload(CompanyPayload)
    async def set_members_may_invite(self, info: Info, company_id: strawberry.ID, enabled: bool) -> CompanyPayload:
        company = await companies.set_members_may_invite(actor=info.context.require_viewer(), company_id=company_id, enabled=enabled)
        return CompanyPayload(company=Company.of(company))

    @strawberry.mutation(description="A verified owner or administrator ends someone's unverified claim on the company.")
    @returns_payload(CompanyPayload)
    async def remove_company_claimant(self, info: Info, company_id: strawberry.ID, user_id: strawberry.ID) -> CompanyPayload:
        company = await companies.remove_claimant(actor=info.context.require_viewer(), company_id=company_id, user_id=user_id)
        return CompanyPayload(company=Company.of(company))
