"""The invitation journey heard live: an invitee who already has an account sees the invitation in
their bell the moment the firm sends it and takes it from there; the firm's bell and invitation
table hear the acceptance."""

from __future__ import annotations

import asyncio

from domain.notifications.models import Notification
from tests.support.bell import NOTIFICATION_ADDED
from tests.support.factories import api_user
from tests.support.graphql import GraphQLError
from tests.support.invitations import INVITATION_FIELDS, RESPOND, ready_firm, row, send
from tests.support.ws import WsClient

INVITATIONS = """subscription($companyId: ID!) { invitationUpdated(companyId: $companyId) { id status } }"""
BELL = """subscription($after: ID) { notificationAdded(after: $after) { id kind title body company { id } invitation { id status } } }"""
CLAIM_BY_ID = f"""mutation($id: ID!) {{ claimInvitationById(id: $id) {{ invitation {{ {INVITATION_FIELDS} }} errors {{ code field message }} }} }}"""


async def test_the_clients_bell_rings_when_the_firm_sends_and_the_firms_when_the_client_accepts(service, db):
    firm = await ready_firm(service, count=2)
    client_token, client = await api_user(service, name="Andrei Pop")
    firm_ws = await WsClient.connect(service.graphql_url, firm.token)
    firm_bell = await firm_ws.subscribe(NOTIFICATION_ADDED)
    firm_table = await firm_ws.subscribe(INVITATIONS, companyId=firm.id)
    client_ws = await WsClient.connect(service.graphql_url, client_token)
    client_bell = await client_ws.subscribe(BELL)
    await asyncio.sleep(0.2)

    # One invitee has an account (the client), the other not yet.
    sent = await send(service, firm, [row(firm.cuis[0], email=client["email"].upper()), row(firm.cuis[1], n=1)])
    assert sent["errors"] == []
    invitation_id = sent["invitations"][0]["id"]
    rang = (await client_bell.next())["notificationAdded"]
    assert rang["kind"] == "COLLABORATION_INVITATION"
    assert rang["invitation"] == {"id": invitation_id, "status": "PENDING"}
    assert rang["company"] == {"id": firm.id}
    assert firm.cuis[0] in rang["body"]
    assert await client_bell.nothing_within(0.3)  # nothing about the other invitee

    claimed = (await service.client(client_token).execute(CLAIM_BY_ID, id=invitation_id))["claimInvitationById"]
    assert claimed["errors"] == []
    assert claimed["invitation"]["status"] == "ACCOUNT_CREATED"
    assert (await firm_bell.next())["notificationAdded"]["kind"] == "CLIENT_ACCOUNT_CREATED"
    assert await client_bell.nothing_within(0.3)  # the bell already holds this invitation: no second ring

    answered = await service.client(client_token).execute(RESPOND, id=invitation_id, accept=True)
    assert answered["respondToCollaboration"]["errors"] == []
    heard = (await firm_bell.next())["notificationAdded"]
    assert heard["kind"] == "INVITATION_ACCEPTED"
    statuses = [(await firm_table.next())["invitationUpdated"]["status"]]
    while statuses[-1] != "ACCEPTED" and len(statuses) < 6:
        statuses.append((await firm_table.next())["invitationUpdated"]["status"])
    assert statuses[-1] == "ACCEPTED"
    assert await Notification.filter(user_id=int(client["id"]), kind="COLLABORATION_INVITATION").count() == 1
    for ws in (firm_ws, client_ws):
        await ws.close()


async def test_only_the_invited_address_can_claim_by_id(service, db):
    firm = await ready_firm(service, count=1)
    client_token, client = await api_user(service)
    other_token, _ = await api_user(service)
    sent = await send(service, firm, [row(firm.cuis[0], email=client["email"])])
    invitation_id = sent["invitations"][0]["id"]
    for token, bad_id in ((other_token, invitation_id), (client_token, "999999"), (client_token, "x")):
        try:
            await service.client(token).execute(CLAIM_BY_ID, id=bad_id)
        except GraphQLError as exc:
            assert exc.codes == ["NOT_FOUND"]
        else:
            raise AssertionError(f"claimInvitationById({bad_id}) should be NOT_FOUND")
    claimed = (await service.client(client_token).execute(CLAIM_BY_ID, id=invitation_id))["claimInvitationById"]
    assert claimed["errors"] == [] and claimed["invitation"]["status"] == "ACCOUNT_CREATED"
    again = (await service.client(client_token).execute(CLAIM_BY_ID, id=invitation_id))["claimInvitationById"]
    assert [e["code"] for e in again["errors"]] == ["INVITATION_ALREADY_USED"]
