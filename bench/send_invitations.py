"""Benchmark: `send_invitations` with 10 and 1,000 rows on PostgreSQL.

Prints the SQL statements (round trips) of each call, which must not grow with the rows, and the
time of the 1,000-row call beside a raw asyncpg bulk insert of the same invitation rows measured
in the same run (executemany, and COPY), with the ratio: rounds alternate the call and the raw
inserts, and medians are compared.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test python -m bench.send_invitations [--rows 1000] [--rounds 5]

A scratch database is created next to the one named, and dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
import uuid
from datetime import timedelta
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from tortoise.context import TortoiseContext

from bench.firm import domain_firm, requests
from bench.sql_statements import counting_statements
from portofoliu.db import apply_migrations, tortoise_config

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/test"
COLUMNS = ("firm_id", "cui", "company_name", "representative_name", "email", "phone", "message", "locale", "status",
           "token_hash", "open_key", "sent_at", "expires_at", "reminders_sent")


def _asyncpg_url(url: str) -> str:
    return url.replace("postgresql://", "postgres://", 1)


async def _admin(url: str, sql: str) -> None:
    conn = await asyncpg.connect(_asyncpg_url(url))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def _raw_rows(firm_id: int, cuis: list[str], tag: str) -> list[tuple]:
    from domain.kernel.clock import now
    from domain.kernel.secrets import new_secret

    at = now()
    return [(firm_id, cui, f"CLIENT {cui} SRL", f"Reprezentant {n}", f"client{n}@example.ro", f"+4072{n:07d}", "Vă invităm.", "ro",
             "PENDING", new_secret()[1], f"{tag}:{cui}", at, at + timedelta(days=15), 0) for n, cui in enumerate(cuis)]


async def _baseline(url: str, firm_id: int, cuis: list[str]) -> tuple[float, float]:
    """Seconds for a raw executemany INSERT and for COPY of the same rows, each in one transaction."""
    conn = await asyncpg.connect(_asyncpg_url(url))
    try:
        insert = f"INSERT INTO invitations ({', '.join(COLUMNS)}) VALUES ({', '.join(f'${i + 1}' for i in range(len(COLUMNS)))})"
        rows = _raw_rows(firm_id, cuis, "raw")
        started = time.perf_counter()
        async with conn.transaction():
            await conn.executemany(insert, rows)
        executemany = time.perf_counter() - started
        rows = _raw_rows(firm_id, cuis, "copy")
        started = time.perf_counter()
        async with conn.transaction():
            await conn.copy_records_to_table("invitations", records=rows, columns=list(COLUMNS))
        copy = time.perf_counter() - started
        await conn.execute("DELETE FROM invitations WHERE open_key LIKE 'raw:%' OR open_key LIKE 'copy:%'")
        return executemany, copy
    finally:
        await conn.close()


def _validation_seconds(cuis: list[str]) -> float:
    """Seconds to validate the rows without any database: the share of the call that no insert
    strategy can remove."""
    from domain.invitations.service import _validate_row

    rows = requests(cuis)
    started = time.perf_counter()
    for index, row in enumerate(rows):
        _validate_row(index, row)
    return time.perf_counter() - started


async def _close_all(firm_id: int) -> None:
    """Revoke the round's invitations (untimed), so the next round can invite the same companies."""
    from domain.invitations.models import Invitation

    await Invitation.filter(firm_id=firm_id).update(status="REVOKED", open_key=None)


async def run(base_url: str, rows: int, rounds: int = 5, small: int = 10) -> dict:
    from domain.invitations.service import Links, send_invitations

    name = f"portofoliu_bench_{uuid.uuid4().hex[:10]}"
    await _admin(base_url, f'CREATE DATABASE "{name}"')
    url = urlunsplit(urlsplit(base_url)._replace(path=f"/{name}"))
    try:
        await apply_migrations(url)
        async with TortoiseContext() as ctx:
            await ctx.init(config=tortoise_config(url, pool_max=5))
            firm = await domain_firm("large")
            links = Links(app_url="http://localhost:8000", ttl_seconds=15 * 24 * 3600)
            statements, times, many, copy = {}, [], [], []
            for size in (small, rows):  # statements per call, for a small and a large call
                with counting_statements() as counter:
                    result = await send_invitations(actor=firm.user, company_id=firm.company.id, rows=requests(firm.cuis[:size]), links=links)
                assert len(result.invitations) == size and not result.errors, result.errors[:3]
                statements[size] = counter.count
                await _close_all(firm.company.id)
            for _ in range(rounds):  # then alternate: the call, the raw inserts of the same rows
                started = time.perf_counter()
                result = await send_invitations(actor=firm.user, company_id=firm.company.id, rows=requests(firm.cuis[:rows]), links=links)
                times.append(time.perf_counter() - started)
                assert len(result.invitations) == rows and not result.errors, result.errors[:3]
                await _close_all(firm.company.id)
                raw_many, raw_copy = await _baseline(url, firm.company.id, firm.cuis[:rows])
                many.append(raw_many)
                copy.append(raw_copy)
        return {"statements": statements, "times": times, "executemany": many, "copy": copy, "rows": rows, "small": small,
                "validation": _validation_seconds(firm.cuis[:rows])}
    finally:
        await _admin(base_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def report(out: dict) -> str:
    rows, small = out["rows"], out["small"]
    small_sql, big_sql = out["statements"][small], out["statements"][rows]
    call, many, copy = (statistics.median(out[k]) for k in ("times", "executemany", "copy"))
    per_round = ", ".join(f"{t / m:.1f}" for t, m in zip(out["times"], out["executemany"]))
    return "\n".join([
        f"SQL statements: {small} rows -> {small_sql}, {rows} rows -> {big_sql} ({'constant' if small_sql == big_sql else 'GROWS'})",
        f"send_invitations, {rows} rows: median {call * 1000:.1f} ms over {len(out['times'])} rounds "
        f"(validation, invitations, trail, portfolio, outbox e-mails, bells)",
        f"raw asyncpg executemany of the same {rows} invitation rows: median {many * 1000:.1f} ms "
        f"-> ratio {call / many:.1f}x (per round: {per_round})",
        f"raw asyncpg COPY of the same {rows} invitation rows: median {copy * 1000:.1f} ms -> ratio {call / copy:.1f}x",
        f"of which, without the database: validating the rows {out['validation'] * 1000:.1f} ms",
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    print(report(asyncio.run(run(url, args.rows, args.rounds))))


if __name__ == "__main__":
    main()
