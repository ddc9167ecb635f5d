"""The daily re-discovery job, and runs resumed after a process restart."""

import asyncio

from anaf.sandbox.faults import FaultConfig
from jobs.rediscover_portfolios import rediscover_due
from tests.support.discovery import accounting_firm, all_entries, finished_run, invoiced, start_discovery
from tests.support.factories import holder


async def test_job_starts_runs_only_for_due_authorized_firms(service, db):
    from domain.portfolio.models import DiscoveryRun

    token, firm = await accounting_firm(service)
    other, _ = await accounting_firm(service, "medium", authorize=False)
    [run_id] = await rediscover_due(service.services)
    await service.services.discovery.wait(run_id)
    run = await DiscoveryRun.get(id=run_id)
    assert run.firm_id == int(firm["id"]) and run.status == "SUCCEEDED"
    assert await rediscover_due(service.services) == []  # not due again today
    assert len(await all_entries(service, token, firm["id"])) == len(invoiced("small"))


async def test_a_run_cut_by_a_restart_resumes_from_its_state(start_service, db):
    from domain.portfolio.models import DiscoveryRun

    first = await start_service()
    token, firm = await accounting_firm(first, "medium")
    first.sandbox.faults["registry"] = FaultConfig(latency_ms=800)
    run = await start_discovery(first, token, firm["id"])
    while not (await DiscoveryRun.get(id=int(run["id"]))).state.get("to_enrich"):
        await asyncio.sleep(0.02)
    await first.stop()  # the process shuts down mid-run (the registry is slow to answer)
    stopped = await DiscoveryRun.get(id=int(run["id"]))
    assert stopped.status == "RUNNING" and stopped.heartbeat_at is None and stopped.state["to_enrich"]

    second = await start_service()  # a new process on the same database resumes it at start-up
    done = await finished_run(second, token, firm["id"])
    assert done["id"] == run["id"] and done["status"] == "SUCCEEDED"
    assert done["found"] == len(invoiced("medium"))


async def test_job_checks_unconfirmed_authorizations_before_rediscovering(service, db):
    from domain.efactura.models import EfacturaIntegration
    from domain.portfolio.models import DiscoveryRun

    token, firm = await accounting_firm(service)  # authorized with its own certificate
    other_token, other = await accounting_firm(service, "medium")
    # As if ANAF had not answered the probe right after each authorization.
    await EfacturaIntegration.all().update(rights_checked_at=None)
    # The second firm's certificate lost its rights on the firm's own CUI.
    service.sandbox.store.change_withdrawn(holder("medium").serial, withdraw=[holder("medium").firm_cui], restore=[])
    [run_id] = await rediscover_due(service.services)
    await service.services.discovery.wait(run_id)
    assert (await DiscoveryRun.get(id=run_id)).firm_id == int(firm["id"])
    checked = await EfacturaIntegration.get(company_id=int(firm["id"]))
    refused = await EfacturaIntegration.get(company_id=int(other["id"]))
    assert checked.status == "ACTIVE" and checked.rights_checked_at is not None
    assert refused.status == "ERROR" and refused.access_token_enc is None and holder("medium").firm_cui in refused.last_error
