"""Discovery against what ANAF really answers: certificates without the rights it needs, ANAF
refusing the firm's token, a restart of the service, and CUIs verified moments ago."""

from __future__ import annotations

from anaf.sandbox.efactura_messages import invoicing
from anaf.sandbox.faults import FaultConfig
from anaf.sandbox.state import SandboxConfig
from tests.support.discovery import ADD, accounting_firm, all_entries, discover, invoiced
from tests.support.efactura import CHECKLIST, INTEGRATION
from tests.support.factories import holder


async def checklist(service, token: str, company_id: str, lang: str | None = None) -> dict:
    return (await service.client(token, lang=lang).execute(CHECKLIST, id=company_id))["setupChecklist"]


async def firm_that_lost_its_own_rights(service, key: str = "small") -> tuple[str, dict]:
    """An accounting firm authorized with its own certificate (the authorization's probe confirmed
    the rights), whose rights on the firm's own CUI were withdrawn at ANAF afterwards: what holder
    "unlinked" is from the start, and what the authorization itself refuses (tests/graph/test_efactura_firm_rights_api.py)."""
    token, firm = await accounting_firm(service, key)
    service.sandbox.store.change_withdrawn(holder(key).serial, withdraw=[holder(key).firm_cui], restore=[])
    return token, firm


async def bell(company_id: str) -> list:
    from domain.notifications.models import Notification

    return list(await Notification.filter(company_id=int(company_id)).order_by("id"))


async def test_a_firm_without_rights_on_its_own_cui_is_told_what_to_do(service, db):
    """A certificate with SPV rights for the firm's clients but no longer for the firm itself: its
    sent invoices cannot be read, and the run, the checklist and the bell say what to do at ANAF."""
    unlinked = holder("small")
    token, firm = await firm_that_lost_its_own_rights(service)
    run = await discover(service, token, firm["id"])
    assert (run["status"], run["found"]) == ("FAILED", 0)  # never "0 entities found" with SUCCEEDED
    assert f"no SPV rights for the firm's own CUI {unlinked.firm_cui}" in run["error"] and "form 150" in run["error"]

    ro = await checklist(service, token, firm["id"], "ro")
    assert ro["efacturaActive"] is True and ro["ready"] is False
    [problem] = ro["problems"]
    assert problem["code"] == "NO_EFACTURA_RIGHTS" and problem["field"] == ["efactura"]
    assert f"nu are drepturi în SPV pentru CUI-ul firmei, {unlinked.firm_cui}" in problem["message"]
    en = await checklist(service, token, firm["id"], "en")
    assert "enrol the certificate in the Virtual Private Space (SPV)" in en["problems"][0]["message"]
    [note] = [n for n in await bell(firm["id"]) if n.kind == "PORTFOLIO_DISCOVERED"]
    assert note.title == "Portofoliul nu poate fi descoperit complet" and unlinked.firm_cui in note.body

    # The clients it does have rights for can still be added; the run then keeps them, still saying why it is partial.
    client = sorted(invoiced("small"))[0]
    added = (await service.client(token).execute(ADD, id=firm["id"], cuis=[client]))["addPortfolioCompanies"]
    assert added["errors"] == []
    run = await discover(service, token, firm["id"])
    assert (run["status"], run["found"]) == ("PARTIAL", 1) and "own CUI" in run["error"]


async def test_a_certificate_that_lost_every_right_gets_an_actionable_error(service, db):
    """"No rights at all" ("Nu exista niciun CIF petru ...") met by a discovery run: a certificate
    whose SPV rights were all withdrawn after it authorized. (One without any rights is refused by
    the authorization itself: tests/graph/test_efactura_firm_rights_api.py.)"""
    small = holder("small")
    token, company = await accounting_firm(service)
    service.sandbox.store.change_withdrawn(small.serial, withdraw=[*small.cuis], restore=[])
    run = await discover(service, token, company["id"])
    assert (run["status"], run["found"]) == ("FAILED", 0)
    assert "SPV rights for no company at all" in run["error"]
    problems = (await checklist(service, token, company["id"], "en"))["problems"]
    assert [p["code"] for p in problems] == ["NO_EFACTURA_RIGHTS"] and "no company at all" in problems[0]["message"]
    [note] = [n for n in await bell(company["id"]) if n.kind == "PORTFOLIO_DISCOVERED"]
    assert "nu are drepturi în SPV pentru nicio companie" in note.body


async def test_anaf_refusing_the_token_ends_the_integration_at_once(start_service, tmp_path, db):
    """A sandbox that never issued the firm's tokens (another state) refuses them with 401, as ANAF
    would refuse a withdrawn authorization: status, lastError, checklist and bell say so at once."""
    from domain.mail.models import OutboxMessage

    first = await start_service()
    token, firm = await accounting_firm(first)
    await first.stop()
    other = SandboxConfig(registry_min_interval=0.0, state_path=str(tmp_path / "another-anaf.sqlite3"))
    second = await start_service(sandbox_config=other)
    run = await discover(second, token, firm["id"])
    assert run["status"] == "FAILED" and "refused" in run["error"]
    integration = (await second.client(token).execute(INTEGRATION, id=firm["id"]))["efacturaIntegration"]
    assert integration["status"] == "EXPIRED"
    assert integration["lastError"].startswith("ANAF a refuzat autorizarea e-Factura salvată")  # the authorizer's language
    ready = await checklist(second, token, firm["id"])
    assert ready["ready"] is False and [p["code"] for p in ready["problems"]] == ["EFACTURA_NOT_AUTHORIZED"]
    notes = [n for n in await bell(firm["id"]) if n.kind == "EFACTURA_STATUS_CHANGED" and n.data.get("status") == "EXPIRED"]
    assert len(notes) == 1 and "refuzat" in notes[0].body
    assert await OutboxMessage.filter(kind="efactura_reauthorize").count() == 1


async def test_authorize_restart_the_server_then_discover(start_service, db):
    """The embedded sandbox keeps its signing key and issued tokens across a restart, as ANAF does."""
    first = await start_service()
    token, firm = await accounting_firm(first)
    await first.stop()
    second = await start_service()  # same database, same sandbox state beside it
    run = await discover(second, token, firm["id"])
    assert (run["status"], run["found"]) == ("SUCCEEDED", len(invoiced("small")))
    integration = (await second.client(token).execute(INTEGRATION, id=firm["id"]))["efacturaIntegration"]
    assert integration["status"] == "ACTIVE" and integration["lastError"] is None


async def test_a_partial_run_leaves_is_new_as_it_was(service, db):
    token, firm = await accounting_firm(service)
    assert (await discover(service, token, firm["id"]))["status"] == "SUCCEEDED"
    service.sandbox.faults["registry"] = FaultConfig(error_rate=1.0, error_status=503)
    run = await discover(service, token, firm["id"])
    assert run["status"] == "PARTIAL"
    entries = await all_entries(service, token, firm["id"])
    assert len(entries) == len(invoiced("small")) and all(e["isNew"] for e in entries)


async def test_cuis_verified_recently_are_not_probed_again(start_service, db):
    service = await start_service(discovery_options={"verified_fresh_seconds": 3600})
    token, firm = await accounting_firm(service)
    await discover(service, token, firm["id"])
    before = len(service.sandbox.efactura.calls)
    run = await discover(service, token, firm["id"])
    assert (run["status"], run["found"]) == ("SUCCEEDED", len(invoiced("small")))
    # One list of the firm's invoices, plus the probes of the buyers without rights (never verified).
    asked = len(service.sandbox.efactura.calls) - before
    assert asked == 1 + len(invoicing(holder("small").firm_cui).without_rights)
    entries = await all_entries(service, token, firm["id"])
    assert {e["cui"] for e in entries} == invoiced("small") and all(e["sources"] == ["INVOICED"] for e in entries)


async def test_the_daily_rediscovery_does_not_ring_a_known_rights_problem_again(service, db):
    from domain.portfolio.discovery import create_run

    token, firm = await firm_that_lost_its_own_rights(service)
    await discover(service, token, firm["id"])
    assert len([n for n in await bell(firm["id"]) if n.kind == "PORTFOLIO_DISCOVERED"]) == 1
    run, _ = await create_run(firm_id=int(firm["id"]), started_by_id=None)  # as the daily job starts it
    service.services.discovery.start(run.id)
    await service.services.discovery.wait(run.id)
    assert len([n for n in await bell(firm["id"]) if n.kind == "PORTFOLIO_DISCOVERED"]) == 1
    assert (await checklist(service, token, firm["id"]))["ready"] is False  # still shown there
    await discover(service, token, firm["id"])  # a person asking again hears it again
    assert len([n for n in await bell(firm["id"]) if n.kind == "PORTFOLIO_DISCOVERED"]) == 2
