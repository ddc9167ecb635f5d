"""The built web client served by the service: its files, index.html for the app's own paths (the
links of e-mails and ANAF's redirect), and never in place of the API's routes. And `serve --port`
makes APP_URL (those links) follow the port unless APP_URL is set."""

from dataclasses import replace
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from portofoliu.cli import with_served_app_url
from portofoliu.settings import Settings
from tests.support.efactura import START
from tests.support.factories import CREATE_COMPANY, SIGN_UP, holder
from tests.support.graphql import GraphQLClient
from tests.support.processes import service_process
from tests.support.servers import app_factory, serve

ROOT = Path(__file__).resolve().parents[2]
INDEX = "<!doctype html><title>Portofoliu</title><div id=root></div>"


@pytest.fixture
def dist(tmp_path) -> Path:
    folder = tmp_path / "dist"
    (folder / "assets").mkdir(parents=True)
    (folder / "index.html").write_text(INDEX)
    (folder / "assets" / "index-abc123.js").write_text("console.log('app')")
    return folder


async def test_app_paths_get_the_client_and_api_paths_keep_their_answers(settings, dist):
    from portofoliu.app import create_app

    @app_factory
    def build(base_url):
        return create_app(replace(settings, app_url=base_url), self_url=base_url, migrate=False, web_dist=dist)

    async with serve(build) as url, httpx.AsyncClient(base_url=url, timeout=10) as http:
        for path in ("/", "/invite/abc-DEF_123", "/integrations/efactura?status=ok&companyId=1", "/companies/invite", "/signin"):
            page = await http.get(path)
            assert (page.status_code, page.text) == (200, INDEX), path
            assert page.headers["cache-control"] == "no-cache"
        asset = await http.get("/assets/index-abc123.js")
        assert asset.status_code == 200 and asset.text == "console.log('app')" and "immutable" in asset.headers["cache-control"]

        assert (await http.get("/healthz")).json() == {"status": "ok"}
        answer = await http.post("/graphql", json={"query": "{ me { id } }"})
        assert answer.json() == {"data": {"me": None}}
        assert (await http.get("/anaf/oauth/callback", params={"error": "access_denied"})).status_code == 303
        assert (await http.get("/_sandbox/anaf/fixtures")).status_code == 200
        metrics = await http.get("/metrics")
        assert metrics.status_code == 200 and "portofoliu_http_requests_total" in metrics.text  # the API's, not the client
        for path in ("/graphql/extra", "/anaf/unknown", "/_outbox/x", "/favicon.ico", "/assets/gone.js", "/../pyproject.toml"):
            assert (await http.get(path)).status_code == 404, path
        assert (await http.post("/invite/abc")).status_code in (404, 405)


async def test_without_a_built_client_the_api_works_alone(settings, tmp_path):
    from portofoliu.app import create_app

    @app_factory
    def build(base_url):
        return create_app(settings, self_url=base_url, migrate=False, web_dist=tmp_path / "missing")

    async with serve(build) as url, httpx.AsyncClient(base_url=url, timeout=10) as http:
        assert (await http.get("/invite/abc")).status_code == 404
        assert (await http.post("/graphql", json={"query": "{ me { id } }"})).json() == {"data": {"me": None}}


def test_app_url_follows_the_port_unless_set():
    settings = Settings()
    assert with_served_app_url(settings, host="127.0.0.1", port=8123, env={}).app_url == "http://localhost:8123"
    assert with_served_app_url(settings, host="10.0.0.5", port=9000, env={}).app_url == "http://10.0.0.5:9000"
    explicit = replace(settings, app_url="https://app.example.ro")
    assert with_served_app_url(explicit, host="127.0.0.1", port=8123, env={"APP_URL": "https://app.example.ro"}).app_url == "https://app.example.ro"


async def test_serve_on_another_port_sends_anaf_back_to_that_port(tmp_path):
    async with service_process({}, newcomer_in=tmp_path) as base:
        port = urlsplit(base).port
        anonymous = GraphQLClient(f"{base}/graphql")
        token = (await anonymous.execute(SIGN_UP, input={"email": "ioana@example.ro", "password": "parola-buna-2024",
                                                         "name": "Ioana Popescu"}))["signUp"]["token"]
        client = GraphQLClient(f"{base}/graphql", token=token)
        company = (await client.execute(CREATE_COMPANY, input={"cui": holder("small").firm_cui, "providesAccountingServices": True}))["createCompany"]["company"]
        url = (await client.execute(START, id=company["id"]))["startEfacturaAuthorization"]["authorizationUrl"]
        assert parse_qs(urlsplit(url).query)["redirect_uri"] == [f"http://localhost:{port}/anaf/oauth/callback"]
        for c in (anonymous, client):
            await c.aclose()
