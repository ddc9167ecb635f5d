"""Hourly clean-up of rows that only ever expire: throttle counters, dead sessions, spent OAuth states
and agent pairing codes. Set-based deletes, safe to run in several processes at once."""

from __future__ import annotations

from datetime import timedelta

from domain.accounts.models import Session
from domain.efactura.models import OAuthState
from domain.kernel.clock import now
from domain.kernel import throttle
from domain.portfolio.models import AgentPairing
from jobs.scheduler import periodic

# Kept a while after they stop mattering, so support can still see what happened yesterday.
GRACE = timedelta(days=7)


async def purge_stale() -> dict[str, int]:
    cutoff = now() - GRACE
    return {
        "throttle_counters": await throttle.purge_expired(),
        "sessions": await Session.filter(expires_at__lt=cutoff).delete()
        + await Session.filter(revoked_at__lt=cutoff).delete(),
        "oauth_states": await OAuthState.filter(expires_at__lt=cutoff).delete(),
        "agent_pairings": await AgentPairing.filter(expires_at__lt=cutoff).delete(),
    }


@periodic("purge-stale", seconds=3600)
async def run(services) -> None:
    await purge_stale()
