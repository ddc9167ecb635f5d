"""A discovery run whose process crashed (RUNNING, heartbeat still recent, nobody carrying it out)
resumes at once: at the next start-up, or on the next "start", not two minutes later."""

import asyncio

from anaf.sandbox.faults import FaultConfig
from domain.kernel.clock import now
from tests.support.discovery import accounting_firm, finished_run, invoiced, start_discovery


async def crashed_run(start_service):
    """A run left as a crash leaves it: RUNNING, with the heartbeat it had a moment ago."""
    from domain.portfolio.models import DiscoveryRun

    first = await start_service()
    token, firm = await accounting_firm(first, "medium")
    first.sandbox.faults["registry"] = FaultConfig(latency_ms=800)
    run = await start_discovery(first, token, firm["id"])
    while (await DiscoveryRun.get(id=int(run["id"]))).state.get("phase") != "probe":
        await asyncio.sleep(0.02)
    await first.stop()
    # What a killed process leaves behind: no shutdown ran, so the heartbeat is still fresh.
    await DiscoveryRun.filter(id=int(run["id"])).update(heartbeat_at=now())
    return token, firm, run


async def test_a_crashed_run_resumes_at_start_up_at_once(start_service, db):
    token, firm, run = await crashed_run(start_service)
    second = await start_service(discovery_options={"stale_after_seconds": 120.0})
    done = await asyncio.wait_for(finished_run(second, token, firm["id"]), timeout=30)
    assert done["id"] == run["id"] and done["status"] == "SUCCEEDED"
    assert done["found"] == len(invoiced("medium"))


async def test_start_takes_over_a_crashed_run_at_once(start_service, db):
    token, firm, run = await crashed_run(start_service)
    second = await start_service(discovery_options={"stale_after_seconds": 120.0, "resume_on_start": False})
    again = await start_discovery(second, token, firm["id"])
    assert again["id"] == run["id"]
    done = await asyncio.wait_for(finished_run(second, token, firm["id"]), timeout=30)
    assert done["id"] == run["id"] and done["status"] == "SUCCEEDED"
