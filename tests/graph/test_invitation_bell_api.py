"""The invitation journey heard live: the client's bell rings when the invitation reaches their
account, the firm's bell and invitation table when the client accepts."""

from __future__ import annotations

import asyncio

from tests.support.bell import NOTIFICATION_ADDED
from tests.support.factories import api_user
from tests.support.invitations import CLAIM, RESPOND, link_token, ready_firm, row, send
from tests.support.ws import WsClient

INVITATIONS = """subscription($companyId: ID!) { invitationUpdated(companyId: $companyId) { id status } }"""


async def test_the_clients_bell_rings_for_the_invitation_and_the_firms_for_the_acceptance(service, db):
    firm = await ready_firm(service, count=1)
    client_token, client = await api_user(service, name="Andrei Pop")
    firm_ws = await WsClient.connect(service.graphql_url, firm.token)
    firm_bell = await firm_ws.subscribe(NOTIFICATION_ADDED)
    firm_table = await firm_ws.subscribe(INVITATIONS, companyId=firm.id)
    client_ws = await WsClient.connect(service.graphql_url, client_token)
    client_bell = await client_ws.subscribe(NOTIFICATION_ADDED)
    await asyncio.sleep(0.2)

    sent = await send(service, firm, [row(firm.cuis[0], email=client["email"])])
    assert sent["errors"] == []
    invitation_id = sent["invitations"][0]["id"]
    assert (await firm_table.next())["invitationUpdated"] == {"id": invitation_id, "status": "PENDING"}

    # The invitation reaches the client's account through the link in the e-mail.
    claimed = await service.client(client_token).execute(CLAIM, token=await link_token(invitation_id))
    assert claimed["claimInvitation"]["errors"] == []
    rang = (await client_bell.next())["notificationAdded"]
    assert rang["kind"] == "COLLABORATION_INVITATION"
    assert (await firm_bell.next())["notificationAdded"]["kind"] == "CLIENT_ACCOUNT_CREATED"

    answered = await service.client(client_token).execute(RESPOND, id=invitation_id, accept=True)
    assert answered["respondToCollaboration"]["errors"] == []
    heard = (await firm_bell.next())["notificationAdded"]
    assert heard["kind"] == "INVITATION_ACCEPTED"
    statuses = [(await firm_table.next())["invitationUpdated"]["status"]]
    while statuses[-1] != "ACCEPTED" and len(statuses) < 5:
        statuses.append((await firm_table.next())["invitationUpdated"]["status"])
    assert statuses[-1] == "ACCEPTED"
    for ws in (firm_ws, client_ws):
        await ws.close()
