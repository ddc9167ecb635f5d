"""The read paths under load: three screens, three servers, one run.

Screens: the firm's portfolio page (`portfolio(companyId, first: 50)` with totalCount, pageInfo and
seven fields per node; a 2,000-entry firm in a 20,000-row table), the `companies` list ("Administrare
companii": the firm and its 30 clients) and the bell's `notifications(first: 20)` page (each with its
invitation and company; 200 notifications).

Servers, each one process on PostgreSQL, started here, hit by `wrk` (POST bodies from a Lua script):
  - this service: `portofoliu serve` (and `portofoliu serve --workers 2` on the portfolio page);
  - PostGraphile v4 over the same tables (installed from npm into a scratch folder; skipped, with
    the reason, when node/npm are missing). It has no session look-up: the firm and user ids are
    given in the query;
  - a raw Starlette + asyncpg handler doing the same work as the service (session, membership,
    count, page): `bench.raw_reads`.

Each (screen, server) pair is measured for `--duration` seconds with `--connections` concurrent
connections, `--rounds` times, the rounds interleaved (and every other one in reverse order) so that noise from other work on the
machine falls on every server alike. Printed: req/s (mean of the rounds, and each round), p99, and
the ratios to PostGraphile and to the raw floor.

Where /proc is readable (Linux), each measured load also records the CPU time the server's processes
used (every process of its session: `--workers` children included) and the machine's, from
/proc/<pid>/stat and /proc/stat before and after wrk: printed are the requests per server CPU-second
and the share of all the machine's CPU time the rest (PostgreSQL, wrk, anything else) took. On a
box whose cores are shared with the database and the load generator, a second worker can only be
as fast as the cores left to it; the CPU figures show how throughput follows the cores given.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test python -m bench.read_paths [--duration 8] [--rounds 3]

A scratch database is created next to the one named, and dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import signal
import statistics
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/test"
SECRET_KEY = "k1:bench-secret-key-0123456789"
POSTGRAPHILE = "postgraphile@4"
FIRM_ENTRIES = 2000
TABLE_ROWS = 20000
CLIENTS = 30
NOTIFICATIONS = 200

PORTFOLIO = """query Portfolio($companyId: ID!) { portfolio(companyId: $companyId, first: 50) {
  totalCount pageInfo { hasNextPage endCursor } edges { node { id cui name address status isNew rightsLostAt } } } }"""
COMPANIES = """query Companies { companies { relationship since company { id cui name } via { id name } } }"""
NOTIFICATIONS_QUERY = """query Bell { notifications(first: 20) { totalCount pageInfo { hasNextPage endCursor }
  edges { node { id kind title body createdAt readAt invitation { id status } company { id name } } } } }"""

PG_PORTFOLIO = """query Portfolio($firmId: BigInt!) { allPortfolioEntries(condition: {firmId: $firmId}, orderBy: [NAME_ASC, ID_ASC], first: 50) {
  totalCount pageInfo { hasNextPage endCursor } edges { node { id cui name address status isNew rightsLostAt } } } }"""
PG_COMPANIES = """query Companies($userId: BigInt!) { allMemberships(condition: {userId: $userId}) { nodes { createdAt
  companyByCompanyId { id cui name
    collaborationsByFirmId(condition: {status: "ACTIVE"}) { nodes { since companyByClientId { id cui name } } }
    collaborationsByClientId(condition: {status: "ACTIVE"}) { nodes { since companyByFirmId { id cui name } } } } } } }"""
PG_NOTIFICATIONS = """query Bell($userId: BigInt!) { allNotifications(condition: {userId: $userId}, orderBy: ID_DESC, first: 20) {
  totalCount pageInfo { hasNextPage endCursor }
  edges { node { id kind title body createdAt readAt invitationByInvitationId { id status } companyByCompanyId { id name } } } } }"""

SCREENS = ("portfolio", "companies", "notifications")


# -- the data -------------------------------------------------------------------------------------

@dataclass
class Seeded:
    user_id: int
    firm_id: int
    token: str
    entries: int


async def seed(database_url: str, *, firm_entries: int = FIRM_ENTRIES, table_rows: int = TABLE_ROWS) -> Seeded:
    """A firm with 2,000 entries among 20,000, 30 clients it collaborates with, 200 notifications."""
    from tortoise import Tortoise

    from domain.accounts import service as accounts
    from domain.accounts.models import User
    from domain.companies.models import Company, MemberRole, Membership
    from domain.invitations.models import Collaboration, Invitation, InvitationStatus
    from domain.kernel.clock import now
    from domain.notifications.models import Notification, NotificationKind
    from domain.portfolio.models import PortfolioEntry, PortfolioStatus
    from portofoliu.db import tortoise_config

    await Tortoise.init(config=tortoise_config(database_url))
    try:
        rng = random.Random(13)
        user = await User.create(email="contabil@example.ro", name="Elena Contabil", password_hash="-")
        signed_in = await accounts.open_session(user, ttl_seconds=24 * 3600)
        firms = [await Company.create(cui=str(30000000 + n), name=f"FIRMA DE CONTABILITATE {n}", provides_accounting_services=True)
                 for n in range(table_rows // firm_entries)]
        firm = firms[0]
        await Membership.create(user=user, company=firm, role=MemberRole.OWNER)
        clients = [await Company.create(cui=str(20000000 + n), name=f"CLIENT {n:02d} SRL") for n in range(CLIENTS)]
        at = now()
        invitations = [await Invitation.create(firm=firm, cui=c.cui, company_name=c.name, representative_name=f"Reprezentant {n}",
                                               email=f"client{n}@example.ro", phone=f"+4072200{n:04d}", status=InvitationStatus.ACCEPTED,
                                               token_hash=uuid.uuid4().hex * 2, sent_at=at, expires_at=at + timedelta(days=15),
                                               accepted_at=at, client_company=c)
                       for n, c in enumerate(clients)]
        await Collaboration.bulk_create([Collaboration(firm=firm, client=c, invitation=i) for c, i in zip(clients, invitations)])
        statuses = list(PortfolioStatus)
        entries = []
        for f in firms:
            for n in range(firm_entries):
                name = f"{rng.choice(['ALFA', 'BETA', 'CARPA', 'DELTA', 'EMINESCU', 'FAGET'])} {rng.randrange(10**6):06d} SRL"
                entries.append(PortfolioEntry(firm_id=f.id, cui=str(10000000 + n), name=name, address=f"Str. Exemplu nr. {n}, București",
                                              registration_number=f"J40/{n}/2010", registry_status="active", sources=["EFACTURA"],
                                              status=statuses[n % len(statuses)], is_new=n % 3 == 0,
                                              rights_lost_at=at if n % 50 == 0 else None))
        await PortfolioEntry.bulk_create(entries, batch_size=2000)
        kinds = [NotificationKind.CLIENT_ACCOUNT_CREATED, NotificationKind.INVITATION_ACCEPTED]
        await Notification.bulk_create([
            Notification(user=user, kind=kinds[n % 2], title=f"Client înscris {n}", body=f"{clients[n % CLIENTS].name} a creat un cont.",
                         invitation=invitations[n % CLIENTS], company=clients[n % CLIENTS], read_at=at if n % 4 == 0 else None)
            for n in range(NOTIFICATIONS)])
        return Seeded(user_id=user.id, firm_id=firm.id, token=signed_in.token, entries=firm_entries)
    finally:
        await Tortoise.close_connections()


# -- processes ------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    name: str
    url: str  # POST target per screen is url + path[screen]
    paths: dict[str, str]
    bodies: dict[str, dict]
    headers: dict[str, str]
    proc: subprocess.Popen | None = None
    skipped: str | None = None


def start(args: list[str], env: dict[str, str] | None = None, cwd: Path = ROOT) -> subprocess.Popen:
    """A server in its own process group; its output goes to a temporary file (a pipe nobody reads
    would fill up and stop it), read back if it dies."""
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(args, cwd=cwd, env={**os.environ, **(env or {})}, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    proc.log = log  # type: ignore[attr-defined]
    return proc


def output(proc: subprocess.Popen) -> str:
    proc.log.seek(0)  # type: ignore[attr-defined]
    return proc.log.read().decode(errors="replace")[-2000:]  # type: ignore[attr-defined]


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


async def wait_ready(url: str, proc: subprocess.Popen, *, method: str = "GET", body: dict | None = None, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(timeout=2.0) as http:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"{url} exited: {output(proc)}")
            try:
                response = await http.request(method, url, json=body)
                if response.status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} did not answer")


def service_server(name: str, database_url: str, seeded: Seeded, *, workers: int | None = None) -> Server:
    port = free_port()
    # Events through PostgreSQL (LISTEN/NOTIFY), as several processes need; nothing is published here.
    env = {"DATABASE_URL": database_url, "SECRET_KEY": SECRET_KEY, "JOBS_ENABLED": "false", "GRAPHIQL": "false",
           "BROADCAST_URL": database_url, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "portofoliu", "serve", "--port", str(port), "--log-level", "warning"]
    if workers is not None:
        command += ["--workers", str(workers)]
    bodies = {"portfolio": {"query": PORTFOLIO, "variables": {"companyId": str(seeded.firm_id)}},
              "companies": {"query": COMPANIES}, "notifications": {"query": NOTIFICATIONS_QUERY}}
    return Server(name, f"http://127.0.0.1:{port}", {s: "/graphql" for s in SCREENS}, bodies,
                  {"Authorization": f"Bearer {seeded.token}"}, proc=start(command, env))


def raw_server(dsn: str, seeded: Seeded) -> Server:
    port = free_port()
    proc = start([sys.executable, "-m", "bench.raw_reads", "--port", str(port), "--dsn", dsn], {"PYTHONPATH": str(ROOT)})
    bodies = {"portfolio": {"query": PORTFOLIO, "variables": {"companyId": str(seeded.firm_id)}},
              "companies": {"query": COMPANIES}, "notifications": {"query": NOTIFICATIONS_QUERY}}
    return Server("Starlette + asyncpg (raw)", f"http://127.0.0.1:{port}", {s: f"/{s}" for s in SCREENS}, bodies,
                  {"Authorization": f"Bearer {seeded.token}"}, proc=proc)


def postgraphile_server(dsn: str, seeded: Seeded, scratch: Path) -> Server:
    bodies = {"portfolio": {"query": PG_PORTFOLIO, "variables": {"firmId": str(seeded.firm_id)}},
              "companies": {"query": PG_COMPANIES, "variables": {"userId": str(seeded.user_id)}},
              "notifications": {"query": PG_NOTIFICATIONS, "variables": {"userId": str(seeded.user_id)}}}
    server = Server("PostGraphile v4", "", {s: "/graphql" for s in SCREENS}, bodies, {})
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        server.skipped = "node and npm are needed for PostGraphile (apt-get install nodejs npm)"
        return server
    folder = scratch / "postgraphile"
    cli = folder / "node_modules" / "postgraphile" / "cli.js"
    if not cli.exists():
        folder.mkdir(parents=True, exist_ok=True)
        done = subprocess.run([npm, "install", "--no-audit", "--no-fund", "--silent", "--prefix", str(folder), POSTGRAPHILE],
                              capture_output=True, text=True)
        if done.returncode != 0 or not cli.exists():
            server.skipped = f"npm install {POSTGRAPHILE} failed: {(done.stderr or done.stdout).strip()[-300:]}"
            return server
    port = free_port()
    server.url = f"http://127.0.0.1:{port}"
    server.proc = start([node, str(cli), "--connection", dsn, "--schema", "public", "--host", "127.0.0.1", "--port", str(port),
                         "--disable-query-log", "--disable-graphiql"], {"NODE_ENV": "production"}, cwd=folder)
    return server


# -- load -----------------------------------------------------------------------------------------

LUA = """wrk.method = "POST"
wrk.body = [==[{body}]==]
wrk.headers["Content-Type"] = "application/json"
{headers}
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d %d\\n", summary.requests, summary.duration,
    e.status + e.connect + e.read + e.write + e.timeout, latency:percentile(99), latency:percentile(50)))
end
"""


@dataclass
class Run:
    rps: float
    p99_ms: float
    p50_ms: float
    errors: int
    requests: int = 0
    seconds: float = 0.0
    cpu: "CpuUse | None" = None


# -- CPU time, from /proc -------------------------------------------------------------------------

TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@dataclass
class CpuUse:
    server: float  # CPU-seconds used by the server's processes
    machine: float  # CPU-seconds the machine spent busy (all cores, every process)
    capacity: float  # CPU-seconds the machine had (cores x wall time)

    @property
    def rest(self) -> float:
        """Share of the machine's CPU time the rest (PostgreSQL, wrk, other work) took."""
        return max(self.machine - self.server, 0.0) / self.capacity if self.capacity else 0.0


def session_cpu(session: int) -> float | None:
    """CPU-seconds (user + system, and those of reaped children) of every process of a session: a
    server started with `start_new_session` and the workers it forks."""
    total = 0
    try:
        entries = os.listdir("/proc")
    except OSError:
        return None
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                fields = f.read().rpartition(b")")[2].split()
        except OSError:  # gone meanwhile
            continue
        if int(fields[3]) == session:  # state ppid pgrp session ... utime(11) stime(12) cutime(13) cstime(14)
            total += int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])
    return total / TICK


def machine_cpu() -> tuple[float, float] | None:
    """(busy, total) CPU-seconds of all cores since boot, from /proc/stat."""
    try:
        with open("/proc/stat") as f:
            values = [int(v) for v in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    total = sum(values[:8])  # user nice system idle iowait irq softirq steal (guest time is inside user)
    return (total - values[3] - values[4]) / TICK, total / TICK


def cpu_snapshot(server: Server) -> tuple[float | None, tuple[float, float] | None]:
    return (session_cpu(server.proc.pid) if server.proc is not None else None), machine_cpu()


@dataclass
class Figures:
    runs: list[Run] = field(default_factory=list)

    @property
    def rps(self) -> float:
        return sum(r.rps for r in self.runs) / len(self.runs)

    @property
    def p99(self) -> float:
        return max(r.p99_ms for r in self.runs)

    @property
    def measured(self) -> list[Run]:
        return [r for r in self.runs if r.cpu is not None and r.cpu.server > 0]

    @property
    def per_cpu_second(self) -> float | None:
        """Requests answered per CPU-second the server's processes used."""
        runs = self.measured
        return sum(r.requests for r in runs) / sum(r.cpu.server for r in runs) if runs else None

    @property
    def cores(self) -> float | None:
        """The server's CPU time over the wall time: how many cores it kept busy."""
        runs = self.measured
        return sum(r.cpu.server for r in runs) / sum(r.seconds for r in runs) if runs else None

    @property
    def rest(self) -> float | None:
        """Share of the machine's CPU time the rest (PostgreSQL, wrk, other work) took meanwhile."""
        runs = self.measured
        return sum(r.cpu.rest * r.cpu.capacity for r in runs) / sum(r.cpu.capacity for r in runs) if runs else None

    @property
    def spread(self) -> float:
        values = [r.rps for r in self.runs]
        return (max(values) - min(values)) / (sum(values) / len(values)) if len(values) > 1 else 0.0


def wrk_script(folder: Path, server: Server, screen: str) -> Path:
    headers = "\n".join(f'wrk.headers["{k}"] = "{v}"' for k, v in server.headers.items())
    path = folder / f"{re.sub(r'[^a-z0-9]+', '-', server.name.lower())}-{screen}.lua"
    path.write_text(LUA.format(body=json.dumps(server.bodies[screen]), headers=headers))
    return path


def load(server: Server, screen: str, folder: Path, *, duration: float, connections: int) -> Run:
    script = wrk_script(folder, server, screen)
    before = cpu_snapshot(server)
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(duration))}s", "--timeout", "10s", "-s", str(script),
                          server.url + server.paths[screen]], capture_output=True, text=True, check=True).stdout
    after = cpu_snapshot(server)
    match = re.search(r"RESULT (\d+) (\d+) (\d+) (\d+) (\d+)", out)
    if not match:
        raise RuntimeError(f"wrk said: {out}")
    requests, micros, errors, p99, p50 = map(int, match.groups())
    cpu = None
    if before[0] is not None and after[0] is not None and before[1] is not None and after[1] is not None:
        # wrk's own start-up and the report fall inside the window too: a few milliseconds in seconds.
        capacity = after[1][1] - before[1][1]  # iowait may step back a little: busy time is capped by the total
        cpu = CpuUse(server=after[0] - before[0], machine=min(after[1][0] - before[1][0], capacity), capacity=capacity)
    return Run(rps=requests / (micros / 1e6), p99_ms=p99 / 1000, p50_ms=p50 / 1000, errors=errors, requests=requests,
               seconds=micros / 1e6, cpu=cpu)


def check_answer(server: Server, screen: str, entries: int) -> str:
    """One request before the load: the answer has data and no errors, and the expected sizes."""
    response = httpx.post(server.url + server.paths[screen], json=server.bodies[screen], headers=server.headers, timeout=30)
    body = response.json()
    if response.status_code != 200 or body.get("errors") or not body.get("data"):
        raise RuntimeError(f"{server.name} / {screen} answered {response.status_code}: {json.dumps(body)[:500]}")
    data = next(iter(body["data"].values()))
    if screen == "portfolio":
        assert len(data["edges"]) == 50 and int(data["totalCount"]) == entries, (server.name, data["totalCount"])
    elif screen == "notifications":
        assert len(data["edges"]) == 20 and int(data["totalCount"]) == NOTIFICATIONS, (server.name, data["totalCount"])
    elif screen == "companies":
        count = len(data) if isinstance(data, list) else sum(
            1 + len(m["companyByCompanyId"]["collaborationsByFirmId"]["nodes"]) for m in data["nodes"])
        assert count == 1 + CLIENTS, (server.name, count)
    return response.text


# -- the run --------------------------------------------------------------------------------------

def scratch_url(base: str) -> tuple[str, str]:
    parts = urlsplit(base)
    name = f"bench_reads_{uuid.uuid4().hex[:8]}"
    return name, urlunsplit(parts._replace(path=f"/{name}"))


async def admin(url: str, sql: str) -> None:
    conn = await asyncpg.connect(url.replace("postgresql://", "postgres://", 1))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def cpu_note() -> str:
    try:
        load1 = os.getloadavg()[0]
    except OSError:
        load1 = float("nan")
    return f"{os.cpu_count()} CPU(s), load average {load1:.1f} at the start"


async def run(base_url: str, *, duration: float, rounds: int, connections: int, screens: tuple[str, ...] = SCREENS,
              postgraphile: bool = True, workers: int = 2, scratch: Path | None = None,
              firm_entries: int = FIRM_ENTRIES, table_rows: int = TABLE_ROWS) -> dict:
    from portofoliu.db import apply_migrations

    name, url = scratch_url(base_url)
    await admin(base_url, f'CREATE DATABASE "{name}"')
    servers: list[Server] = []
    scratch = scratch or Path(tempfile.gettempdir()) / "portofoliu-bench-read-paths"
    scratch.mkdir(parents=True, exist_ok=True)
    figures: dict[tuple[str, str], Figures] = {}
    note = cpu_note()
    try:
        await apply_migrations(url)
        seeded = await seed(url, firm_entries=firm_entries, table_rows=table_rows)
        dsn = url.replace("postgresql://", "postgres://", 1)
        service = service_server("portofoliu serve", url, seeded)
        servers = [service]
        many = service_server(f"portofoliu serve --workers {workers}", url, seeded, workers=workers) if workers > 1 else None
        if many:
            servers.append(many)
        pgl = postgraphile_server(dsn, seeded, scratch) if postgraphile else None
        if pgl is not None and pgl.proc is not None:
            servers.append(pgl)
        raw = raw_server(dsn, seeded)
        servers.append(raw)
        for server in servers:
            path = server.paths["portfolio"]
            await wait_ready(server.url + ("/healthz" if server.name != "PostGraphile v4" else path), server.proc,
                             method="GET" if server.name != "PostGraphile v4" else "POST",
                             body=server.bodies["portfolio"] if server.name == "PostGraphile v4" else None)
        folder = Path(tempfile.mkdtemp(prefix="wrk-", dir=scratch))
        plan = [(screen, server) for screen in screens for server in servers if server is not many or screen == "portfolio"]
        for screen, server in plan:
            check_answer(server, screen, seeded.entries)
            load(server, screen, folder, duration=min(2.0, duration), connections=connections)  # warm-up
        for index in range(rounds):
            for screen, server in (plan if index % 2 == 0 else plan[::-1]):  # drift falls on both sides alike
                figures.setdefault((screen, server.name), Figures()).runs.append(
                    load(server, screen, folder, duration=duration, connections=connections))
        shutil.rmtree(folder, ignore_errors=True)
        return {"figures": figures, "servers": [s.name for s in servers], "service": service.name, "many": many.name if many else None,
                "postgraphile": pgl, "raw": raw.name, "screens": screens, "duration": duration, "rounds": rounds,
                "connections": connections, "note": note, "workers": workers}
    finally:
        for server in servers:
            if server.proc is not None:
                stop(server.proc)
        await admin(base_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def report(out: dict) -> str:
    figures: dict[tuple[str, str], Figures] = out["figures"]
    pgl: Server | None = out["postgraphile"]
    pgl_name = pgl.name if pgl is not None and pgl.skipped is None else None
    lines = [f"Read paths: {out['connections']} connections, {out['duration']:g} s x {out['rounds']} interleaved rounds per server "
             f"and screen, wrk, PostgreSQL on loopback ({out['note']}).", ""]
    lines.append(f"{'screen':<14}{'server':<30}{'req/s':>9}{'p99 ms':>9}{'errors':>8}  {'rounds (req/s)':<22}{'spread':>7}")
    for screen in out["screens"]:
        for name in out["servers"]:
            f = figures.get((screen, name))
            if f is None:
                continue
            rounds = ", ".join(f"{r.rps:,.0f}" for r in f.runs)
            lines.append(f"{screen:<14}{name:<30}{f.rps:>9,.0f}{f.p99:>9.1f}{sum(r.errors for r in f.runs):>8}  {rounds:<22}{f.spread:>6.0%}")
    if pgl is not None and pgl.skipped:
        lines.append(f"PostGraphile v4 skipped: {pgl.skipped}")
    lines += ["", "Ratios of req/s, same run: the median of the rounds' ratios (each round measures both servers "
                  "back to back), then the ratio of the means:"]

    def ratio(screen: str, ours: str, theirs: str) -> tuple[float, float]:
        a, b = figures[(screen, ours)], figures[(screen, theirs)]
        return statistics.median(x.rps / y.rps for x, y in zip(a.runs, b.runs)), a.rps / b.rps

    for screen in out["screens"]:
        parts = []
        if pgl_name:
            median, means = ratio(screen, out["service"], pgl_name)
            parts.append(f"{median:.2f}x PostGraphile v4 ({means:.2f}x; target >= 0.5: {'met' if median >= 0.5 else 'NOT met'})")
        median, means = ratio(screen, out["service"], out["raw"])
        parts.append(f"{median:.2f}x the raw floor ({means:.2f}x)")
        lines.append(f"  {screen:<14}" + "; ".join(parts))
    if out["many"] and ("portfolio", out["many"]) in figures:
        median, means = ratio("portfolio", out["many"], out["service"])
        lines.append(f"  {'workers':<14}--workers {out['workers']} over one process on the portfolio page: {median:.2f}x ({means:.2f}x; "
                     f"target >= 1.7: {'met' if median >= 1.7 else 'NOT met'})")
    lines += cpu_report(out)
    lines += ["", "Noise: 'spread' is (max - min) / mean of a server's rounds: other work on the machine shows there. A "
                  "second process only helps if a core is idle: under a load average above the core count it cannot."]
    return "\n".join(lines)


def cpu_report(out: dict) -> list[str]:
    """Requests per server CPU-second, the cores each server kept busy, and what the rest of the machine took."""
    figures: dict[tuple[str, str], Figures] = out["figures"]
    if not any(f.measured for f in figures.values()):
        return ["", "CPU time not measured (/proc not readable here)."]
    lines = ["", f"CPU time during the measured loads ({os.cpu_count()} CPU(s)): the server's processes (workers included), and "
                 "the share of the machine's CPU time the rest took (PostgreSQL, wrk, other work):",
             f"{'screen':<14}{'server':<30}{'req/s':>9}{'cores busy':>12}{'req per CPU-s':>15}{'rest of machine':>17}"]
    for screen in out["screens"]:
        for name in out["servers"]:
            f = figures.get((screen, name))
            if f is None or not f.measured:
                continue
            lines.append(f"{screen:<14}{name:<30}{f.rps:>9,.0f}{f.cores:>12.2f}{f.per_cpu_second:>15,.0f}{f.rest:>16.0%}")
    one, many = figures.get(("portfolio", out["service"])), figures.get(("portfolio", out["many"])) if out["many"] else None
    if one is not None and many is not None and one.measured and many.measured:
        lines.append(f"  {'workers':<14}portfolio page: one process {one.rps:,.0f} req/s on {one.cores:.2f} cores "
                     f"({one.per_cpu_second:,.0f} per CPU-s); --workers {out['workers']} {many.rps:,.0f} req/s on {many.cores:.2f} cores "
                     f"({many.per_cpu_second:,.0f} per CPU-s): {many.rps / one.rps:.2f}x the throughput with {many.cores / one.cores:.2f}x "
                     f"the CPU, while the rest took {many.rest:.0%} of the machine")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=8.0, help="seconds per measurement")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--screens", default=",".join(SCREENS), help="comma-separated subset of " + ", ".join(SCREENS))
    parser.add_argument("--workers", type=int, default=2, help="also measure `serve --workers N` on the portfolio page (1: skip)")
    parser.add_argument("--no-postgraphile", action="store_true")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install -y wrk")
    out = asyncio.run(run(os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL), duration=args.duration, rounds=args.rounds,
                          connections=args.connections, screens=tuple(s for s in args.screens.split(",") if s),
                          postgraphile=not args.no_postgraphile, workers=args.workers))
    print(report(out))


if __name__ == "__main__":
    main()
