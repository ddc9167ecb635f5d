"""The floor for the read-path benchmark: Starlette + asyncpg doing the same work as the GraphQL
service for each screen (the session looked up by its token's hash, the membership checked, the
count and the page read), answering the same JSON shape. No GraphQL, no ORM.

    python -m bench.raw_reads --port 8001 --dsn postgres://...     (started by bench.read_paths)
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
from contextlib import asynccontextmanager
from datetime import datetime, timezone

import asyncpg
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

SESSION = """SELECT s.user_id, s.expires_at, s.revoked_at, u.name FROM sessions s JOIN users u ON u.id = s.user_id
             WHERE s.token_hash = $1"""
MEMBER = "SELECT role FROM memberships WHERE user_id = $1 AND company_id = $2"
PORTFOLIO_COUNT = "SELECT count(*) FROM portfolio_entries WHERE firm_id = $1"
PORTFOLIO_PAGE = """SELECT id, cui, name, address, status, is_new, rights_lost_at FROM portfolio_entries
                    WHERE firm_id = $1 ORDER BY name, id LIMIT $2"""
OWN = """SELECT m.created_at, c.id, c.cui, c.name FROM memberships m JOIN companies c ON c.id = m.company_id
         WHERE m.user_id = $1 ORDER BY c.name"""
CLIENTS = """SELECT k.since, k.firm_id, c.id, c.cui, c.name FROM collaborations k JOIN companies c ON c.id = k.client_id
             WHERE k.firm_id = ANY($1::bigint[]) AND k.status = 'ACTIVE' ORDER BY c.name"""
FIRMS = """SELECT k.since, k.client_id, c.id, c.cui, c.name FROM collaborations k JOIN companies c ON c.id = k.firm_id
           WHERE k.client_id = ANY($1::bigint[]) AND k.status = 'ACTIVE' ORDER BY c.name"""
BELL_COUNT = "SELECT count(*) FROM notifications WHERE user_id = $1"
BELL_PAGE = """SELECT n.id, n.kind, n.title, n.body, n.created_at, n.read_at, i.id AS invitation_id, i.status, c.id AS company_id, c.name
               FROM notifications n LEFT JOIN invitations i ON i.id = n.invitation_id LEFT JOIN companies c ON c.id = n.company_id
               WHERE n.user_id = $1 ORDER BY n.id DESC LIMIT $2"""


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def error(message: str, code: str) -> JSONResponse:
    return JSONResponse({"data": None, "errors": [{"message": message, "extensions": {"code": code}}]})


async def viewer(request: Request, conn) -> int | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    row = await conn.fetchrow(SESSION, hashlib.sha256(token.strip().encode()).hexdigest())
    if row is None or row["revoked_at"] is not None or row["expires_at"] <= datetime.now(timezone.utc):
        return None
    return row["user_id"]


def cursor(row_id: int, name: str) -> str:
    return base64.urlsafe_b64encode(f"{row_id}:{name}".encode()).decode()


async def portfolio(request: Request) -> Response:
    body = json.loads(await request.body())
    company_id = int(body["variables"]["companyId"])
    async with request.app.state.pool.acquire() as conn:
        user_id = await viewer(request, conn)
        if user_id is None:
            return error("Sign in first.", "UNAUTHENTICATED")
        if await conn.fetchval(MEMBER, user_id, company_id) is None:
            return error("No company with that id.", "NOT_FOUND")
        total = await conn.fetchval(PORTFOLIO_COUNT, company_id)
        rows = await conn.fetch(PORTFOLIO_PAGE, company_id, 51)
    page = rows[:50]
    edges = [{"node": {"id": str(r["id"]), "cui": r["cui"], "name": r["name"], "address": r["address"], "status": r["status"],
                       "isNew": r["is_new"], "rightsLostAt": iso(r["rights_lost_at"])}} for r in page]
    end = cursor(page[-1]["id"], page[-1]["name"]) if page else None
    return JSONResponse({"data": {"portfolio": {"totalCount": total, "pageInfo": {"hasNextPage": len(rows) > 50, "endCursor": end},
                                                "edges": edges}}})


def company(row) -> dict:
    return {"id": str(row["id"]), "cui": row["cui"], "name": row["name"]}


async def companies(request: Request) -> Response:
    await request.body()
    async with request.app.state.pool.acquire() as conn:
        user_id = await viewer(request, conn)
        if user_id is None:
            return error("Sign in first.", "UNAUTHENTICATED")
        own_rows = await conn.fetch(OWN, user_id)
        own = {r["id"]: company(r) for r in own_rows}
        clients = await conn.fetch(CLIENTS, list(own)) if own else []
        firms = await conn.fetch(FIRMS, list(own)) if own else []
    links = [{"relationship": "OWN", "since": iso(r["created_at"]), "company": company(r), "via": None} for r in own_rows]
    links += [{"relationship": "CLIENT", "since": iso(r["since"]), "company": company(r), "via": {"id": own[r["firm_id"]]["id"], "name": own[r["firm_id"]]["name"]}}
              for r in clients]
    links += [{"relationship": "ACCOUNTANT", "since": iso(r["since"]), "company": company(r), "via": {"id": own[r["client_id"]]["id"], "name": own[r["client_id"]]["name"]}}
              for r in firms]
    return JSONResponse({"data": {"companies": links}})


async def notifications(request: Request) -> Response:
    await request.body()
    async with request.app.state.pool.acquire() as conn:
        user_id = await viewer(request, conn)
        if user_id is None:
            return error("Sign in first.", "UNAUTHENTICATED")
        total = await conn.fetchval(BELL_COUNT, user_id)
        rows = await conn.fetch(BELL_PAGE, user_id, 21)
    page = rows[:20]
    edges = [{"node": {"id": str(r["id"]), "kind": r["kind"], "title": r["title"], "body": r["body"], "createdAt": iso(r["created_at"]),
                       "readAt": iso(r["read_at"]),
                       "invitation": {"id": str(r["invitation_id"]), "status": r["status"]} if r["invitation_id"] else None,
                       "company": {"id": str(r["company_id"]), "name": r["name"]} if r["company_id"] else None}} for r in page]
    end = base64.urlsafe_b64encode(f"notification:{page[-1]['id']}".encode()).decode().rstrip("=") if page else None
    return JSONResponse({"data": {"notifications": {"totalCount": total, "pageInfo": {"hasNextPage": len(rows) > 20, "endCursor": end},
                                                    "edges": edges}}})


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


def create_app(dsn: str, pool_max: int = 10) -> Starlette:
    @asynccontextmanager
    async def lifespan(app: Starlette):
        app.state.pool = await asyncpg.create_pool(dsn, min_size=2, max_size=pool_max)
        try:
            yield
        finally:
            await app.state.pool.close()

    return Starlette(routes=[Route("/portfolio", portfolio, methods=["POST"]), Route("/companies", companies, methods=["POST"]),
                             Route("/notifications", notifications, methods=["POST"]), Route("/healthz", healthz)],
                     lifespan=lifespan)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dsn", required=True)
    args = parser.parse_args()
    uvicorn.run(create_app(args.dsn), host="127.0.0.1", port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
