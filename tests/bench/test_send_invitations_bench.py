"""A tiny run of the sendInvitations benchmark on PostgreSQL: it works and its statement count is flat."""

import pytest

from tests.conftest import TEST_DATABASE_URL

pytestmark = pytest.mark.postgres


async def test_bench_runs_with_small_sizes():
    from bench.send_invitations import report, run

    out = await run(TEST_DATABASE_URL, rows=20, small=2)
    assert out["figures"][2][0] == out["figures"][20][0]
    assert "constant" in report(out)
