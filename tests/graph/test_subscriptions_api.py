"""Subscriptions over real WebSockets (graphql-transport-ws): the bell, replay by cursor, company
streams, and who is refused."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bench.sql_statements import counting_statements
from domain.accounts.models import User
from domain.accounts.service import open_session
from domain.invitations.models import Invitation
from domain.kernel.clock import now
from domain.kernel.events import company_channel, emit, unit_of_work
from domain.notifications.models import NotificationKind
from domain.notifications.service import Text, mark_read, notify
from domain.portfolio.models import DiscoveryRun, DiscoveryStatus
from tests.support.bell import NOTIFICATION_ADDED, UNREAD_COUNT, ring
from tests.support.factories import api_company, api_user, holder
from tests.support.ws import ConnectionRejected, SubscriptionError, WsClient

DISCOVERY = """subscription($companyId: ID!) { discoveryProgress(companyId: $companyId) { id status total checked found } }"""
INVITATIONS = """subscription($companyId: ID!) { invitationUpdated(companyId: $companyId) { id status email accountingFirm { id } } }"""
SIGN_OUT = "mutation { signOut }"


async def test_the_bell_receives_a_notification_the_moment_it_commits(service, db):
    token, user = await api_user(service)
    ws = await WsClient.connect(service.graphql_url, token)
    bell = await ws.subscribe(NOTIFICATION_ADDED)
    await asyncio.sleep(0.1)  # the subscription is set up (no cursor: only what comes after it)
    first = await ring(user["id"], "Prima")
    data = await bell.next()
    assert data["notificationAdded"]["id"] == str(first)
    assert data["notificationAdded"]["title"] == "Prima"
    assert data["notificationAdded"]["kind"] == "COLLABORATION_INVITATION"
    await ws.close()


async def test_a_client_reconnecting_with_its_cursor_gets_every_missed_notification_once(service, db):
    token, user = await api_user(service)
    before = await ring(user["id"], "old")
    ws = await WsClient.connect(service.graphql_url, token)
    bell = await ws.subscribe(NOTIFICATION_ADDED, after=str(before))
    await asyncio.sleep(0.1)
    seen = [int((await bell.next())["notificationAdded"]["id"]) for _ in [await ring(user["id"], "n1")]]
    await ws.close()

    missed = [await ring(user["id"], f"missed {i}") for i in range(3)]  # while offline

    ws = await WsClient.connect(service.graphql_url, token)
    bell = await ws.subscribe(NOTIFICATION_ADDED, after=str(seen[-1]))
    replayed = [int((await bell.next())["notificationAdded"]["id"]) for _ in missed]
    assert replayed == missed
    live = await ring(user["id"], "live")
    assert int((await bell.next())["notificationAdded"]["id"]) == live
    assert await bell.nothing_within(0.3), "a notification was delivered twice"
    await ws.close()


async def test_the_unread_count_follows_new_and_read_notifications(service, db):
    token, user = await api_user(service)
    await ring(user["id"])
    ws = await WsClient.connect(service.graphql_url, token)
    counter = await ws.subscribe(UNREAD_COUNT)
    assert (await counter.next())["unreadNotificationCountChanged"] == 1
    await ring(user["id"])
    assert (await counter.next())["unreadNotificationCountChanged"] == 2
    await mark_read(user_id=int(user["id"]))
    assert (await counter.next())["unreadNotificationCountChanged"] == 0
    await ws.close()


async def test_a_bad_token_is_refused_with_4403(service):
    with pytest.raises(ConnectionRejected) as refused:
        await WsClient.connect(service.graphql_url, "not-a-session")
    assert refused.value.code == 4403
    with pytest.raises(ConnectionRejected) as refused:
        await WsClient.connect(service.graphql_url)
    assert refused.value.code == 4403


async def test_a_company_the_viewer_cannot_see_is_not_found(service):
    owner_token, _ = await api_user(service)
    firm = await api_company(service, owner_token, holder("small").firm_cui, accounting=True)
    stranger_token, _ = await api_user(service)
    ws = await WsClient.connect(service.graphql_url, stranger_token)
    for query in (DISCOVERY, INVITATIONS):
        subscription = await ws.subscribe(query, companyId=firm["id"])
        with pytest.raises(SubscriptionError) as refused:
            await subscription.next()
        assert refused.value.codes == ["NOT_FOUND"]
    await ws.close()


async def test_signing_out_closes_the_sessions_open_sockets(service):
    token, _ = await api_user(service)
    ws = await WsClient.connect(service.graphql_url, token)
    await ws.subscribe(NOTIFICATION_ADDED)
    other_token, _ = await api_user(service)
    bystander = await WsClient.connect(service.graphql_url, other_token)
    assert await service.client(token).execute(SIGN_OUT) == {"signOut": True}
    closed = await ws.wait_closed()
    assert (closed.code, closed.reason) == (4401, "Session revoked")
    assert not bystander.closed.done()
    with pytest.raises(ConnectionRejected):
        await WsClient.connect(service.graphql_url, token)
    await bystander.close()


async def test_discovery_progress_streams_the_firms_run(service, db):
    token, _ = await api_user(service)
    firm = await api_company(service, token, holder("small").firm_cui, accounting=True)
    ws = await WsClient.connect(service.graphql_url, token)
    progress = await ws.subscribe(DISCOVERY, companyId=firm["id"])
    await asyncio.sleep(0.1)
    async with unit_of_work():
        run = await DiscoveryRun.create(firm_id=int(firm["id"]), total=10)
        emit(company_channel(int(firm["id"])), "discovery", id=run.id)
    assert (await progress.next())["discoveryProgress"] == {"id": str(run.id), "status": "RUNNING", "total": 10, "checked": 0, "found": 0}
    async with unit_of_work():
        await DiscoveryRun.filter(id=run.id).update(checked=10, found=4, status=DiscoveryStatus.SUCCEEDED)
        emit(company_channel(int(firm["id"])), "discovery", id=run.id)
    assert (await progress.next())["discoveryProgress"]["status"] == "SUCCEEDED"
    await ws.close()


async def test_invitation_updates_reach_the_firms_table(service, db):
    token, _ = await api_user(service)
    firm = await api_company(service, token, holder("small").firm_cui, accounting=True)
    ws = await WsClient.connect(service.graphql_url, token)
    table = await ws.subscribe(INVITATIONS, companyId=firm["id"])
    await asyncio.sleep(0.1)
    async with unit_of_work():
        invitation = await Invitation.create(firm_id=int(firm["id"]), cui="18547290", company_name="Client SRL",
                                             representative_name="Ana Pop", email="ana@client.ro", phone="+40722000000",
                                             token_hash="h" * 64, sent_at=now(), expires_at=now() + timedelta(days=15))
        emit(company_channel(int(firm["id"])), "invitation", id=invitation.id)
    data = (await table.next())["invitationUpdated"]
    assert data == {"id": str(invitation.id), "status": "PENDING", "email": "ana@client.ro", "accountingFirm": {"id": firm["id"]}}
    await ws.close()


async def test_more_sockets_than_allowed_per_account_are_closed_with_4429(start_service):
    service = await start_service(ws_max_connections_per_user=2)
    token, _ = await api_user(service)
    open_ = [await WsClient.connect(service.graphql_url, token) for _ in range(2)]
    extra = await WsClient.connect(service.graphql_url, token)
    closed = await extra.wait_closed()
    assert closed.code == 4429
    await open_[0].close()
    await asyncio.sleep(0.1)
    again = await WsClient.connect(service.graphql_url, token)  # a slot was freed
    assert not (await asyncio.wait({again.closed}, timeout=0.3))[0]
    for ws in (open_[1], again):
        await ws.close()


async def test_one_commit_to_many_bells_costs_a_few_statements_not_one_per_subscriber(service, db):
    subscribers = 30
    users = [await User.create(email=f"many{i}@example.ro", name=f"Many {i}", password_hash="-") for i in range(subscribers)]
    sockets = [await WsClient.connect(service.graphql_url, (await open_session(user, ttl_seconds=600)).token) for user in users]
    bells = [await ws.subscribe(NOTIFICATION_ADDED) for ws in sockets]
    badges = [await ws.subscribe(UNREAD_COUNT) for ws in sockets]
    for badge in badges:
        assert (await badge.next())["unreadNotificationCountChanged"] == 0
    await asyncio.sleep(0.2)  # every bell has read its starting cursor
    with counting_statements() as counted:
        async with unit_of_work():
            rows = await notify(user_ids=[user.id for user in users], kind=NotificationKind.COLLABORATION_INVITATION,
                                text=Text(ro=("Toți", "Corp"), en=("All", "Body")))
        own = {row.user_id: row.id for row in rows}
        received = [int((await bell.next())["notificationAdded"]["id"]) for bell in bells]
        counts = [(await badge.next())["unreadNotificationCountChanged"] for badge in badges]
    assert received == [own[user.id] for user in users]  # each bell exactly its own notification
    assert counts == [1] * subscribers
    reads = [sql for sql in counted.statements if sql.lstrip().upper().startswith("SELECT")]
    # notify reads the recipients' locales once; the 60 subscriptions' loads share a few statements
    assert len(reads) <= subscribers // 4, reads
    for bell in bells:
        assert await bell.nothing_within(0.05), "a notification was delivered twice"
    for ws in sockets:
        await ws.close()
