"""Every few minutes: remind clients of invitations they have not opened (days from
`INVITATION_REMINDER_DAYS`, see `domain.invitations.reminders`)."""

from __future__ import annotations

from domain.invitations.reminders import send_due_reminders
from domain.kernel.events import unit_of_work
from jobs.locks import exclusive
from jobs.scheduler import periodic


async def send_reminders(settings) -> int:
    # The lock's transaction is the unit of work, so live events follow the final commit.
    async with unit_of_work(), exclusive("invitation-reminders") as got:
        if not got:
            return 0
        return await send_due_reminders(reminder_days=settings.invitation_reminder_days, app_url=settings.app_url)


@periodic("invitation-reminders", seconds=300)
async def run(services) -> None:
    await send_reminders(services.settings)
