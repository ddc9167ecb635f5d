"""`portofoliu serve` on the embedded default, as a newcomer runs it: a fresh folder, no settings."""

import asyncio
import os
import sys
from pathlib import Path

import httpx

from tests.support.factories import CREATE_COMPANY, SIGN_UP, holder, sandbox_company
from tests.support.servers import bind_loopback

ROOT = Path(__file__).resolve().parents[2]


async def test_first_run_just_works(tmp_path):
    sock = bind_loopback()
    port = sock.getsockname()[1]
    sock.close()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "BROADCAST_URL", "SMTP_URL", "SECRET_KEY", "ANAF_"))}
    env["PYTHONPATH"] = str(ROOT)
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "portofoliu", "serve", "--port", str(port), "--log-level", "warning",
                                                cwd=tmp_path, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(timeout=20) as http:
            for _ in range(200):
                try:
                    if (await http.get(f"{base}/readyz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.05)
            else:
                raise AssertionError("service did not become ready")
            assert (tmp_path / "portofoliu.sqlite3").exists()
            graphiql = await http.get(f"{base}/graphql", headers={"Accept": "text/html"})
            assert graphiql.status_code == 200 and "graphiql" in graphiql.text.lower()

            async def gql(query, token=None, **variables):
                headers = {"Authorization": f"Bearer {token}"} if token else {}
                body = (await http.post(f"{base}/graphql", json={"query": query, "variables": variables}, headers=headers)).json()
                assert "errors" not in body, body
                return body["data"]

            signed = (await gql(SIGN_UP, input={"email": "ioana@example.ro", "password": "parola-buna-2024", "name": "Ioana Popescu"}))["signUp"]
            cui = holder("small").firm_cui
            created = (await gql(CREATE_COMPANY, signed["token"], input={"cui": cui, "providesAccountingServices": True}))["createCompany"]
            assert created["errors"] == [] and created["company"]["name"] == sandbox_company(cui).name.upper()
            own = (await gql("{ companies(relationship: OWN) { company { cui name } } }", signed["token"]))["companies"]
            assert own == [{"company": {"cui": cui, "name": sandbox_company(cui).name.upper()}}]
    finally:
        proc.terminate()
        await asyncio.wait_for(proc.wait(), 15)
