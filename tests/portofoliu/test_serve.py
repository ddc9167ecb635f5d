"""`portofoliu serve` on the embedded default, as a newcomer runs it: a fresh folder, no settings."""

import httpx

from tests.support.factories import CREATE_COMPANY, SIGN_UP, holder, sandbox_company
from tests.support.graphql import GraphQLClient
from tests.support.processes import service_process


async def test_first_run_just_works(tmp_path):
    async with service_process({}, newcomer_in=tmp_path) as base:
        assert (tmp_path / "portofoliu.sqlite3").exists()
        async with httpx.AsyncClient(timeout=20) as http:
            graphiql = await http.get(f"{base}/graphql", headers={"Accept": "text/html"})
        assert graphiql.status_code == 200 and "graphiql" in graphiql.text.lower()

        anonymous = GraphQLClient(f"{base}/graphql")
        signed = (await anonymous.execute(SIGN_UP, input={"email": "ioana@example.ro", "password": "parola-buna-2024",
                                                          "name": "Ioana Popescu"}))["signUp"]
        client = GraphQLClient(f"{base}/graphql", token=signed["token"])
        cui = holder("small").firm_cui
        created = (await client.execute(CREATE_COMPANY, input={"cui": cui, "providesAccountingServices": True}))["createCompany"]
        assert created["errors"] == [] and created["company"]["name"] == sandbox_company(cui).name.upper()
        own = (await client.execute("{ companies(relationship: OWN) { company { cui name } } }"))["companies"]
        assert own == [{"company": {"cui": cui, "name": sandbox_company(cui).name.upper()}}]
        for c in (anonymous, client):
            await c.aclose()
