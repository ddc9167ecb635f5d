"""The service's WebSocket edge: allowed origins, and closing sockets with a reason on shutdown."""

from __future__ import annotations

from dataclasses import replace

import pytest
from websockets.exceptions import InvalidStatus

from domain.accounts import service as accounts
from portofoliu.app import create_app
from portofoliu.server import Server
from tests.support.bell import NOTIFICATION_ADDED
from tests.support.factories import api_user
from tests.support.servers import app_factory, serve
from tests.support.ws import WsClient


async def test_a_page_on_a_foreign_origin_cannot_open_a_socket(start_service):
    service = await start_service(allowed_origins=("https://app.portofoliu.ro",))
    token, _ = await api_user(service)
    with pytest.raises(InvalidStatus):
        await WsClient.connect(service.graphql_url, token, origin="https://evil.example")
    allowed = await WsClient.connect(service.graphql_url, token, origin="https://app.portofoliu.ro")
    await allowed.subscribe(NOTIFICATION_ADDED)
    await allowed.close()


async def test_shutdown_closes_open_sockets_with_1001_and_a_reason(settings, db):
    # The server is started here (not by the fixture) so the test can stop it.
    signed_in = await accounts.sign_up(email="shutdown@example.ro", password="parola-buna-2024", name="Ana Pop",
                                       phone=None, locale="ro", ttl_seconds=3600)
    token = signed_in.token

    @app_factory
    def build(base_url: str):
        return create_app(replace(settings), self_url=base_url, migrate=False)

    async with serve(build, server_class=Server) as url:
        ws = await WsClient.connect(url + "/graphql", token)
        await ws.subscribe(NOTIFICATION_ADDED)
    closed = await ws.wait_closed()
    assert (closed.code, closed.reason) == (1001, "server shutting down")


async def test_every_message_is_a_text_frame(service):
    """graphql-transport-ws is a text protocol: a browser's graphql-ws cannot read binary frames."""
    import json

    from websockets.asyncio.client import connect

    token, _ = await api_user(service)
    url = service.graphql_url.replace("http://", "ws://")
    async with connect(url, subprotocols=["graphql-transport-ws"]) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}))
        ack = await ws.recv()
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": "subscription { unreadNotificationCountChanged }"}}))
        first = await ws.recv()
    assert isinstance(ack, str) and json.loads(ack)["type"] == "connection_ack"
    assert isinstance(first, str) and json.loads(first)["payload"] == {"data": {"unreadNotificationCountChanged": 0}}
