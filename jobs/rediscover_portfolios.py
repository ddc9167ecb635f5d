"""Re-discover portfolios daily: ANAF grants and withdraws rights over time (ANAF.md §6).

Every firm with an ACTIVE e-Factura integration (its rights on the firm confirmed) whose latest run is older than a day (or that has
none) gets a new run; one per firm at most (the runs' unique `running_key`), and one process at a
time picks the firms (advisory lock). Resuming runs cut short by a restart happens here too.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from domain.companies.models import Company
from domain.efactura.firm_rights import ensure_rights_checked
from domain.efactura.models import EfacturaIntegration, EfacturaStatus
from domain.kernel.clock import now
from domain.kernel.errors import DomainError, DomainErrors
from domain.portfolio.discovery import create_run
from domain.portfolio.models import DiscoveryRun
from jobs.locks import exclusive
from jobs.scheduler import periodic

log = logging.getLogger(__name__)

INTERVAL = timedelta(days=1)
MAX_STARTS_PER_TICK = 50  # spread a large fleet of firms over several ticks


async def rediscover_due(services, *, interval: timedelta = INTERVAL, limit: int = MAX_STARTS_PER_TICK) -> list[int]:
    """Start runs for the firms that are due; returns the started run ids."""
    started: list[int] = []
    async with exclusive("rediscover-portfolios") as got:
        if not got:
            return started
        await recheck_unconfirmed(services, limit=limit)
        firms = EfacturaIntegration.filter(status=EfacturaStatus.ACTIVE, rights_checked_at__isnull=False).values_list("company_id", flat=True)
        recent = DiscoveryRun.filter(started_at__gte=now() - interval).values_list("firm_id", flat=True)
        due = await Company.filter(id__in=list(await firms), provides_accounting_services=True).exclude(
            id__in=list(await recent)).order_by("id").limit(limit).values_list("id", flat=True)
    for firm_id in due:
        run, created = await create_run(firm_id=firm_id, started_by_id=None)
        if created:
            services.discovery.start(run.id)
            started.append(run.id)
    return started


async def recheck_unconfirmed(services, *, limit: int) -> None:
    """Authorizations whose rights on the firm ANAF could not confirm when they were made: probe
    them again (each becomes checked, or ERROR); only checked ones are re-discovered."""
    ids = await EfacturaIntegration.filter(status=EfacturaStatus.ACTIVE, rights_checked_at__isnull=True).order_by("id").limit(
        limit).values_list("company_id", flat=True)
    for company in await Company.filter(id__in=list(ids), provides_accounting_services=True):
        try:
            await ensure_rights_checked(company, efactura=services.efactura, oauth=services.oauth)
        except (DomainError, DomainErrors) as error:
            log.info("firm %s: e-Factura rights not confirmed (%s)", company.id,
                     error.code if isinstance(error, DomainError) else error.errors[0].code)


@periodic("rediscover-portfolios", seconds=3600)
async def run(services) -> None:
    await services.discovery.resume_stale()
    await rediscover_due(services)
