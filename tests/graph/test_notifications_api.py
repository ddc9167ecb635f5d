"""The bell over real HTTP: newest first with cursors, unread count, marking read (only one's own),
and each notification's invitation and company."""

import pytest

from bench.sql_statements import counting_statements
from tests.support.graphql import GraphQLError
from tests.support.invitations import SIGN_UP, link_token, ready_firm, row, send

FEED = """query($unread: Boolean, $first: Int, $after: String) { notifications(unreadOnly: $unread, first: $first, after: $after) {
  totalCount pageInfo { hasNextPage endCursor }
  edges { cursor node { id kind title body createdAt readAt invitation { id status accountingFirm { id } } company { id cui } } } } }"""
COUNT = "{ unreadNotificationCount }"
MARK = "mutation($ids: [ID!]!) { markNotificationsRead(ids: $ids) }"
MARK_ALL = "mutation { markAllNotificationsRead }"


async def signed_up_clients(service, firm, n):
    sent = (await send(service, firm, [row(c, i) for i, c in enumerate(firm.cuis[:n])]))["invitations"]
    for inv in sent:
        await service.client().execute(SIGN_UP, input={"token": await link_token(inv["id"]), "password": "parola-clientului-1"})
    return sent


async def test_feed_pages_and_marks_read(service, db):
    firm = await ready_firm(service)
    sent = await signed_up_clients(service, firm, 3)
    bell = service.client(firm.token, lang="ro")
    assert (await bell.execute(COUNT))["unreadNotificationCount"] == 3
    page1 = (await bell.execute(FEED, first=2))["notifications"]
    assert page1["totalCount"] == 3 and page1["pageInfo"]["hasNextPage"] is True
    nodes = [e["node"] for e in page1["edges"]]
    assert [n["kind"] for n in nodes] == ["CLIENT_ACCOUNT_CREATED"] * 2
    assert [n["invitation"]["id"] for n in nodes] == [sent[2]["id"], sent[1]["id"]]  # newest first
    assert nodes[0]["invitation"]["status"] == "ACCOUNT_CREATED" and nodes[0]["company"]["cui"] == sent[2]["cui"]
    assert nodes[0]["title"] == "Client înscris"
    page2 = (await bell.execute(FEED, first=2, after=page1["pageInfo"]["endCursor"]))["notifications"]
    assert [e["node"]["invitation"]["id"] for e in page2["edges"]] == [sent[0]["id"]]
    assert (await bell.execute(MARK, ids=[nodes[0]["id"]]))["markNotificationsRead"] == 1
    assert (await bell.execute(MARK, ids=[nodes[0]["id"]]))["markNotificationsRead"] == 0
    unread = (await bell.execute(FEED, unread=True))["notifications"]
    assert unread["totalCount"] == 2 and nodes[0]["id"] not in [e["node"]["id"] for e in unread["edges"]]
    # Someone else's ids change nothing.
    stranger = await ready_firm(service, key="medium")
    assert (await service.client(stranger.token).execute(MARK, ids=[n["id"] for n in nodes]))["markNotificationsRead"] == 0
    assert (await bell.execute(MARK_ALL))["markAllNotificationsRead"] == 2
    assert (await bell.execute(COUNT))["unreadNotificationCount"] == 0


async def test_feed_loads_related_rows_without_n_plus_one(service, db):
    firm = await ready_firm(service, count=5)
    await signed_up_clients(service, firm, 1)
    bell = service.client(firm.token)
    with counting_statements() as one:
        await bell.execute(FEED)
    await signed_up_clients(service, firm, 5)  # four more (the first CUI is already invited)
    with counting_statements() as five:
        data = await bell.execute(FEED)
    assert data["notifications"]["totalCount"] == 5
    assert five.count == one.count


async def test_bell_needs_a_session(service):
    for query in (FEED, COUNT):
        with pytest.raises(GraphQLError) as err:
            await service.client().execute(query)
        assert err.value.codes == ["UNAUTHENTICATED"]
