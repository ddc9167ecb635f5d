"""A firm ready to invite, written straight through the ORM (for domain tests and the benchmark)."""

from __future__ import annotations

from dataclasses import dataclass

from anaf.sandbox.dataset import get_dataset


@dataclass
class DomainFirm:
    user: object
    company: object
    cuis: list[str]


async def domain_firm(holder_key: str = "medium", *, email: str = "contabil@example.ro") -> DomainFirm:
    from domain.accounts.models import User
    from domain.companies.models import Company, CompanyVerification, MemberRole, Membership
    from domain.efactura.models import EfacturaIntegration, EfacturaStatus
    from domain.kernel.clock import now
    from domain.portfolio.models import PortfolioEntry

    holder = get_dataset().holders[holder_key]
    user = await User.create(email=email, name="Elena Contabil", password_hash="-")
    company = await Company.create(cui=holder.firm_cui, name="FIRMA DE CONTABILITATE", provides_accounting_services=True)
    await Membership.create(user=user, company=company, role=MemberRole.OWNER, verification=CompanyVerification.VERIFIED_BY_EFACTURA)
    await EfacturaIntegration.create(company=company, status=EfacturaStatus.ACTIVE, rights_checked_at=now())
    cuis = [c for c in holder.cuis if c != holder.firm_cui]
    await PortfolioEntry.bulk_create([PortfolioEntry(firm_id=company.id, cui=c, name=f"CLIENT {c} SRL") for c in cuis])
    return DomainFirm(user=user, company=company, cuis=cuis)


def requests(cuis: list[str], start: int = 0):
    from domain.invitations.service import InvitationRequest

    return [InvitationRequest(cui=c, representative_name=f"Reprezentant {n}", email=f"client{n}@example.ro",
                              phone=f"07{22000000 + n:08d}", message="Vă invităm în Portofoliu.")
            for n, c in enumerate(cuis, start=start)]
