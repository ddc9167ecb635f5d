"""The GraphQL endpoint's guard rails: health, readiness, limits, CORS, error masking, protocols."""

import json

import httpx
import pytest
import websockets

from graph.schema import MAX_ALIASES, MAX_DEPTH


async def test_health_and_readiness(service):
    async with httpx.AsyncClient() as http:
        assert (await http.get(f"{service.url}/healthz")).json() == {"status": "ok"}
        ready = await http.get(f"{service.url}/readyz")
        assert ready.status_code == 200 and ready.json() == {"status": "ok"}


async def test_readiness_reports_pending_migrations(start_service, tmp_path):
    empty = f"sqlite://{tmp_path / 'empty.sqlite3'}"
    service = await start_service(database_url=empty)
    async with httpx.AsyncClient() as http:
        ready = await http.get(f"{service.url}/readyz")
    assert ready.status_code == 503 and ready.json()["pendingMigrations"]


async def test_too_deep_query_is_refused(service):
    deep = "{ me " + "{ id " * (MAX_DEPTH + 1) + "}" * (MAX_DEPTH + 1) + " }"
    body = await service.client().raw(deep)
    assert body.get("data") is None
    assert any("exceeds maximum operation depth" in e["message"] for e in body["errors"])
    assert (await service.client().raw("{ me { id } }"))["data"] == {"me": None}


async def test_too_many_aliases_and_tokens_are_refused(service):
    aliases = "{ " + " ".join(f"a{i}: me {{ id }}" for i in range(MAX_ALIASES + 1)) + " }"
    body = await service.client().raw(aliases)
    assert body.get("data") is None and "aliases" in body["errors"][0]["message"].lower()
    huge = "{ me { " + " ".join(["id"] * 3000) + " } }"
    body = await service.client().raw(huge)
    assert body.get("data") is None and "token" in body["errors"][0]["message"].lower()


async def test_internal_errors_are_masked(service, caplog):
    service.services.registry_lookups = None  # any resolver touching it now fails unexpectedly
    from tests.support.factories import api_user

    token, _ = await api_user(service)
    body = await service.client(token).raw('{ registryLookup(cui: "18547290") { name } }')
    error = body["errors"][0]
    assert error["message"] == "Internal server error." and error["extensions"] == {"code": "INTERNAL_SERVER_ERROR"}
    assert "Traceback" not in json.dumps(body) and "NoneType" not in json.dumps(body)


async def test_cors_only_for_allowed_origins(start_service):
    service = await start_service(allowed_origins=("https://app.portofoliu.ro",))
    async with httpx.AsyncClient() as http:
        ok = await http.options(f"{service.graphql_url}", headers={"Origin": "https://app.portofoliu.ro", "Access-Control-Request-Method": "POST"})
        bad = await http.options(f"{service.graphql_url}", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
    assert ok.headers.get("access-control-allow-origin") == "https://app.portofoliu.ro"
    assert "access-control-allow-origin" not in bad.headers


async def test_websocket_speaks_only_graphql_transport_ws(service):
    url = service.graphql_url.replace("http://", "ws://")
    # The legacy `graphql-ws` protocol is closed at once (it had an auth bypass).
    with pytest.raises((websockets.exceptions.InvalidHandshake, websockets.exceptions.ConnectionClosed)) as refused:
        async with websockets.connect(url, subprotocols=["graphql-ws"]) as ws:
            await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
            await ws.recv()
    if isinstance(refused.value, websockets.exceptions.ConnectionClosed):
        assert refused.value.rcvd.code == 4406


async def test_websocket_rejects_bad_token_in_connection_init(service):
    url = service.graphql_url.replace("http://", "ws://")
    async with websockets.connect(url, subprotocols=["graphql-transport-ws"]) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {"authorization": "Bearer nope"}}))
        with pytest.raises(websockets.exceptions.ConnectionClosed) as closed:
            await ws.recv()
    assert closed.value.rcvd.code == 4403


async def test_websocket_accepts_a_session(service):
    from tests.support.factories import api_user

    token, _ = await api_user(service)
    url = service.graphql_url.replace("http://", "ws://")
    async with websockets.connect(url, subprotocols=["graphql-transport-ws"]) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
