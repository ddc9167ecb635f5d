"""Production posture: the demo tools are off whatever the database, the schema does not describe
itself to strangers, SECRET_KEY is required and strong, and every answer carries security headers."""

from __future__ import annotations

import io
import json
import logging
import secrets

import httpx
import pytest

from portofoliu.logs import configure_logging
from portofoliu.settings import SettingsError, load_settings

INTROSPECTION = "{ __schema { queryType { name } } }"
PRODUCTION_ENV = {"ANAF_MODE": "production", "ANAF_CLIENT_ID": "id", "ANAF_CLIENT_SECRET": "secret",
                  "ANAF_REDIRECT_URI": "https://portofoliu.example/anaf/oauth/callback"}


def codes(body: dict) -> list[str | None]:
    return [(e.get("extensions") or {}).get("code") for e in body.get("errors") or []]


@pytest.fixture
def production_env(tmp_path):
    from anaf.sandbox.ca import ca_certificate_path

    return {**PRODUCTION_ENV, "AGENT_TRUSTED_CA_FILE": str(ca_certificate_path())}


async def test_production_on_sqlite_turns_the_demo_tools_off(start_service):
    service = await start_service(anaf_mode="production", graphiql=True)
    async with httpx.AsyncClient() as http:
        outbox = await http.get(f"{service.url}/_outbox")
        sandbox = await http.get(f"{service.url}/_sandbox/anaf/fixtures")
        graphiql = await http.get(service.graphql_url, headers={"accept": "text/html"})
    assert outbox.status_code == 404 and sandbox.status_code == 404
    assert "graphiql" not in graphiql.text.lower() and graphiql.status_code >= 400
    client = service.client()
    refused = await client.raw(INTROSPECTION)
    assert refused.get("data") is None and set(codes(refused)) == {"GRAPHQL_VALIDATION_FAILED"}
    assert "introspection" in refused["errors"][0]["message"].lower()
    assert (await client.raw("{ __typename }")) == {"data": {"__typename": "Query"}}
    for document in ("{ companiez { id } }", "{ company(idd: \"1\") { id } }", "{ companies(relationship: OWNN) { since } }"):
        body = await client.raw(document)
        assert body["errors"] and all("Did you mean" not in e["message"] for e in body["errors"]), body


async def test_introspection_can_be_allowed_in_production(start_service):
    service = await start_service(anaf_mode="production", graphql_introspection=True)
    assert (await service.client().raw(INTROSPECTION)) == {"data": {"__schema": {"queryType": {"name": "Query"}}}}
    body = await service.client().raw("{ companiez { id } }")
    assert "Did you mean" not in body["errors"][0]["message"]


async def test_outside_production_the_demo_tools_stay(start_service):
    service = await start_service(graphiql=True)
    async with httpx.AsyncClient() as http:
        graphiql = await http.get(service.graphql_url, headers={"accept": "text/html"})
        outbox = await http.get(f"{service.url}/_outbox")
    assert graphiql.status_code == 200 and "graphiql" in graphiql.text.lower()
    assert "unpkg.com" in graphiql.headers["content-security-policy"]  # GraphiQL's own, looser policy
    assert outbox.status_code == 200
    body = await service.client().raw("{ companiez { id } }")
    assert "Did you mean" in body["errors"][0]["message"]
    assert "data" in await service.client().raw(INTROSPECTION)


def test_production_requires_a_strong_secret_key(tmp_path, production_env):
    key_file = tmp_path / "key"
    with pytest.raises(SettingsError) as missing:
        load_settings(production_env, key_file=key_file)
    assert str(missing.value).startswith("SECRET_KEY is required") and not key_file.exists()
    for weak in ("0123456789abcdef", "k1:0123456789abcdef", "k1:" + "ab" * 40, secrets.token_urlsafe(31), secrets.token_hex(31)):
        with pytest.raises(SettingsError) as err:
            load_settings({**production_env, "SECRET_KEY": weak}, key_file=key_file)
        assert "256 bits" in str(err.value), weak
    for strong in (secrets.token_urlsafe(32), secrets.token_hex(32), f"k2:{secrets.token_urlsafe(32)},k1:older-key-0123456789"):
        assert load_settings({**production_env, "SECRET_KEY": strong}, key_file=key_file).secret_keys
    # Outside production a missing key is still generated for the embedded demo.
    assert load_settings({}, key_file=key_file).secret_keys and key_file.exists()


def test_production_refuses_graphiql_and_defaults_introspection_off(tmp_path, production_env):
    env = {**production_env, "SECRET_KEY": secrets.token_urlsafe(32)}
    with pytest.raises(SettingsError) as err:
        load_settings({**env, "GRAPHIQL": "true"}, key_file=tmp_path / "key")
    assert str(err.value).startswith("GRAPHIQL")
    settings = load_settings(env, key_file=tmp_path / "key")
    assert not settings.graphiql_enabled and not settings.introspection
    assert load_settings({**env, "GRAPHQL_INTROSPECTION": "true"}, key_file=tmp_path / "key").introspection
    assert load_settings({}, key_file=tmp_path / "key").introspection


@pytest.mark.parametrize("production", [False, True])
async def test_security_headers_on_every_answer(start_service, production):
    service = await start_service(anaf_mode="production" if production else "sandbox", max_request_bytes=64 * 1024)
    async with httpx.AsyncClient() as http:
        answers = [
            await http.get(f"{service.url}/healthz"),
            await http.post(service.graphql_url, json={"query": "{ me { id } }"}),
            await http.post(service.graphql_url, json={"query": "{ nope }"}),
            await http.get(f"{service.url}/no/such/page"),
            await http.post(service.graphql_url, content=b"x" * 70_000),  # refused before the application
            await http.get(f"{service.url}/anaf/oauth/callback"),
        ]
    for answer in answers:
        headers = answer.headers
        assert headers["x-content-type-options"] == "nosniff", answer.request.url
        assert headers["referrer-policy"] == "no-referrer" and headers["x-frame-options"] == "DENY"
        csp = headers["content-security-policy"]
        assert "script-src 'self';" in csp and "frame-ancestors 'none'" in csp and "default-src 'self'" in csp
        assert ("strict-transport-security" in headers) == production


def test_logs_are_clipped_and_can_be_json():
    stream = io.StringIO()
    handler = configure_logging("info", "json")
    handler.setStream(stream)
    try:
        logging.getLogger("portofoliu.test").info("value: %s", "v" * 10_000_000)
        try:
            raise ValueError("x" * 100_000)
        except ValueError:
            logging.getLogger("portofoliu.test").exception("failed")
    finally:
        logging.getLogger().removeHandler(handler)
    lines = stream.getvalue().splitlines()
    records = [json.loads(line) for line in lines if line.startswith("{")]
    assert [r["message"][:6] for r in records] == ["value:", "failed"]
    assert records[0]["level"] == "INFO" and records[0]["logger"] == "portofoliu.test" and "time" in records[0]
    assert "10,000,007 characters" in records[0]["message"] and len(stream.getvalue()) < 20_000
    assert "ValueError" in records[1]["exc_info"]


def test_text_logs_are_clipped_too():
    stream = io.StringIO()
    handler = configure_logging("info", "text")
    handler.setStream(stream)
    try:
        logging.getLogger("portofoliu.test").warning("%s", "v" * 1_000_000)
    finally:
        logging.getLogger().removeHandler(handler)
    assert "WARNING portofoliu.test: vvv" in stream.getvalue() and len(stream.getvalue()) < 3_000
