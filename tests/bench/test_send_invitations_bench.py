"""A tiny run of the sendInvitations benchmark on PostgreSQL: it works and its statement count is flat."""

import pytest

from tests.conftest import TEST_DATABASE_URL

pytestmark = pytest.mark.postgres


async def test_bench_runs_with_small_sizes():
    from bench.send_invitations import report, run

    out = await run(TEST_DATABASE_URL, rows=20, rounds=2, small=2)
    assert out["statements"][2] == out["statements"][20]
    assert len(out["times"]) == len(out["executemany"]) == 2
    assert "constant" in report(out)
