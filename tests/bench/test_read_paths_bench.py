"""A tiny run of the read-paths benchmark on PostgreSQL: each screen answers under wrk, without
errors, beside the raw floor (PostGraphile and the second worker left out to stay fast), and where
/proc is readable the CPU time each server used is counted."""

import os
import shutil

import pytest

from tests.conftest import TEST_DATABASE_URL

pytestmark = pytest.mark.postgres


@pytest.mark.skipif(shutil.which("wrk") is None, reason="needs wrk (apt-get install wrk)")
async def test_bench_runs_with_small_sizes():
    from bench.read_paths import report, run

    out = await run(TEST_DATABASE_URL, duration=1, rounds=1, connections=4, postgraphile=False, workers=1,
                    firm_entries=120, table_rows=240)
    for (screen, server), figures in out["figures"].items():
        assert figures.runs[0].rps > 0 and figures.runs[0].errors == 0, (screen, server)
    assert len(out["figures"]) == 6
    assert "the raw floor" in report(out)
    if os.path.exists("/proc/stat"):
        for (screen, server), figures in out["figures"].items():
            cpu = figures.runs[0].cpu
            # Per-process and whole-machine counts are kept apart by the kernel, in ticks: a tick or two may differ.
            assert cpu is not None and 0 < cpu.server <= cpu.machine + 0.05 and cpu.machine <= cpu.capacity, (screen, server, cpu)
            assert figures.per_cpu_second > 0
        assert "req per CPU-s" in report(out)
