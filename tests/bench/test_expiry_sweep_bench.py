"""A tiny run of the expiry sweep benchmark on PostgreSQL: the sweep does its whole work (checked
inside the benchmark) and the ratio is printed."""

import pytest

from tests.conftest import TEST_DATABASE_URL

pytestmark = pytest.mark.postgres


async def test_bench_runs_with_a_small_sweep():
    from bench.expiry_sweep import report, run

    out = await run(TEST_DATABASE_URL, invitations=500, rounds=1)
    assert len(out["sweep"]) == len(out["raw"]) == 1
    assert "ratio sweep / raw UPDATE" in report(out)
