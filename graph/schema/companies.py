"""Types of companies, their relationships, and ANAF's public registry data."""

from __future__ import annotations

from datetime import datetime

import strawberry

from domain.companies.models import Company as CompanyModel
from domain.companies.service import CompanyLink, Relationship
from graph.schema.efactura import EfacturaIntegration, integration_loader
from graph.schema.errors import UserError

CompanyRelationship = strawberry.enum(Relationship, name="CompanyRelationship")


@strawberry.type
class Company:
    id: strawberry.ID
    cui: str
    name: str
    address: str | None
    registration_number: str | None
    registry_status: str = strawberry.field(description="active, inactive or deregistered, per ANAF's registry")
    vat_payer: bool
    provides_accounting_services: bool

    @strawberry.field(description="The e-Factura integration; null for companies the viewer is not a member of.")
    async def efactura(self, info: strawberry.Info) -> EfacturaIntegration | None:
        return await integration_loader(info.context).load(int(self.id))

    @staticmethod
    def of(company: CompanyModel) -> "Company":
        return Company(id=strawberry.ID(str(company.id)), cui=company.cui, name=company.name, address=company.address,
                       registration_number=company.registration_number, registry_status=str(company.registry_status),
                       vat_payer=company.vat_payer, provides_accounting_services=company.provides_accounting_services)


@strawberry.type
class CompanyEdge:
    relationship: CompanyRelationship
    company: Company
    via: Company | None
    since: datetime | None

    @staticmethod
    def of(link: CompanyLink) -> "CompanyEdge":
        return CompanyEdge(relationship=link.relationship, company=Company.of(link.company),
                           via=Company.of(link.via) if link.via else None, since=link.since)


@strawberry.type
class RegistryCompany:
    cui: str
    name: str
    address: str | None
    registration_number: str | None
    status: str = strawberry.field(description="active, inactive or deregistered")
    registration_status_text: str | None
    vat_payer: bool
    efactura: bool
    on_platform: bool = strawberry.field(description="A company with this CUI already has an account here.")


@strawberry.input
class CreateCompanyInput:
    cui: str
    provides_accounting_services: bool = False


@strawberry.type
class CompanyPayload:
    company: Company | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)
