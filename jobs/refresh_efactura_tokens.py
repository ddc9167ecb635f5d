"""Keep e-Factura authorizations alive: refresh ANAF tokens before they end, expire dead ones, and
warn the person who authorized 14 days before the refresh token ends.

Each integration is handled in its own transaction holding its row lock (`FOR UPDATE SKIP LOCKED`
on PostgreSQL), so processes running this job at once share the work and never refresh one
integration twice; the rules themselves live in `domain.efactura.tokens`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from tortoise.expressions import Q

from domain.efactura import tokens as efactura_tokens
from domain.efactura.models import EfacturaIntegration, EfacturaStatus
from domain.efactura.token_vault import TokenVault
from domain.efactura.tokens import EXPIRY_WARNING_BEFORE, RefreshOutcome
from domain.kernel.clock import now
from domain.kernel.events import unit_of_work
from jobs.scheduler import periodic


@dataclass
class RefreshReport:
    outcomes: Counter[RefreshOutcome] = field(default_factory=Counter)
    warned: int = 0

    def __getitem__(self, outcome: RefreshOutcome) -> int:
        return self.outcomes[outcome]


async def refresh_tokens(*, oauth, vault: TokenVault | None = None) -> RefreshReport:
    """One pass over the integrations due for a refresh (or past their end), then the warnings."""
    at = now()
    report = RefreshReport()
    handled: list[int] = []  # a failed refresh stays due: do not pick it again in this pass
    while True:
        async with unit_of_work():
            due = EfacturaIntegration.filter(status=EfacturaStatus.ACTIVE).filter(
                Q(next_refresh_at__lte=at) | Q(refresh_expires_at__lte=at))
            if handled:
                due = due.exclude(id__in=handled)
            row = await due.order_by("next_refresh_at").select_for_update(skip_locked=True).first()
            if row is None:
                break
            handled.append(row.id)
            report.outcomes[await efactura_tokens.refresh_locked(row, oauth=oauth, vault=vault)] += 1
    ending = await EfacturaIntegration.filter(status=EfacturaStatus.ACTIVE, expiry_warning_sent_at__isnull=True,
                                              refresh_expires_at__lte=at + EXPIRY_WARNING_BEFORE).values_list("id", flat=True)
    for integration_id in ending:
        report.warned += await efactura_tokens.warn_if_ending(integration_id)
    return report


@periodic("refresh-efactura-tokens", seconds=60)
async def run(services) -> None:
    await refresh_tokens(oauth=services.oauth, vault=services.vault)
