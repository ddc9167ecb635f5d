"""The outbox benchmark still runs end to end (tiny size)."""

from bench.outbox_smtp import run
from tests.conftest import ON_POSTGRES, TEST_DATABASE_URL


async def test_outbox_benchmark_sends_everything_and_reports_a_ratio():
    result = await run(count=15, batch=4, database_url=TEST_DATABASE_URL if ON_POSTGRES else None)
    assert result.count == 15 and result.job_seconds > 0 and result.raw_seconds > 0
    assert "ratio" in result.report()
