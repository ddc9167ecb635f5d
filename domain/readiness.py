"""Whether a firm may work with its portfolio: the accounting-services flag and an ACTIVE e-Factura integration."""

from __future__ import annotations

from domain.errors import DomainError, ErrorCode
from domain.models.companies import Company
from domain.models.efactura import EfacturaIntegration, EfacturaStatus


async def require_ready_for_portfolio(company: Company) -> None:
    """Raise the first unmet prerequisite, in the order the set-up check-list shows them."""
    if not company.provides_accounting_services:
        raise DomainError(ErrorCode.ACCOUNTING_SERVICES_DISABLED,
                          "Mark the company as providing accounting services first.",
                          "Marcați mai întâi compania ca prestatoare de servicii de contabilitate.")
    active = await EfacturaIntegration.filter(company_id=company.id, status=EfacturaStatus.ACTIVE).exists()
    if not active:
        raise DomainError(ErrorCode.EFACTURA_NOT_AUTHORIZED,
                          "Authorize RO e-Factura at ANAF for this company first.",
                          "Autorizați mai întâi RO e-Factura la ANAF pentru această companie.")
