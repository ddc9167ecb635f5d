"""The live-notifications benchmark still runs end to end (tiny size) and says what it measured."""

import shutil

import pytest

from bench.subscriptions import main

pytestmark = pytest.mark.redis


async def test_subscriptions_benchmark_delivers_every_notification(capsys, monkeypatch):
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    monkeypatch.delenv("BENCH_DATABASE_URL", raising=False)  # a SQLite database of its own
    await main(subscribers=12, rounds=2, singles=3, warmups=1)
    out = capsys.readouterr().out
    assert out.count("delivered 24/24; p99 by round: ") == 2  # one process, then two
    assert out.count("delivered 3/3") == 2
    assert "memory per idle connection" in out and "raw Redis pub/sub round trip" in out
