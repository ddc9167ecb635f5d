"""Outbox throughput: 1,000 e-mails sent by the outbox job to a local SMTP server, against raw
aiosmtplib sending the same 1,000 prebuilt messages over one connection (the floor of the cost of
SMTP itself). The difference is the job's bookkeeping: claiming rows, building each message, and
one UPDATE per message after the server accepted it.

    python -m bench.outbox_smtp [--count 1000] [--batch 100]

The database: with `BENCH_DATABASE_URL=postgres://...` a temporary database is created on that
server (and dropped afterwards); by default a temporary SQLite file.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import tempfile
import time
import uuid
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from email.utils import parseaddr
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit, urlunsplit

import aiosmtplib
import asyncpg
from aiosmtpd.controller import Controller
from tortoise.context import TortoiseContext

from domain.kernel.clock import now
from domain.kernel.events import unit_of_work
from domain.mail.models import OutboxMessage
from domain.mail.outbox import enqueue, rendered_many
from jobs.send_outbox import outgoing, send_pending
from portofoliu.db import apply_migrations, tortoise_config
from portofoliu.mail import SmtpConfig, SmtpMailer, build_message

SENDER = "Portofoliu <no-reply@portofoliu.bench>"


class CountingHandler:
    def __init__(self) -> None:
        self.received = 0

    async def handle_DATA(self, server, session, envelope) -> str:
        self.received += 1
        return "250 OK"


@dataclass
class Result:
    count: int
    job_seconds: float
    raw_seconds: float

    @property
    def job_rate(self) -> float:
        return self.count / self.job_seconds

    @property
    def raw_rate(self) -> float:
        return self.count / self.raw_seconds

    def report(self) -> str:
        return (f"outbox job : {self.count} e-mails in {self.job_seconds:.2f} s = {self.job_rate:,.0f} messages/s\n"
                f"baseline   : raw aiosmtplib, one connection, {self.raw_seconds:.2f} s = {self.raw_rate:,.0f} messages/s\n"
                f"ratio      : the outbox job runs at {self.job_rate / self.raw_rate:.2f}x the raw SMTP rate")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def _enqueue(count: int) -> None:
    context = {"firm_name": "Contabilitate Științifică SRL", "company_name": "Țesătoria Română SRL", "cui": "14399840",
               "representative_name": "Ștefan Ionescu", "message": "Vă aștept!", "expires_at": now() + timedelta(days=15)}
    async with unit_of_work():
        for n in range(count):
            await enqueue(kind="invitation", to=f"client{n}@example.ro", locale="ro", template="invitation",
                          context=context, link=f"http://localhost:8000/invite/bench-{n}")


async def _raw_send(messages: list, port: int) -> float:
    client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port)
    started = time.perf_counter()
    await client.connect()
    for message, to in messages:
        await client.send_message(message, sender=parseaddr(SENDER)[1], recipients=[to])
    await client.quit()
    return time.perf_counter() - started


async def _admin(server_url: str, sql: str) -> None:
    conn = await asyncpg.connect(server_url.replace("postgresql://", "postgres://", 1))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@asynccontextmanager
async def scratch_database(server_url: str | None):
    """A migrated database that exists only for this run: on the given PostgreSQL server, or SQLite."""
    if not server_url:
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite://{Path(tmp) / 'bench.sqlite3'}"
            await apply_migrations(url)
            yield url
        return
    name = f"portofoliu_bench_{uuid.uuid4().hex[:12]}"
    await _admin(server_url, f'CREATE DATABASE "{name}"')
    try:
        url = urlunsplit(urlsplit(server_url)._replace(path=f"/{name}"))
        await apply_migrations(url)
        yield url
    finally:
        await _admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def run(count: int = 1000, batch: int = 100, database_url: str | None = None) -> Result:
    async with scratch_database(database_url) as url:
        return await _measure(count, batch, url)


async def _measure(count: int, batch: int, database_url: str) -> Result:
    handler = CountingHandler()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        async with TortoiseContext() as ctx:
            await ctx.init(config=tortoise_config(database_url, pool_max=5))
            await _enqueue(count)
            rows = await OutboxMessage.all().order_by("id")
            prebuilt = [(build_message(outgoing(r, mail), SENDER), r.to_email) for r, mail in zip(rows, rendered_many(rows))]
            raw_seconds = await _raw_send(prebuilt, port)

            services = SimpleNamespace(mailer=SmtpMailer(SmtpConfig.from_url(f"smtp://127.0.0.1:{port}"), sender=SENDER))
            started = time.perf_counter()
            sent = 0
            while (delivered := await send_pending(services, batch=batch)):
                sent += delivered
            job_seconds = time.perf_counter() - started
            if sent != count or handler.received != 2 * count:
                raise RuntimeError(f"sent {sent}, server received {handler.received} (expected {count} + {count})")
    finally:
        controller.stop()
    return Result(count=count, job_seconds=job_seconds, raw_seconds=raw_seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=100)
    args = parser.parse_args()
    database_url = os.environ.get("BENCH_DATABASE_URL", "").strip() or None
    print(f"database: {'temporary SQLite' if not database_url else database_url.split('@')[-1]}")
    print(asyncio.run(run(args.count, args.batch, database_url)).report())


if __name__ == "__main__":
    main()
