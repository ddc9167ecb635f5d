"""Benchmark: discovering the ~2,000-company holder ("large") against the sandbox in its default,
ANAF-faithful mode, with ANAF's real limits (registry: ≤100 CUIs per request, ≥1 s between
requests; e-Factura: 1,000 calls in any minute, 1,500 simple lists per CUI a day).

With the OAuth token alone, discovery reads the firm's sent invoices (over 500: the paginated
list), then probes each invoiced buyer: it must find every invoiced client the certificate has
rights for and none it has not, without a single 429 from ANAF.

The floor is what those limits alone impose: (registry requests - 1) × 1 s, or 60 s for every
full 1,000 e-Factura calls after the first thousand, whichever is longer. Prints the measured time,
the floor and their ratio.

    python -m bench.discovery [--holder large]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import socket
import tempfile
import time
from pathlib import Path

import httpx
import uvicorn

from anaf.limits import ANAF_CALLS_PER_MINUTE, LocalCallLimiter, MemoryDailyQuota
from anaf.sandbox.dataset import get_dataset
from anaf.sandbox.efactura_messages import invoicing
from anaf.sandbox.state import SandboxConfig
from portofoliu.app import create_app
from portofoliu.db import apply_migrations
from portofoliu.services import EfacturaBudget
from portofoliu.settings import Settings

REGISTRY_INTERVAL = 1.0
REGISTRY_BATCH = 100


async def _graphql(http: httpx.AsyncClient, url: str, query: str, token: str | None = None, **variables) -> dict:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    body = (await http.post(f"{url}/graphql", json={"query": query, "variables": variables}, headers=headers)).json()
    assert not body.get("errors"), body
    return body["data"]


async def _authorize(http: httpx.AsyncClient, url: str, token: str, company_id: str, holder_key: str) -> None:
    """Authorize e-Factura as a manager does: start it, answer the sandbox's certificate picker, and
    follow ANAF's redirect to the service's callback (which stores the tokens)."""
    from urllib.parse import parse_qs, urlsplit

    started = (await _graphql(http, url, """mutation($id: ID!) { startEfacturaAuthorization(companyId: $id) {
        authorizationUrl errors { code message } } }""", token, id=company_id))["startEfacturaAuthorization"]
    assert not started["errors"], started
    authorize = started["authorizationUrl"]
    form = {k: v[0] for k, v in parse_qs(urlsplit(authorize).query).items()}
    answer = await http.post(authorize.split("?")[0], data=form | {"holder": holder_key, "pin": get_dataset().holders[holder_key].pin})
    callback = await http.get(answer.headers["location"])  # the settings' redirect URI is this service
    assert callback.status_code == 303 and "status=ok" in callback.headers["location"], callback.headers


class CountingLimiter(LocalCallLimiter):
    """The service's own per-minute budget (as `efactura_budget` makes it), counting the e-Factura
    calls it lets through."""

    def __init__(self) -> None:
        super().__init__(ANAF_CALLS_PER_MINUTE, window_seconds=61.0)
        self.calls = 0

    async def acquire(self) -> int:
        slot = await super().acquire()
        self.calls += 1
        return slot


async def measure(holder_key: str) -> tuple[float, float, int, int]:
    """(seconds, floor seconds, registry requests, e-Factura calls) of one discovery."""
    holder = get_dataset().holders[holder_key]
    plan = invoicing(holder.firm_cui)
    limiter = CountingLimiter()
    with tempfile.TemporaryDirectory() as tmp:
        database_url = f"sqlite://{Path(tmp) / 'bench.sqlite3'}"
        await apply_migrations(database_url)
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        settings = Settings(database_url=database_url, secret_keys=(("k1", b"bench-secret-key-0123456789"),),
                            app_url=url, jobs_enabled=False, graphiql=False)
        app = create_app(settings, self_url=url, migrate=False,
                         sandbox_config=SandboxConfig(state_path=str(Path(tmp) / "anaf-sandbox.sqlite3")),
                         budget=EfacturaBudget(limiter, MemoryDailyQuota()))
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
        task = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started:
            await asyncio.sleep(0.01)
        try:
            async with httpx.AsyncClient(timeout=60) as http:
                signed = await _graphql(http, url, """mutation { signUp(input: {email: "bench@example.ro", password: "parola-buna-2024",
                    name: "Bench"}) { token } }""")
                token = signed["signUp"]["token"]
                company = (await _graphql(http, url, """mutation($cui: String!) { createCompany(input: {cui: $cui,
                    providesAccountingServices: true}) { company { id } } }""", token, cui=holder.firm_cui))["createCompany"]["company"]
                await _authorize(http, url, token, company["id"], holder_key)
                await asyncio.sleep(REGISTRY_INTERVAL)  # the createCompany lookup's spacing is not discovery's
                calls_before = limiter.calls
                started = time.perf_counter()
                await _graphql(http, url, "mutation($id: ID!) { startPortfolioDiscovery(companyId: $id) { run { id } } }",
                               token, id=company["id"])
                while True:
                    run = (await _graphql(http, url, "query($id: ID!) { latestDiscoveryRun(companyId: $id) { status total found error } }",
                                          token, id=company["id"]))["latestDiscoveryRun"]
                    if run["status"] != "RUNNING":
                        break
                    await asyncio.sleep(0.05)
                elapsed = time.perf_counter() - started
                efactura_calls = limiter.calls - calls_before
                assert run["status"] == "SUCCEEDED" and run["found"] == len(plan.clients), run
                found = await _portfolio_cuis(http, url, token, company["id"])
                # Every invoiced client with rights, none without.
                assert found == set(plan.clients) and not found & set(plan.without_rights), "wrong portfolio"
                sandbox = app.state.sandbox
                assert sandbox.efactura.rejected_429 == 0, f"{sandbox.efactura.rejected_429} e-Factura calls over ANAF's limit"
                assert sandbox.registry.rejected_429 == 0, f"{sandbox.registry.rejected_429} registry calls over ANAF's limit"
        finally:
            server.should_exit = True
            await task
    registry_requests = math.ceil(len(plan.clients) / REGISTRY_BATCH)
    floor = max((registry_requests - 1) * REGISTRY_INTERVAL, 60.0 * ((efactura_calls - 1) // ANAF_CALLS_PER_MINUTE))
    return elapsed, floor, registry_requests, efactura_calls


async def _portfolio_cuis(http: httpx.AsyncClient, url: str, token: str, company_id: str) -> set[str]:
    cuis, after = set(), None
    while True:
        page = (await _graphql(http, url, """query($id: ID!, $after: String) { portfolio(companyId: $id, first: 200, after: $after) {
            pageInfo { hasNextPage endCursor } edges { node { cui } } } }""", token, id=company_id, after=after))["portfolio"]
        cuis |= {edge["node"]["cui"] for edge in page["edges"]}
        if not page["pageInfo"]["hasNextPage"]:
            return cuis
        after = page["pageInfo"]["endCursor"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--holder", default="large", help="sandbox holder: small, medium, large")
    args = parser.parse_args()
    elapsed, floor, requests, calls = asyncio.run(measure(args.holder))
    print(f"holder {args.holder}: {requests} registry requests, {calls} e-Factura calls, no 429 from ANAF")
    print(f"discovery took {elapsed:.2f} s; floor imposed by ANAF's limits {floor:.2f} s; ratio {elapsed / max(floor, 1e-9):.3f}")


if __name__ == "__main__":
    main()
