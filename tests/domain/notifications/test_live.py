"""The bell's coalesced loads answer each subscription exactly what its own query would."""

from __future__ import annotations

import asyncio

import pytest

from domain.accounts.models import User
from domain.kernel.events import unit_of_work
from domain.notifications import live
from domain.notifications.models import Notification, NotificationKind
from domain.notifications.service import Text, mark_read, notify


async def users(count: int) -> list[int]:
    return [(await User.create(email=f"live{i}@example.ro", name=f"Live {i}", password_hash="-")).id for i in range(count)]


async def ring(user_ids: list[int]) -> list[int]:
    async with unit_of_work():
        rows = await notify(user_ids=user_ids, kind=NotificationKind.COLLABORATION_INVITATION,
                            text=Text(ro=("t", "b"), en=("t", "b")))
    return [row.id for row in rows]


@pytest.mark.parametrize("page", [3, 500])
async def test_coalesced_pages_equal_each_users_own_query(db, monkeypatch, page):
    monkeypatch.setattr(live, "REPLAY_PAGE", page)
    a, b, c = await users(3)
    for _ in range(10):  # interleaved ids, so one user's page is spread among the others' rows
        await ring([a, b, c])
    ids_a = list(await Notification.filter(user_id=a).order_by("id").values_list("id", flat=True))
    ids_c = list(await Notification.filter(user_id=c).order_by("id").values_list("id", flat=True))
    requests = [live.NotificationsRequest(a, 0),                       # a replay from the start
                live.NotificationsRequest(b, ids_a[2]),                # live, near the head
                live.NotificationsRequest(a, ids_a[3], also_id=ids_a[1]),  # a late commit below the cursor
                live.NotificationsRequest(c, 10 ** 9),                 # nothing after the cursor
                live.NotificationsRequest(c, 0, also_id=10 ** 9),      # a late id that is not there
                # with a small page the first statement stops (at its limit) before these rows:
                live.NotificationsRequest(c, ids_c[7])]
    answers = await live.notifications_after_each(requests)
    for request, answer in zip(requests, answers):
        own = await live.notifications_after(request.user_id, request.after_id, also_id=request.also_id, limit=page)
        assert [row.id for row in answer] == [row.id for row in own], request
        assert all(row.user_id == request.user_id for row in answer)
    assert len(answers[0]) == min(page, 10)
    assert len(answers[-1]) == 2


async def test_concurrent_loads_share_one_statement_and_stay_fresh(db):
    ids = await users(30)
    await ring(ids)
    await mark_read(user_id=ids[0])
    counts = await asyncio.gather(*(live.fresh_unread_count(user_id) for user_id in ids))
    assert counts == [0] + [1] * 29
    pages = await asyncio.gather(*(live.fresh_notifications_after(user_id, 0) for user_id in ids))
    assert [[row.user_id for row in page] for page in pages] == [[user_id] for user_id in ids]
    await ring(ids[:1])  # nothing is cached between batches
    assert await live.fresh_unread_count(ids[0]) == 1
    assert len(await live.fresh_notifications_after(ids[0], 0)) == 2


async def test_loaded_rows_come_with_their_company_and_invitation(db):
    from datetime import timedelta

    from domain.companies.models import Company
    from domain.invitations.models import Invitation, InvitationStatus
    from domain.kernel.clock import now

    [user_id] = await users(1)
    firm = await Company.create(cui="14399840", name="FIRMA CONTABILA SRL", provides_accounting_services=True)
    client = await Company.create(cui="18547290", name="CLIENT SRL")
    invitation = await Invitation.create(firm=firm, cui=client.cui, company_name=client.name, representative_name="Ana Pop",
                                         email="ana@example.ro", phone="+40722000001", status=InvitationStatus.ACCEPTED,
                                         token_hash="ab" * 32, sent_at=now(), expires_at=now() + timedelta(days=15),
                                         accepted_at=now(), client_company=client)
    async with unit_of_work():
        await notify(user_ids=[user_id], kind=NotificationKind.INVITATION_ACCEPTED, text=Text(ro=("t", "b"), en=("t", "b")),
                     company_id=client.id, invitation_id=invitation.id)
        await notify(user_ids=[user_id], kind=NotificationKind.PORTFOLIO_DISCOVERED, text=Text(ro=("t", "b"), en=("t", "b")))
    [[with_links, without]] = await live.notifications_after_each([live.NotificationsRequest(user_id, 0)])
    own = await live.notifications_after(user_id, 0)
    for loaded, expected in zip((with_links, without), own):
        assert {f: getattr(loaded, f) for f in Notification._meta.db_fields} == {f: getattr(expected, f) for f in Notification._meta.db_fields}
    assert with_links.company.name == "CLIENT SRL"
    assert with_links.invitation.id == invitation.id and with_links.invitation.status == InvitationStatus.ACCEPTED
    assert (with_links.invitation.firm.name, with_links.invitation.client_company.cui) == ("FIRMA CONTABILA SRL", client.cui)
    assert without.company is None and without.invitation is None
