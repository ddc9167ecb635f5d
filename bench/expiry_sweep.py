"""Benchmark: the expiry sweep over 100,000 due invitations on PostgreSQL.

The sweep (`domain.invitations.expiry.expire_overdue`, as the `expire-invitations` job calls it)
closes every open invitation past its expiry, writes the audit trail, moves the portfolio entries
and rings each firm's bell once. The baseline is one raw UPDATE of the same rows (status, open_key,
expired_at) through asyncpg. Each round copies a freshly seeded database (CREATE DATABASE ...
TEMPLATE), so both run on identical, un-vacuumed tables; rounds alternate sweep and baseline and
the medians are printed with their ratio.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test python -m bench.expiry_sweep [--invitations 100000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
import uuid
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from tortoise.context import TortoiseContext

from portofoliu.db import apply_migrations, tortoise_config

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/test"
FIRMS = 100
RAW_UPDATE = ("UPDATE invitations SET status = 'EXPIRED', open_key = NULL, expired_at = now() "
              "WHERE status IN ('PENDING', 'ACCOUNT_CREATED') AND expires_at <= now()")


def _url(base: str, name: str) -> str:
    return urlunsplit(urlsplit(base.replace("postgresql://", "postgres://", 1))._replace(path=f"/{name}"))


async def _admin(url: str, *sql: str) -> None:
    conn = await asyncpg.connect(url.replace("postgresql://", "postgres://", 1))
    try:
        for statement in sql:
            await conn.execute(statement)
    finally:
        await conn.close()


async def seed(url: str, invitations: int) -> None:
    """FIRMS firms with one owner each, and `invitations` open invitations spread over them, all due,
    each with its portfolio entry pointing at it."""
    await apply_migrations(url)
    per_firm = invitations // FIRMS
    conn = await asyncpg.connect(url)
    try:
        async with conn.transaction():
            await conn.execute(f"""
                INSERT INTO users (id, email, name, password_hash, locale, created_at)
                SELECT g, 'owner' || g || '@firm.example', 'Owner ' || g, 'x', 'ro', now() FROM generate_series(1, {FIRMS}) g;
                INSERT INTO companies (id, cui, name, registry_status, vat_payer, provides_accounting_services, members_may_invite, created_at)
                SELECT g, (1000000 + g)::text, 'FIRMA ' || g || ' SRL', 'ACTIVE', true, true, false, now() FROM generate_series(1, {FIRMS}) g;
                INSERT INTO memberships (user_id, company_id, role, verification, created_at)
                SELECT g, g, 'OWNER', 'VERIFIED_BY_EFACTURA', now() FROM generate_series(1, {FIRMS}) g;
                INSERT INTO invitations (firm_id, cui, company_name, representative_name, email, phone, locale, status,
                                         token_hash, open_key, sent_at, expires_at, reminders_sent)
                SELECT f, (20000000 + n)::text, 'CLIENT ' || n || ' SRL', 'Reprezentant ' || n, 'client' || n || '@example.ro',
                       '+40721000000', 'ro', CASE WHEN n % 10 = 0 THEN 'ACCOUNT_CREATED' ELSE 'PENDING' END,
                       md5(n::text) || md5((n + 1)::text), f || ':' || (20000000 + n), now() - interval '16 days',
                       now() - interval '1 day' - (n || ' seconds')::interval, 0
                FROM generate_series(1, {FIRMS}) f, generate_series((f - 1) * {per_firm} + 1, f * {per_firm}) n;
                INSERT INTO portfolio_entries (firm_id, cui, name, search_name, vat_payer, sources, status, discovered_at, is_new, invitation_id)
                SELECT firm_id, cui, company_name, lower(company_name), false, '["INVOICED"]', 'INVITED', now(), false, id FROM invitations;
                SELECT setval(pg_get_serial_sequence('users', 'id'), {FIRMS});
                SELECT setval(pg_get_serial_sequence('companies', 'id'), {FIRMS});
            """)
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


async def time_sweep(url: str) -> tuple[float, int]:
    from domain.invitations.expiry import expire_overdue

    async with TortoiseContext() as ctx:
        await ctx.init(config=tortoise_config(url, pool_max=5))
        started = time.perf_counter()
        closed = await expire_overdue()
        return time.perf_counter() - started, closed


async def time_raw(url: str) -> tuple[float, int]:
    conn = await asyncpg.connect(url)
    try:
        started = time.perf_counter()
        status = await conn.execute(RAW_UPDATE)
        return time.perf_counter() - started, int(status.split()[-1])
    finally:
        await conn.close()


async def check_sweep(url: str, invitations: int) -> None:
    """What the sweep must have done, so a fast but wrong sweep cannot pass."""
    conn = await asyncpg.connect(url)
    try:
        open_left = await conn.fetchval("SELECT count(*) FROM invitations WHERE status <> 'EXPIRED'")
        trail = await conn.fetchval("SELECT count(*) FROM invitation_events WHERE action = 'EXPIRED'")
        entries = await conn.fetchval("SELECT count(*) FROM portfolio_entries WHERE status = 'EXPIRED'")
        bells = await conn.fetchval("SELECT count(*) FROM notifications WHERE kind = 'INVITATION_EXPIRED'")
    finally:
        await conn.close()
    assert (open_left, trail, entries, bells) == (0, invitations, invitations, FIRMS), (open_left, trail, entries, bells)


async def run(base_url: str, invitations: int, rounds: int) -> dict:
    template = f"portofoliu_bench_sweep_{uuid.uuid4().hex[:8]}"
    await _admin(base_url, f'CREATE DATABASE "{template}"')
    copies = []
    try:
        await seed(_url(base_url, template), invitations)
        sweeps, raws = [], []
        for _ in range(rounds):
            for kind in ("sweep", "raw"):
                name = f"{template}_{len(copies)}"
                await _admin(base_url, f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
                copies.append(name)
                url = _url(base_url, name)
                if kind == "sweep":
                    elapsed, closed = await time_sweep(url)
                    await check_sweep(url, invitations)
                    sweeps.append(elapsed)
                else:
                    elapsed, closed = await time_raw(url)
                    raws.append(elapsed)
                assert closed == invitations, (kind, closed)
                await _admin(base_url, f'DROP DATABASE "{name}" WITH (FORCE)')
        return {"invitations": invitations, "sweep": sweeps, "raw": raws}
    finally:
        await _admin(base_url, *[f'DROP DATABASE IF EXISTS "{n}" WITH (FORCE)' for n in [*copies, template]])


def report(out: dict) -> str:
    sweep, raw = statistics.median(out["sweep"]), statistics.median(out["raw"])
    ratios = [s / r for s, r in zip(out["sweep"], out["raw"])]
    return "\n".join([
        f"expiry sweep of {out['invitations']:,} due invitations (status, trail, portfolio, one bell per firm): "
        f"median {sweep * 1000:.0f} ms over {len(out['sweep'])} rounds",
        f"one raw UPDATE of the same rows: median {raw * 1000:.0f} ms",
        f"ratio sweep / raw UPDATE: {sweep / raw:.2f}x (per round: {', '.join(f'{r:.2f}' for r in ratios)})",
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--invitations", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    print(report(asyncio.run(run(url, args.invitations, args.rounds))))


if __name__ == "__main__":
    main()
