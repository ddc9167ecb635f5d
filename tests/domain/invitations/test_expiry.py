"""The expiry sweep: set-based closing in chunks, the live invitation table hears of it, and two
sweeps at once (PostgreSQL, real concurrency) close and notify each invitation once."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from domain.accounts.models import User
from domain.companies.models import Company, MemberRole, Membership
from domain.invitations import expiry
from domain.invitations.models import Invitation, InvitationEvent, InvitationStatus
from domain.kernel.clock import now
from domain.kernel.events import unit_of_work
from domain.notifications.models import Notification
from domain.portfolio.models import PortfolioEntry, PortfolioStatus
from tests.support.invitations import ready_firm, row, send
from tests.support.ws import WsClient

TABLE = """subscription($companyId: ID!) { invitationUpdated(companyId: $companyId) { id status } }"""


async def due_invitations(firms: int, per_firm: int) -> list[int]:
    """`per_firm` due invitations for each of `firms` firms (one owner each), with portfolio entries."""
    ids = []
    async with unit_of_work():
        for f in range(firms):
            owner = await User.create(email=f"owner{f}@firm.ro", name=f"Owner {f}", password_hash="-")
            firm = await Company.create(cui=str(1_000_000 + f), name=f"FIRMA {f} SRL", provides_accounting_services=True)
            await Membership.create(user=owner, company=firm, role=MemberRole.OWNER)
            for n in range(per_firm):
                cui = str(20_000_000 + f * 1000 + n)
                inv = await Invitation.create(firm=firm, cui=cui, company_name=f"CLIENT {n}", representative_name="Ana", email=f"a{n}@c.ro",
                                              phone="+40722000000", token_hash=f"{f:04d}{n:060d}", open_key=f"{firm.id}:{cui}",
                                              sent_at=now() - timedelta(days=16), expires_at=now() - timedelta(seconds=n + 1))
                await PortfolioEntry.create(firm=firm, cui=cui, name=f"CLIENT {n}", status=PortfolioStatus.INVITED, invitation=inv)
                ids.append(inv.id)
    return ids


async def test_a_sweep_larger_than_a_chunk_closes_everything_once(db, monkeypatch):
    monkeypatch.setattr(expiry, "CHUNK", 7)
    ids = await due_invitations(firms=2, per_firm=10)
    assert await expiry.expire_overdue() == 20
    assert await expiry.expire_overdue() == 0
    assert {i.status for i in await Invitation.filter(id__in=ids)} == {InvitationStatus.EXPIRED}
    assert await Invitation.filter(id__in=ids, open_key__isnull=False).count() == 0
    assert sorted(await InvitationEvent.filter(action="EXPIRED").values_list("invitation_id", flat=True)) == sorted(ids)
    assert {e.status for e in await PortfolioEntry.all()} == {PortfolioStatus.EXPIRED}
    counts = [n.data["count"] for n in await Notification.filter(kind="INVITATION_EXPIRED")]
    assert sum(counts) == 20  # every invitation told once, grouped per firm and chunk


async def test_one_firm_only_leaves_the_others_open(db):
    ids = await due_invitations(firms=2, per_firm=3)
    first_firm = (await Invitation.get(id=ids[0])).firm_id
    assert await expiry.expire_overdue(firm_id=first_firm) == 3
    assert await Invitation.filter(status=InvitationStatus.PENDING).count() == 3


async def test_the_live_invitation_table_shows_the_swept_invitations(service, db):
    firm = await ready_firm(service, count=3)
    sent = (await send(service, firm, [row(c, n) for n, c in enumerate(firm.cuis[:3])]))["invitations"]
    ws = await WsClient.connect(service.graphql_url, firm.token)
    table = await ws.subscribe(TABLE, companyId=firm.id)
    await asyncio.sleep(0.2)
    await Invitation.filter(id__in=[int(s["id"]) for s in sent]).update(expires_at=now() - timedelta(seconds=1))
    assert await expiry.expire_overdue() == 3
    seen = {}
    while len(seen) < 3:
        update = (await table.next())["invitationUpdated"]
        seen[update["id"]] = update["status"]
    assert seen == {s["id"]: "EXPIRED" for s in sent}
    await ws.close()


@pytest.mark.postgres
async def test_two_sweeps_at_once_close_and_trail_each_invitation_once(db, monkeypatch):
    monkeypatch.setattr(expiry, "CHUNK", 50)
    ids = await due_invitations(firms=3, per_firm=100)
    closed = await asyncio.gather(*(expiry.expire_overdue() for _ in range(4)))
    assert sum(closed) == 300
    assert sorted(await InvitationEvent.filter(action="EXPIRED").values_list("invitation_id", flat=True)) == sorted(ids)
    assert sum(n.data["count"] for n in await Notification.filter(kind="INVITATION_EXPIRED")) == 300
