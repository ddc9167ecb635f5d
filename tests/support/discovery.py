"""Driving portfolio discovery through the API, as a frontend does."""

from __future__ import annotations

import asyncio
import time

from tests.support.efactura import activate_efactura
from tests.support.factories import api_company, api_user, holder

START = """mutation($id: ID!) { startPortfolioDiscovery(companyId: $id) {
  run { id status total checked found newCount error } errors { code field message } } }"""
LATEST = """query($id: ID!) { latestDiscoveryRun(companyId: $id) { id status total checked found newCount error finishedAt } }"""
PORTFOLIO = """query($id: ID!, $status: PortfolioStatus, $search: String, $first: Int, $after: String) {
  portfolio(companyId: $id, status: $status, search: $search, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node { id cui name address status sources isNew rightsLostAt discoveredAt clientCompany { id } } } } }"""
ADD = """mutation($id: ID!, $cuis: [String!]!) { addPortfolioCompanies(companyId: $id, cuis: $cuis) {
  entries { cui name sources } errors { code field message } } }"""


async def accounting_firm(service, holder_key: str = "small", *, authorize: bool = True, accounting: bool = True):
    """A signed-up accountant owning the holder's firm, e-Factura authorized: (session token, company)."""
    token, _ = await api_user(service)
    company = await api_company(service, token, holder(holder_key).firm_cui, accounting=accounting)
    if authorize:
        await activate_efactura(service, token, company["id"], holder_key=holder_key)
    return token, company


async def start_discovery(service, token: str, company_id: str) -> dict:
    result = (await service.client(token).execute(START, id=company_id))["startPortfolioDiscovery"]
    assert result["errors"] == [], result["errors"]
    return result["run"]


async def finished_run(service, token: str, company_id: str, *, timeout: float = 20.0) -> dict:
    """Poll `latestDiscoveryRun` until it is no longer RUNNING."""
    deadline = time.monotonic() + timeout
    while True:
        run = (await service.client(token).execute(LATEST, id=company_id))["latestDiscoveryRun"]
        if run and run["status"] != "RUNNING":
            return run
        assert time.monotonic() < deadline, f"discovery still running: {run}"
        await asyncio.sleep(0.05)


async def discover(service, token: str, company_id: str) -> dict:
    await start_discovery(service, token, company_id)
    return await finished_run(service, token, company_id)


async def all_entries(service, token: str, company_id: str, **filters) -> list[dict]:
    entries, after = [], None
    while True:
        page = (await service.client(token).execute(PORTFOLIO, id=company_id, first=200, after=after, **filters))["portfolio"]
        entries += [edge["node"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return entries
        after = page["pageInfo"]["endCursor"]


def invoiced(key: str) -> set[str]:
    """The clients the holder's firm invoiced lately and its certificate has rights for: what
    discovery finds with the OAuth token alone."""
    from anaf.sandbox.efactura_messages import invoicing
    from tests.support.factories import holder

    return set(invoicing(holder(key).firm_cui).clients)
