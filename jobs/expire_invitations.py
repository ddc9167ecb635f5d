"""Every minute: close invitations whose links have run out (see `domain.invitations.expiry`)."""

from __future__ import annotations

from domain.invitations.expiry import expire_overdue
from domain.kernel.events import unit_of_work
from jobs.locks import exclusive
from jobs.scheduler import periodic


async def expire_invitations() -> int:
    """One pass; returns how many invitations expired (0 when another process holds the lock)."""
    # The lock's transaction is the unit of work, so live events follow the final commit.
    async with unit_of_work(), exclusive("expire-invitations") as got:
        if not got:
            return 0
        return await expire_overdue()


@periodic("expire-invitations", seconds=60)
async def run(services) -> None:
    await expire_invitations()
