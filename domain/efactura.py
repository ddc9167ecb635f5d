"""A firm's RO e-Factura integration as the portfolio needs it: is it ready, and its access token.

Minimal form of the integration domain (authorization, token storage and refresh live with the
OAuth capability); discovery depends only on these two functions.
"""

from __future__ import annotations

from domain.errors import DomainError, ErrorCode
from domain.models.companies import Company
from domain.models.efactura import EfacturaIntegration, EfacturaStatus


def _not_authorized() -> DomainError:
    return DomainError(ErrorCode.EFACTURA_NOT_AUTHORIZED,
                       "Authorize RO e-Factura for this company first (with the accountant's qualified certificate).",
                       "Autorizați mai întâi RO e-Factura pentru această companie (cu certificatul calificat al contabilului).")


async def require_ready_for_portfolio(company: Company) -> EfacturaIntegration:
    """The firm provides accounting services and its e-Factura integration is ACTIVE."""
    if not company.provides_accounting_services:
        raise DomainError(ErrorCode.ACCOUNTING_SERVICES_DISABLED,
                          "Mark the company as providing accounting services first.",
                          "Marcați mai întâi compania ca prestatoare de servicii de contabilitate.")
    integration = await EfacturaIntegration.get_or_none(company_id=company.id)
    if integration is None or integration.status != EfacturaStatus.ACTIVE or not integration.access_token_enc:
        raise _not_authorized()
    return integration


async def access_token_for(company_id: int, *, oauth=None) -> str:
    """The firm's current access token; EFACTURA_NOT_AUTHORIZED when there is none."""
    integration = await EfacturaIntegration.get_or_none(company_id=company_id)
    if integration is None or integration.status != EfacturaStatus.ACTIVE or not integration.access_token_enc:
        raise _not_authorized()
    return integration.access_token_enc
