"""Throwaway servers a test starts itself: a `redis-server` on a free port (so it can be killed and
restarted without touching the machine's Redis), and the service in a real subprocess."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

from tests.support.servers import bind_loopback

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    sock = bind_loopback()
    try:
        return sock.getsockname()[1]
    finally:
        sock.close()


class ThrowawayRedis:
    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    async def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(200):
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", self.port)
                writer.close()
                return
            except OSError:
                await asyncio.sleep(0.02)
        raise RuntimeError("redis-server did not start")

    async def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            await asyncio.to_thread(self.process.wait)
            self.process = None


@asynccontextmanager
async def throwaway_redis() -> AsyncIterator[ThrowawayRedis]:
    if shutil.which("redis-server") is None:
        if os.environ.get("REQUIRE_SERVICES") == "1":
            raise RuntimeError("redis-server is not installed")
        pytest.skip("redis-server is not installed")
    redis = ThrowawayRedis()
    await redis.start()
    try:
        yield redis
    finally:
        await redis.kill()


async def stop(process: subprocess.Popen, *, grace: float = 15) -> None:
    """SIGTERM, then SIGKILL if it has not exited within `grace` seconds."""
    process.send_signal(signal.SIGTERM)
    try:
        await asyncio.to_thread(process.wait, grace)
    except subprocess.TimeoutExpired:
        process.kill()
        await asyncio.to_thread(process.wait)


# What a newcomer's shell does not have: the service's settings (it runs on the embedded default).
SERVICE_SETTINGS = ("DATABASE_URL", "BROADCAST_URL", "SMTP_URL", "SECRET_KEY", "ANAF_", "APP_URL", "JOBS_ENABLED")


@asynccontextmanager
async def service_process(env: dict[str, str], *, newcomer_in: Path | None = None) -> AsyncIterator[str]:
    """`python -m portofoliu serve` in its own process (nothing shared in memory with the test);
    yields its base URL once it is ready (/readyz: database reachable, migrations applied).
    `newcomer_in`: run it as a newcomer does, in that empty folder with none of the service's settings
    (SQLite there, jobs on); otherwise beside the code, with jobs off and `env` added."""
    port = free_port()
    if newcomer_in is None:
        cwd, base_env = ROOT, {**os.environ, "JOBS_ENABLED": "false"}
    else:
        cwd, base_env = newcomer_in, {k: v for k, v in os.environ.items() if not k.startswith(SERVICE_SETTINGS)}
    process = subprocess.Popen([sys.executable, "-m", "portofoliu", "serve", "--port", str(port), "--log-level", "warning"],
                               cwd=cwd, env={**base_env, "PYTHONPATH": str(ROOT), **env}, stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(timeout=1.0) as http:
            for _ in range(400):
                if process.poll() is not None:
                    raise RuntimeError(f"the service process exited with {process.returncode}")
                try:
                    if (await http.get(url + "/readyz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.05)
            else:
                raise RuntimeError("the service process did not become ready")
        yield url
    finally:
        await stop(process)
