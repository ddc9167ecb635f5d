"""What live subscriptions load: fresh rows per event, only those the subscriber may see.

Events carry ids; these functions turn them into rows, scoped by the user or company the
subscription was authorised for, so an event can never reveal someone else's row.
"""

from __future__ import annotations

from datetime import datetime

from tortoise.expressions import Q

from domain.models.invitations import Invitation
from domain.models.notifications import Notification
from domain.models.portfolio import DiscoveryRun

REPLAY_PAGE = 500


async def latest_notification_id(user_id: int) -> int:
    """The cursor of a subscription started without one: only notifications after now."""
    row = await Notification.filter(user_id=user_id).order_by("-id").only("id").first()
    return row.id if row else 0


async def notifications_after(user_id: int, after_id: int, *, also_id: int | None = None,
                              limit: int = REPLAY_PAGE) -> list[Notification]:
    """The user's notifications after a cursor (plus `also_id`, one that committed late), oldest
    first, with their company and invitation."""
    condition = Q(id__gt=after_id) if also_id is None else Q(id__gt=after_id) | Q(id=also_id)
    return await (Notification.filter(user_id=user_id).filter(condition).order_by("id").limit(limit)
                  .prefetch_related("company", "invitation__firm", "invitation__client_company"))


async def discovery_run(company_id: int, run_id: int) -> DiscoveryRun | None:
    return await DiscoveryRun.filter(id=run_id, firm_id=company_id).first()


async def latest_discovery_run(company_id: int) -> DiscoveryRun | None:
    return await DiscoveryRun.filter(firm_id=company_id).order_by("-id").first()


async def invitations(company_id: int, ids: list[int]) -> list[Invitation]:
    return await (Invitation.filter(firm_id=company_id, id__in=ids).order_by("id")
                  .prefetch_related("firm", "client_company"))


async def invitations_changed_since(company_id: int, since: datetime) -> list[Invitation]:
    """Invitations of a firm with any change at or after `since` (to catch up after a gap)."""
    changed = (Q(sent_at__gte=since) | Q(account_created_at__gte=since) | Q(accepted_at__gte=since)
               | Q(answered_at__gte=since) | Q(revoked_at__gte=since) | Q(expired_at__gte=since))
    return await (Invitation.filter(firm_id=company_id).filter(changed).order_by("id")
                  .prefetch_related("firm", "client_company"))
