"""Each input that once reached an internal error is now refused at the edge with the error model:
a top-level error with `extensions.code`, or a payload error, never INTERNAL_SERVER_ERROR or a 5xx."""

from __future__ import annotations

import base64
import json
import logging

import httpx
import pytest

from domain.accounts.models import Session
from graph.schema.inputs import MAX_LIST_ITEMS, MAX_STRING_LENGTH
from tests.support.factories import api_company, api_user, holder
from tests.support.ws import SubscriptionError, WsClient

BEYOND_64_BITS = "9" * 25
COMPANY = "query($id: ID!) { company(id: $id) { id } }"
MARK_READ = "mutation($ids: [ID!]!) { markNotificationsRead(ids: $ids) }"
SIGN_UP = "mutation($input: SignUpInput!) { signUp(input: $input) { token errors { code field } } }"
SIGN_IN = "mutation($email: String!) { signIn(email: $email, password: \"parola-buna-2024\") { token errors { code } } }"


def codes(body: dict) -> list[str | None]:
    return [(e.get("extensions") or {}).get("code") for e in body.get("errors") or []]


@pytest.fixture
async def signed_in(service):
    token, user = await api_user(service)
    return service.client(token)


@pytest.mark.parametrize("bad_id", [BEYOND_64_BITS, "18446744073709551616", "9223372036854775808", "²", "١٢", "12 ", "-1", "1e3", ""])
async def test_an_id_that_names_nothing_is_not_found(signed_in, bad_id):
    as_literal = await signed_in.raw(f'{{ company(id: "{bad_id}") {{ id }} }}')
    as_variable = await signed_in.raw(COMPANY, {"id": bad_id})
    assert codes(as_literal) == ["NOT_FOUND"] and codes(as_variable) == ["NOT_FOUND"]


async def test_the_largest_64_bit_id_is_simply_not_found(signed_in):
    body = await signed_in.raw(COMPANY, {"id": "9223372036854775807"})
    assert codes(body) == ["NOT_FOUND"]
    body = await signed_in.raw("{ company(id: 9223372036854775807) { id } }")
    assert codes(body) == ["NOT_FOUND"]


async def test_superscript_digits_in_ids_to_mark_read(signed_in):
    assert codes(await signed_in.raw('mutation { markNotificationsRead(ids: ["²"]) }')) == ["NOT_FOUND"]
    assert codes(await signed_in.raw(MARK_READ, {"ids": ["1", "³"]})) == ["NOT_FOUND"]
    assert (await signed_in.execute(MARK_READ, ids=["1", "2"]))["markNotificationsRead"] == 0


async def test_cursors_beyond_64_bits_restart_from_the_top(signed_in):
    for kind, query in (("notification", "query($after: String) { notifications(after: $after) { totalCount } }"),
                        ("invitation", "query($after: String) { invitations(companyId: \"1\", after: $after) { totalCount } }")):
        cursor = base64.urlsafe_b64encode(f"{kind}:{BEYOND_64_BITS}".encode()).decode().rstrip("=")
        body = await signed_in.raw(query, {"after": cursor})
        assert "INTERNAL_SERVER_ERROR" not in codes(body), body
    body = await signed_in.raw("query($after: String) { notifications(after: $after) { totalCount } }",
                               {"after": base64.urlsafe_b64encode("notification:²".encode()).decode()})
    assert body == {"data": {"notifications": {"totalCount": 0}}}


async def test_subscriptions_refuse_ids_beyond_64_bits(service):
    token, _ = await api_user(service)
    ws = await WsClient.connect(service.graphql_url, token)
    try:
        for query, variables in (("subscription($after: ID) { notificationAdded(after: $after) { id } }", {"after": BEYOND_64_BITS}),
                                 ("subscription($c: ID!) { discoveryProgress(companyId: $c) { id } }", {"c": BEYOND_64_BITS}),
                                 ("subscription($c: ID!) { invitationUpdated(companyId: $c) { id } }", {"c": "²"})):
            subscription = await ws.subscribe(query, **variables)
            with pytest.raises(SubscriptionError) as refused:
                await subscription.next()
            assert refused.value.codes == ["NOT_FOUND"]
        literal = await ws.subscribe(f'subscription {{ notificationAdded(after: "{BEYOND_64_BITS}") {{ id }} }}')
        with pytest.raises(SubscriptionError) as refused:
            await literal.next()
        assert refused.value.codes == ["NOT_FOUND"]
    finally:
        await ws.close()


async def test_nul_characters_are_refused(service, signed_in):
    assert codes(await signed_in.raw('{ invitationPreview(token: "abc\\u0000") { status } }')) == ["INVALID_INPUT"]
    body = await service.client(lang="ro").raw(SIGN_UP, {"input": {"email": "nul@example.ro", "password": "parola-buna-2024",
                                                                    "name": "Ana\u0000Pop"}})
    assert codes(body) == ["INVALID_INPUT"] and "NUL" in body["errors"][0]["message"] and "Textul" in body["errors"][0]["message"]


async def test_unpaired_surrogates_are_refused(signed_in):
    raw = b'{"query": "query($s: String) { portfolio(companyId: \\"1\\", search: $s) { totalCount } }", "variables": {"s": "\\ud800"}}'
    async with httpx.AsyncClient() as http:
        response = await http.post(signed_in.url, content=raw, headers={"content-type": "application/json", **signed_in.headers()})
    assert response.status_code < 500 and codes(response.json()) == ["INVALID_INPUT"]


async def test_a_255_character_email(service):
    long_email = "a" * 244 + "@example.ro"
    assert len(long_email) == 255
    signed_in = (await service.client().execute(SIGN_IN, email=long_email))["signIn"]
    assert signed_in["token"] is None and [e["code"] for e in signed_in["errors"]] == ["INVALID_CREDENTIALS"]
    body = await service.client().execute(SIGN_UP, input={"email": long_email, "password": "parola-buna-2024", "name": "Ana"})
    assert [e["code"] for e in body["signUp"]["errors"]] == ["INVALID_EMAIL"]


async def test_a_50000_character_search(service, db):
    token, _ = await api_user(service)
    firm = await api_company(service, token, holder("small").firm_cui, accounting=True)
    query = "query($c: ID!, $s: String) { portfolio(companyId: $c, search: $s) { totalCount } }"
    client = service.client(token)
    body = await client.raw(query, {"c": firm["id"], "s": "a" * 50_000})
    assert codes(body) == ["INVALID_INPUT"] and f"{MAX_STRING_LENGTH:,}" in body["errors"][0]["message"]
    longest = await client.raw(query, {"c": firm["id"], "s": "%_" * (MAX_STRING_LENGTH // 2)})
    assert longest == {"data": {"portfolio": {"totalCount": 0}}}


async def test_too_many_ids_to_mark_read(signed_in):
    body = await signed_in.raw(MARK_READ, {"ids": [str(i) for i in range(1, 40_001)]})
    assert codes(body) == ["TOO_MANY_ITEMS"] and f"{MAX_LIST_ITEMS:,}" in body["errors"][0]["message"]
    assert (await signed_in.execute(MARK_READ, ids=[str(i) for i in range(1, MAX_LIST_ITEMS + 1)]))["markNotificationsRead"] == 0


async def test_a_long_forwarded_for_is_not_stored(start_service, db):
    """By default X-Forwarded-For is not believed (the peer is the client); from a trusted proxy an
    address that is not one is stored as unknown, never as 5,000 characters."""
    for trusted, expected in (((), "127.0.0.1"), (("127.0.0.1",), None)):
        service = await start_service(trusted_proxies=trusted)
        email = f"xff{len(trusted)}@example.ro"
        async with httpx.AsyncClient() as http:
            response = await http.post(service.graphql_url, headers={"x-forwarded-for": "1" * 5000}, json={
                "query": SIGN_UP, "variables": {"input": {"email": email, "password": "parola-buna-2024", "name": "Ana"}}})
        assert response.status_code == 200 and response.json()["data"]["signUp"]["token"]
        assert [s.client_address for s in await Session.filter(user__email=email)] == [expected]
        await service.stop()


async def test_json_nested_1000_deep_is_a_clear_400(service):
    deep = b'{"query": "{ me { id } }", "variables": {"x": ' + b"[" * 1000 + b"]" * 1000 + b"}}"
    async with httpx.AsyncClient() as http:
        response = await http.post(service.graphql_url, content=deep, headers={"content-type": "application/json"})
        ok = await http.post(service.graphql_url, json={"query": "{ me { id } }", "variables": {"x": [[["[[[[{{{"]]]}})
    assert response.status_code == 400 and codes(response.json()) == ["JSON_TOO_DEEP"]
    assert ok.status_code == 200 and ok.json() == {"data": {"me": None}}


async def test_a_document_nested_too_deeply_for_the_parser(signed_in):
    deep = "{ company(id: " + "[" * 990 + "1" + "]" * 990 + ") { id } }"
    body = await signed_in.raw(deep)
    assert body.get("data") is None and "INTERNAL_SERVER_ERROR" not in codes(body), body
    assert codes(body)[0] in ("GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED")


@pytest.mark.parametrize("variables,message", [
    ({}, "to be provided"),
    ({"t": 5}, "String cannot represent"),
    ({"t": None}, "not to be None"),
])
async def test_missing_or_wrongly_typed_variables_are_validation_errors(service, variables, message):
    body = await service.client().raw("query($t: String!){ invitationPreview(token: $t){ status } }", variables)
    assert codes(body) == ["GRAPHQL_VALIDATION_FAILED"] and message in body["errors"][0]["message"], body


async def test_request_bodies_have_a_limit(start_service):
    service = await start_service(max_request_bytes=64 * 1024)
    big = {"query": "query($s: String) { me { id } }", "variables": {"s": "x" * 70_000}}
    async with httpx.AsyncClient() as http:
        declared = await http.post(service.graphql_url, json=big, headers={"accept-language": "ro"})

        async def chunks():
            for _ in range(20):
                yield b" " * 8192

        streamed = await http.post(service.graphql_url, content=chunks(), headers={"content-type": "application/json"})
        fits = await http.post(service.graphql_url, json={"query": "{ me { id } }"})
    assert declared.status_code == 413 and codes(declared.json()) == ["REQUEST_TOO_LARGE"]
    assert "65536" in declared.json()["errors"][0]["message"] and "octeți" in declared.json()["errors"][0]["message"]
    assert streamed.status_code == 413 and codes(streamed.json()) == ["REQUEST_TOO_LARGE"]
    assert fits.json() == {"data": {"me": None}}


async def test_refused_requests_log_one_clipped_line_without_traceback(service, signed_in, caplog):
    huge = "x" * 1_500_000
    caplog.set_level(logging.INFO)
    await service.client().raw("query($t: Int!) { notifications(first: $t) { totalCount } }", {"t": huge})
    await signed_in.raw(COMPANY, {"id": "²"})
    await service.client().raw("{ notifications { totalCount } }")
    await signed_in.raw('{ invitationPreview(token: "\\u0000") { status } }')
    await signed_in.raw("{ companiez { id } }")
    records = [r for r in caplog.records if not r.name.startswith(("httpx", "uvicorn"))]
    assert records and all(r.levelno < logging.ERROR and r.exc_info is None for r in records), \
        [(r.name, r.levelname, r.getMessage()[:100]) for r in records]
    assert sum(len(r.getMessage()) for r in records) < 5_000
    assert not [r for r in records if r.name == "strawberry.execution"]


async def test_a_websocket_message_nested_too_deeply_closes_the_socket_with_4400(service, caplog):
    token, _ = await api_user(service)
    ws = await WsClient.connect(service.graphql_url, token)
    await ws.ws.send('{"id": "1", "type": "subscribe", "payload": {"query": "subscription { unreadNotificationCountChanged }", '
                     '"variables": {"x": ' + "[" * 5000 + "]" * 5000 + "}}}")
    closed = await ws.wait_closed()
    assert closed.code == 4400 and "nested deeper" in closed.reason
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_an_upload_whose_operations_nest_1000_deep_is_a_400(service):
    operations = '{"query": "{ me { id } }", "variables": {"x": ' + "[" * 1000 + "]" * 1000 + "}}"
    async with httpx.AsyncClient() as http:
        response = await http.post(service.graphql_url, files={"operations": (None, operations), "map": (None, "{}")},
                                   headers={"graphql-preflight": "1"})

