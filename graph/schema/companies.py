"""Types of companies, their relationships, and ANAF's public registry data."""

from __future__ import annotations

from datetime import datetime

import strawberry

from strawberry.dataloader import DataLoader

from domain.companies import service as companies
from domain.companies.models import Company as CompanyModel
from domain.companies.models import CompanyVerification as DomainCompanyVerification
from domain.companies.service import CompanyLink, Relationship
from graph.schema.accounts import User
from graph.schema.efactura import EfacturaIntegration, integration_loader
from graph.schema.errors import UserError

CompanyRelationship = strawberry.enum(Relationship, name="CompanyRelationship")
CompanyVerification = strawberry.enum(DomainCompanyVerification, name="CompanyVerification",
                                      description="How the viewer's tie to a company is proven.")


def verification_loader(context) -> DataLoader[int, DomainCompanyVerification]:
    """Per operation: the viewer's verification for many companies in at most two queries."""
    loader = context.loaders.get("verification")
    if loader is None:
        viewer = context.require_viewer()

        async def load(company_ids: list[int]) -> list[DomainCompanyVerification]:
            mine = await companies.verifications_for(viewer.id, company_ids)
            return [mine.get(cid, DomainCompanyVerification.UNVERIFIED) for cid in company_ids]

        loader = context.loaders["verification"] = DataLoader(load_fn=load)
    return loader


@strawberry.type
class CompanyClaimant:
    user: User
    since: datetime


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
    members_may_invite: bool = strawberry.field(
        description="Plain members may send, resend and revoke invitations (otherwise owners and administrators only).")

    @strawberry.field(description="The e-Factura integration; null for companies the viewer is not a member of.")
    async def efactura(self, info: strawberry.Info) -> EfacturaIntegration | None:
        return await integration_loader(info.context).load(int(self.id))

    @strawberry.field(description="For the viewer: how their tie to the company is proven (UNVERIFIED for a mere claim, "
                                  "and for companies they see without being a member).")
    async def verification(self, info: strawberry.Info) -> CompanyVerification:
        return await verification_loader(info.context).load(int(self.id))

    @strawberry.field(description="People who registered the company without proving it (unverified claims); "
                                  "shown to its verified owners and administrators only, who may remove them.")
    async def claimants(self, info: strawberry.Info) -> list[CompanyClaimant]:
        company = CompanyModel(id=int(self.id))
        rows = await companies.claimants(actor=info.context.require_viewer(), company=company)
        return [CompanyClaimant(user=User.of(user), since=since) for user, since in rows]

    @staticmethod
    def of(company: CompanyModel, made: dict | None = None) -> "Company":
        """`made`: the API objects of one answer, by (type, id), so that a company shown many times
        (the firm of every invitation of a page) is made once."""
        if made is not None:
            known = made.get((Company, company.id))
            if known is None:
                known = made[(Company, company.id)] = Company.of(company)
            return known
        return Company(id=strawberry.ID(str(company.id)), cui=company.cui, name=company.name, address=company.address,
                       registration_number=company.registration_number, registry_status=str(company.registry_status),
                       vat_payer=company.vat_payer, provides_accounting_services=company.provides_accounting_services,
                       members_may_invite=company.members_may_invite)


@strawberry.type
class CompanyEdge:
    relationship: CompanyRelationship
    company: Company
    via: Company | None
    since: datetime | None

    @staticmethod
    def of(link: CompanyLink, made: dict | None = None) -> "CompanyEdge":
        return CompanyEdge(relationship=link.relationship, company=Company.of(link.company, made),
                           via=Company.of(link.via, made) if link.via else None, since=link.since)


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
