"""Portfolio discovery over real HTTP, against the ANAF sandbox mounted in the service."""


import httpx
import pytest

from anaf.sandbox.efactura_messages import invoicing, profile
from anaf.sandbox.faults import FaultConfig
from portofoliu.settings import SANDBOX_MOUNT
from tests.support.discovery import (
    ADD,
    START,
    accounting_firm,
    all_entries,
    discover,
    finished_run,
    invoiced,
    start_discovery,
)
from tests.support.factories import holder, sandbox_company


def clients_of(key: str) -> set[str]:
    return set(holder(key).clients)


def unreachable_of(key: str) -> set[str]:
    """Companies the firm invoiced whose SPV rights its certificate does not have."""
    return set(invoicing(holder(key).firm_cui).without_rights)


async def sandbox_control(service, method: str, path: str, body: dict) -> dict:
    async with httpx.AsyncClient() as http:
        response = await http.request(method, f"{service.url}{SANDBOX_MOUNT}{path}", json=body)
        response.raise_for_status()
        return response.json()


async def test_small_portfolio_discovered_with_registry_names_and_notified(service, db):
    from domain.notifications.models import Notification

    token, firm = await accounting_firm(service)
    started = await start_discovery(service, token, firm["id"])
    assert started["status"] == "RUNNING"
    run = await finished_run(service, token, firm["id"])
    expected = invoiced("small")
    candidates = len(expected) + len(unreachable_of("small"))
    assert expected < clients_of("small")  # most clients were invoiced lately, not all
    assert (run["status"], run["total"], run["checked"], run["found"], run["newCount"]) == (
        "SUCCEEDED", candidates, candidates, len(expected), len(expected))
    entries = await all_entries(service, token, firm["id"])
    # Every invoiced client with rights, none without (each was probed), no person, no foreign buyer.
    assert {e["cui"] for e in entries} == expected
    plan = invoicing(holder("small").firm_cui)
    assert plan.self_billed <= expected  # found through the self-billing wording too
    assert any(profile(c) == "flood" for c in expected)  # its probe answers "over 500": rights confirmed
    for entry in entries:
        company = sandbox_company(entry["cui"])
        assert entry["name"] == company.name.upper() and entry["address"] == company.address
        assert entry["sources"] == ["INVOICED"] and entry["status"] == "DISCOVERED" and entry["isNew"] is True
    [note] = await Notification.filter(kind="PORTFOLIO_DISCOVERED")
    assert note.company_id == int(firm["id"]) and note.body == f"{len(expected)} entități găsite"
    summary = (await service.client(token).execute("query($id: ID!) { portfolioSummary(companyId: $id) { total discovered invited } }",
                                                   id=firm["id"]))["portfolioSummary"]
    assert summary == {"total": len(expected), "discovered": len(expected), "invited": 0}


async def test_rediscovery_is_idempotent(service, db):
    from domain.portfolio.models import PortfolioEntry

    token, firm = await accounting_firm(service)
    first = await discover(service, token, firm["id"])
    second = await discover(service, token, firm["id"])
    assert second["id"] != first["id"] and second["status"] == "SUCCEEDED"
    assert (second["found"], second["newCount"]) == (first["found"], 0)
    assert await PortfolioEntry.filter(firm_id=int(firm["id"])).count() == len(invoiced("small"))
    assert not any(e["isNew"] for e in await all_entries(service, token, firm["id"]))


@pytest.mark.parametrize("accounting,authorize,code", [
    (False, True, "ACCOUNTING_SERVICES_DISABLED"),
    (True, False, "EFACTURA_NOT_AUTHORIZED"),
])
async def test_discovery_needs_the_prerequisites(service, db, accounting, authorize, code):
    from domain.portfolio.models import DiscoveryRun

    token, firm = await accounting_firm(service, accounting=accounting, authorize=authorize)
    result = (await service.client(token).execute(START, id=firm["id"]))["startPortfolioDiscovery"]
    assert result["run"] is None and [e["code"] for e in result["errors"]] == [code]
    added = (await service.client(token).execute(ADD, id=firm["id"], cuis=[holder().cuis[1]]))["addPortfolioCompanies"]
    assert [e["code"] for e in added["errors"]] == [code]
    assert await DiscoveryRun.all().count() == 0


async def test_second_start_returns_the_running_run(service, db):
    token, firm = await accounting_firm(service, "medium")
    service.sandbox.faults["registry"] = FaultConfig(latency_ms=300)
    first = await start_discovery(service, token, firm["id"])
    second = await start_discovery(service, token, firm["id"])
    assert second["id"] == first["id"]
    service.sandbox.faults.clear()
    assert (await finished_run(service, token, firm["id"]))["status"] == "SUCCEEDED"


async def test_rights_withdrawn_at_run_time_are_flagged_on_rediscovery(service, db):
    token, firm = await accounting_firm(service)
    await discover(service, token, firm["id"])
    gone = sorted(invoiced("small"))[:2]
    await sandbox_control(service, "POST", "/rights", {"holder": "small", "withdraw": gone})
    run = await discover(service, token, firm["id"])
    assert run["status"] == "SUCCEEDED" and run["found"] == len(invoiced("small")) - 2
    entries = {e["cui"]: e for e in await all_entries(service, token, firm["id"])}
    assert sorted(c for c, e in entries.items() if e["rightsLostAt"]) == gone
    # Rights given back: the next run clears the flag.
    await sandbox_control(service, "POST", "/rights", {"holder": "small", "restore": gone})
    await discover(service, token, firm["id"])
    assert not any(e["rightsLostAt"] for e in await all_entries(service, token, firm["id"]))


async def test_hand_added_cuis_are_verified_at_anaf(service, db):
    from domain.portfolio.models import PortfolioEntry

    token, firm = await accounting_firm(service)
    mine = sorted(invoiced("small"))[0]
    not_mine = sorted(clients_of("medium"))[0]
    cuis = [f"RO {mine}", "12345678", not_mine, "abc", mine]
    result = (await service.client(token).execute(ADD, id=firm["id"], cuis=cuis))["addPortfolioCompanies"]
    assert [(e["code"], e["field"]) for e in result["errors"]] == [
        ("INVALID_CUI", ["cuis", "1"]), ("INVALID_CUI", ["cuis", "3"]), ("NO_EFACTURA_RIGHTS", ["cuis", "2"])]
    assert result["entries"] == [{"cui": mine, "name": sandbox_company(mine).name.upper(), "sources": ["MANUAL"]}]
    assert await PortfolioEntry.filter(firm_id=int(firm["id"])).count() == 1
    # Discovery keeps the hand-added source beside the invoiced one.
    await discover(service, token, firm["id"])
    entries = {e["cui"]: e for e in await all_entries(service, token, firm["id"])}
    assert entries[mine]["sources"] == ["INVOICED", "MANUAL"] and not_mine not in entries


async def test_hand_added_cui_when_anaf_is_down_writes_nothing(service, db):
    from domain.portfolio.models import PortfolioEntry

    token, firm = await accounting_firm(service)
    service.sandbox.faults["efactura"] = FaultConfig(error_rate=1.0, error_status=503)
    result = (await service.client(token).execute(ADD, id=firm["id"], cuis=[sorted(clients_of("small"))[0]]))["addPortfolioCompanies"]
    assert [e["code"] for e in result["errors"]] == ["ANAF_UNAVAILABLE"] and result["entries"] == []
    assert await PortfolioEntry.all().count() == 0


async def test_known_cuis_not_invoiced_are_probed_one_by_one(service, db):
    """Clients added by hand that the firm did not invoice lately are checked one by one."""
    token, firm = await accounting_firm(service)
    mine = sorted(clients_of("small") - invoiced("small"))[:3]
    assert len(mine) == 3
    await service.client(token).execute(ADD, id=firm["id"], cuis=mine)
    await sandbox_control(service, "POST", "/rights", {"holder": "small", "withdraw": mine[:1]})
    run = await discover(service, token, firm["id"])
    candidates = len(invoiced("small")) + len(unreachable_of("small")) + 3
    assert (run["status"], run["total"], run["checked"], run["found"]) == (
        "SUCCEEDED", candidates, candidates, len(invoiced("small")) + 2)
    entries = {e["cui"]: e for e in await all_entries(service, token, firm["id"])}
    assert entries[mine[0]]["rightsLostAt"] and not entries[mine[1]]["rightsLostAt"]
    assert entries[mine[1]]["sources"] == ["MANUAL"]


async def test_the_list_mode_scenario_takes_the_rights_list_without_probing(start_service, db):
    """Should ANAF's `cui` field ever list the certificate's rights (unconfirmed), they need no probe."""
    from anaf.sandbox.state import SandboxConfig

    service = await start_service(sandbox_config=SandboxConfig(registry_min_interval=0.0, efactura_cui_field="list"))
    token, firm = await accounting_firm(service)
    run = await discover(service, token, firm["id"])
    assert (run["status"], run["found"]) == ("SUCCEEDED", len(clients_of("small")))
    entries = {e["cui"]: e for e in await all_entries(service, token, firm["id"])}
    assert set(entries) == clients_of("small")
    some_invoiced = sorted(invoiced("small"))[0]
    assert entries[some_invoiced]["sources"] == ["EFACTURA", "INVOICED"]


async def test_anaf_down_mid_run_ends_partial_then_a_new_run_finishes(service, db):
    token, firm = await accounting_firm(service, "medium")
    service.sandbox.faults["registry"] = FaultConfig(error_rate=1.0, error_status=503)
    run = await discover(service, token, firm["id"])
    assert run["status"] == "PARTIAL" and "ANAF" in run["error"] and run["found"] == 0
    service.sandbox.faults.clear()
    run = await discover(service, token, firm["id"])
    assert run["status"] == "SUCCEEDED" and run["found"] == len(invoiced("medium"))


async def test_slow_anaf_and_429s_are_waited_out(start_service, db):

    # Ten calls a second at most: probing the ~30 candidates meets 429s, which are backed off and retried.
    service = await start_service(discovery_options={"pause_seconds": 1.0, "attempts": 3, "probe_concurrency": 4})
    token, firm = await accounting_firm(service)
    await sandbox_control(service, "PUT", "/efactura/config", {"per_minute": 10, "rate_window_seconds": 1})
    service.sandbox.faults["registry"] = FaultConfig(latency_ms=200)
    run = await discover(service, token, firm["id"])
    assert (run["status"], run["found"]) == ("SUCCEEDED", len(invoiced("small")))
    assert service.sandbox.efactura.rejected_429 >= 1
    assert service.sandbox.faults.injected["registry:latency"] >= 1


async def test_daily_quota_leaves_a_partial_run(start_service, db):
    from anaf.sandbox.state import SandboxConfig

    # Two simple lists per CUI a day: the firm's own CUI needs both (the authorization's probe, then
    # the run's read of its sent invoices).
    service = await start_service(sandbox_config=SandboxConfig(registry_min_interval=0.0, efactura_per_day_per_cui=2))
    token, firm = await accounting_firm(service)
    cui = sorted(invoiced("small"))[0]
    for _ in range(2):  # spends the CUI's calls for today
        await service.client(token).execute(ADD, id=firm["id"], cuis=[cui])
    run = await discover(service, token, firm["id"])  # the quota is hit mid-run, on that CUI's probe
    assert run["status"] == "PARTIAL" and "daily limit" in run["error"]
    assert run["found"] == len(invoiced("small")) - 1  # the others were checked and kept
    entries = {e["cui"]: e for e in await all_entries(service, token, firm["id"])}
    assert entries[cui]["rightsLostAt"] is None  # not known to be lost: only not checkable today
    assert all(e["isNew"] for e in entries.values())  # a partial run leaves `isNew` as it was
