"""`portofoliu serve` on the embedded default, as a newcomer runs it: a fresh folder, no settings."""

import asyncio
import json
import os
import sys
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect

from tests.support.factories import CREATE_COMPANY, SIGN_UP, holder, sandbox_company
from tests.support.graphql import GraphQLClient
from tests.support.processes import service_process
from tests.support.servers import bind_loopback

ROOT = Path(__file__).resolve().parents[2]


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

        # The bell's socket: the browser offers permessage-deflate; frames of a few hundred bytes are
        # sent uncompressed (no compressor per socket, no CPU per frame).
        async with connect(base.replace("http://", "ws://") + "/graphql", subprotocols=["graphql-transport-ws"]) as ws:
            assert ws.response.headers.get("Sec-WebSocket-Extensions") is None
            await ws.send(json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {signed['token']}"}}))
            assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "connection_ack"


async def _started(*args: str, cwd, env) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(sys.executable, "-m", "portofoliu", "serve", *args, "--log-level", "warning",
                                                cwd=cwd, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)


def _children(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


async def test_workers_need_a_shared_database_and_events(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "BROADCAST_URL"))}
    env["PYTHONPATH"] = str(ROOT)
    proc = await _started("--workers", "2", cwd=tmp_path, env=env)
    out, _ = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 2 and b"needs PostgreSQL" in out and b"BROADCAST_URL" in out


@pytest.mark.postgres
async def test_two_worker_processes_share_the_port_and_stop_together(database_url, tmp_path):
    sock = bind_loopback()
    port = sock.getsockname()[1]
    sock.close()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": database_url, "BROADCAST_URL": database_url,
           "SECRET_KEY": "k1:test-secret-key-0123456789", "JOBS_ENABLED": "false"}
    proc = await _started("--port", str(port), "--workers", "2", cwd=tmp_path, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(timeout=20) as http:
            for _ in range(600):
                try:
                    if (await http.get(f"{base}/readyz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.05)
            else:
                raise AssertionError("service did not become ready")
            # Both workers serve: a sign-up answered by one is a session every process accepts.
            signed = (await http.post(f"{base}/graphql", json={"query": SIGN_UP, "variables": {"input": {
                "email": "ioana@example.ro", "password": "parola-buna-2024", "name": "Ioana Popescu"}}})).json()["data"]["signUp"]
            answers = await asyncio.gather(*(http.post(f"{base}/graphql", json={"query": "{ me { email } }"},
                                                       headers={"Authorization": f"Bearer {signed['token']}"}) for _ in range(20)))
            assert {r.json()["data"]["me"]["email"] for r in answers} == {"ioana@example.ro"}
            workers = [pid for pid in _children(proc.pid) if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
                       and b"resource_tracker" not in Path(f"/proc/{pid}/cmdline").read_bytes()]
            assert len(workers) == 2, workers
    finally:
        proc.terminate()
        await asyncio.wait_for(proc.wait(), 30)
    assert not [pid for pid in workers if Path(f"/proc/{pid}").exists()]
