"""Live notifications at scale: N concurrent `notificationAdded` subscribers on one server process,
then spread over two server processes sharing Redis.

Measured: latency from the commit of a notification to its receipt by the subscriber's WebSocket,
p50/p99, in two shapes: a burst (each round notifies all N users in one transaction; over every
delivery) and single notifications (one recipient per commit while the other N - 1 sockets stay
idle: the bell's everyday responsiveness); and memory per idle connection (server RSS after opening
N sockets minus before, / N). The baseline, measured in the same run against the same Redis: a raw
pub/sub round trip (publish → a subscribed client receives), p50/p99, and the ratio.

    [BENCH_DATABASE_URL=postgres://...] python -m bench.subscriptions [--subscribers 2000] [--rounds 3] [--singles 50]

Servers are real `python -m portofoliu serve` subprocesses on a temporary database (SQLite, or one
created for the run on the PostgreSQL server BENCH_DATABASE_URL names); Redis is a throwaway
`redis-server` on a free port. The subscribers run in this process, on uvloop when it is installed
(as the servers do), so that reading 2,000 sockets is not what the figures measure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

import httpx
from redis import asyncio as aioredis
from tortoise import Tortoise
from websockets.asyncio.client import connect

from domain.accounts import service as accounts
from domain.accounts.models import User
from domain.kernel import events
from domain.kernel.events import unit_of_work
from domain.notifications.models import NotificationKind
from domain.notifications.service import Text, notify
from bench.outbox_smtp import scratch_database
from portofoliu.db import tortoise_config
from portofoliu.pubsub import create_broadcast

ROOT = Path(__file__).resolve().parents[1]
SECRET_KEY = "k1:bench-secret-key-0123456789"
SUBSCRIBE = json.dumps({"id": "1", "type": "subscribe", "payload": {"query": "subscription { notificationAdded { id } }"}})


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


@asynccontextmanager
async def process(args: list[str], env: dict[str, str] | None = None):
    proc = subprocess.Popen(args, cwd=ROOT, env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield proc
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.to_thread(proc.wait, 20)
        except subprocess.TimeoutExpired:
            proc.kill()


async def wait_http(url: str, proc: subprocess.Popen) -> None:
    async with httpx.AsyncClient(timeout=1.0) as http:
        for _ in range(400):
            if proc.poll() is not None:
                raise RuntimeError("server exited")
            try:
                if (await http.get(url)).status_code == 200:
                    return
            except httpx.TransportError:
                await asyncio.sleep(0.05)
    raise RuntimeError(f"{url} did not answer")


async def start_server(stack: AsyncExitStack, database_url: str, redis_url: str) -> tuple[str, int]:
    port = free_port()
    env = {"DATABASE_URL": database_url, "BROADCAST_URL": redis_url, "SECRET_KEY": SECRET_KEY, "JOBS_ENABLED": "false",
           "GRAPHIQL": "false", "PYTHONPATH": str(ROOT)}
    proc = await stack.enter_async_context(process([sys.executable, "-m", "portofoliu", "serve", "--port", str(port),
                                                    "--log-level", "warning"], env))
    url = f"http://127.0.0.1:{port}"
    await wait_http(url + "/healthz", proc)
    return url, proc.pid


class Subscriber:
    """One browser tab: a socket with the bell subscribed, noting when each notification arrives."""

    def __init__(self) -> None:
        self.arrivals: dict[int, float] = {}
        self.subscribed = asyncio.Event()

    async def run(self, url: str, token: str, ready: asyncio.Semaphore) -> None:
        async with ready:
            ws = await connect(url.replace("http://", "ws://") + "/graphql", subprotocols=["graphql-transport-ws"], max_queue=None)
            await ws.send(json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}))
            assert json.loads(await ws.recv())["type"] == "connection_ack"
            await ws.send(SUBSCRIBE)
        self.subscribed.set()
        try:
            async for raw in ws:
                message = json.loads(raw)
                if message.get("type") == "next":
                    self.arrivals[int(message["payload"]["data"]["notificationAdded"]["id"])] = time.perf_counter()
        finally:
            await ws.close()


async def make_users(count: int) -> list[tuple[int, str]]:
    users = []
    for index in range(count):
        user = await User.create(email=f"bench{index}@example.ro", name=f"Bench {index}", password_hash="-")
        signed_in = await accounts.open_session(user, ttl_seconds=3600)
        users.append((user.id, signed_in.token))
    return users


async def wait_for(subscribers: list[Subscriber], ids: set[int], timeout: float = 60) -> None:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline and sum(1 for s in subscribers for i in s.arrivals if i in ids) < len(ids):
        await asyncio.sleep(0.005)


def summary(latencies: list[float], expected: int) -> dict:
    return {"delivered": len(latencies), "expected": expected,
            "p50": percentile(latencies, 50) if latencies else float("nan"),
            "p99": percentile(latencies, 99) if latencies else float("nan")}


class CommitClock:
    """When the events of the last commit started going out: right after the commit, before the
    publishing of a burst's events (which itself takes a while) is done."""

    def __init__(self) -> None:
        self.published: float | None = None

    def reset(self) -> None:
        self.published = None

    def commit_time(self) -> float:
        assert self.published is not None, "the commit published no event"
        return self.published


async def scenario(name: str, servers: list[tuple[str, int]], users: list[tuple[int, str]], rounds: int,
                   singles: int, clock: CommitClock, warmups: int = 1) -> dict:
    rss_before = {pid: rss_kib(pid) for _, pid in servers}
    ready = asyncio.Semaphore(100)
    subscribers = [Subscriber() for _ in users]
    tasks = [asyncio.create_task(sub.run(servers[i % len(servers)][0], token, ready)) for i, (sub, (_, token)) in enumerate(zip(subscribers, users))]
    await asyncio.gather(*(s.subscribed.wait() for s in subscribers))
    await asyncio.sleep(1.0 + len(users) / 1000)  # every subscription has subscribed its channel and read its cursor
    rss_after = {pid: rss_kib(pid) for _, pid in servers}
    per_connection = sum(rss_after[p] - rss_before[p] for p in rss_after) * 1024 / len(users)

    commits: dict[int, float] = {}
    latencies: list[float] = []
    user_ids = [user_id for user_id, _ in users]
    rounds_of: list[set[int]] = []
    for round_ in range(-warmups, rounds):  # the warm-up bursts (negative rounds) are not counted
        clock.reset()
        async with unit_of_work():
            rows = await notify(user_ids=user_ids, kind=NotificationKind.PORTFOLIO_DISCOVERED,
                                text=Text(ro=(f"Runda {round_}", "corp"), en=(f"Round {round_}", "body")))
        committed = clock.commit_time()
        if round_ >= 0:
            for row in rows:
                commits[row.id] = committed
            rounds_of.append({row.id for row in rows})
        await wait_for(subscribers, {row.id for row in rows})
    for sub in subscribers:
        latencies += [(t - commits[i]) * 1000 for i, t in sub.arrivals.items() if i in commits]
    per_round = [percentile([(t - commits[i]) * 1000 for sub in subscribers for i, t in sub.arrivals.items() if i in ids], 99)
                 for ids in rounds_of]

    # One recipient per commit, spread over the users (and so over the processes); the rest idle.
    single_latencies: list[float] = []
    for index in range(singles):
        position = index * max(1, len(users) // max(1, singles)) % len(users)
        clock.reset()
        async with unit_of_work():
            [row] = await notify(user_ids=[user_ids[position]], kind=NotificationKind.PORTFOLIO_DISCOVERED,
                                 text=Text(ro=(f"Una {index}", "corp"), en=(f"One {index}", "body")))
        committed = clock.commit_time()
        await wait_for([subscribers[position]], {row.id}, timeout=10)
        if row.id in subscribers[position].arrivals:
            single_latencies.append((subscribers[position].arrivals[row.id] - committed) * 1000)

    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return {"name": name, "burst": {**summary(latencies, rounds * len(users)), "rounds": per_round},
            "single": summary(single_latencies, singles), "per_connection": per_connection}


async def raw_redis_round_trip(url: str, samples: int = 500) -> tuple[float, float]:
    publisher, listener = aioredis.Redis.from_url(url), aioredis.Redis.from_url(url)
    pubsub = listener.pubsub()
    await pubsub.subscribe("bench:raw")
    await pubsub.get_message(timeout=1)  # the subscribe confirmation
    times = []
    for _ in range(samples):
        start = time.perf_counter()
        await publisher.publish("bench:raw", "x")
        while (await pubsub.get_message(timeout=1)) is None:
            pass
        times.append((time.perf_counter() - start) * 1000)
    await pubsub.aclose()
    await publisher.aclose()
    await listener.aclose()
    return percentile(times, 50), percentile(times, 99)


async def main(subscribers: int, rounds: int, singles: int, warmups: int = 1) -> None:
    if shutil.which("redis-server") is None:
        sys.exit("redis-server is needed for this benchmark")
    redis_port = free_port()
    redis_url = f"redis://127.0.0.1:{redis_port}/0"
    async with AsyncExitStack() as stack:
        database_url = await stack.enter_async_context(scratch_database(os.environ.get("BENCH_DATABASE_URL", "").strip() or None))
        await stack.enter_async_context(process(["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1",
                                                 "--save", "", "--appendonly", "no"]))
        await asyncio.sleep(0.3)
        await Tortoise.init(config=tortoise_config(database_url))
        stack.push_async_callback(Tortoise.close_connections)
        broadcast = create_broadcast(redis_url)
        await broadcast.connect()
        stack.push_async_callback(broadcast.disconnect)

        async def publish(committed):
            if clock.published is None:
                clock.published = time.perf_counter()
            await broadcast.publish_many([(channel, json.dumps(payload)) for channel, payload in committed])

        clock = CommitClock()
        events.set_publisher(publish)
        stack.callback(events.set_publisher, None)
        users = await make_users(subscribers)
        raw_p50, raw_p99 = await raw_redis_round_trip(redis_url)

        results = []
        async with AsyncExitStack() as servers:
            one = [await start_server(servers, database_url, redis_url)]
            results.append(await scenario("1 process", one, users, rounds, singles, clock, warmups))
        async with AsyncExitStack() as servers:
            two = [await start_server(servers, database_url, redis_url) for _ in range(2)]
            results.append(await scenario("2 processes via Redis", two, users, rounds, singles, clock, warmups))

    print(f"{subscribers} subscribers; burst: {rounds} rounds (after {warmups} not counted), each notifying every subscriber in one commit; "
          f"single: {singles} commits, each notifying one subscriber while the others idle; {os.cpu_count()} cores; "
          f"{'PostgreSQL' if os.environ.get('BENCH_DATABASE_URL', '').strip() else 'SQLite'}")
    print(f"baseline: raw Redis pub/sub round trip              p50 {raw_p50:7.2f} ms  p99 {raw_p99:7.2f} ms")
    for r in results:
        for shape in ("burst", "single"):
            m = r[shape]
            print(f"{r['name']:<24} {shape:<6} commit→receipt  p50 {m['p50']:7.1f} ms  p99 {m['p99']:7.1f} ms  "
                  f"(×{m['p50'] / raw_p50:,.0f} / ×{m['p99'] / raw_p99:,.0f} the raw round trip)  delivered {m['delivered']}/{m['expected']}"
                  + (f"; p99 by round: {' / '.join(f'{p:.0f}' for p in m['rounds'])} ms" if m.get("rounds") else ""))
        print(f"{r['name']:<24} memory per idle connection {r['per_connection'] / 1024:6.1f} KiB")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--singles", type=int, default=50)
    parser.add_argument("--warmups", type=int, default=1, help="bursts before the counted ones (the first statements, plans and caches)")
    options = parser.parse_args()
    try:
        import uvloop
    except ImportError:
        uvloop = None
    (uvloop.run if uvloop is not None else asyncio.run)(main(options.subscribers, options.rounds, options.singles, options.warmups))
