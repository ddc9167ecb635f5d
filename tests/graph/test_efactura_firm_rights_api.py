"""An e-Factura authorization is for this firm: right after the code exchange the new token probes the
firm's own CUI at ANAF (the sandbox, over real HTTP); a certificate without rights there leaves the
integration in ERROR, with what to do, and nothing can use it."""

from __future__ import annotations

import httpx
import pytest

from anaf.sandbox.faults import FaultConfig
from domain.efactura.models import EfacturaIntegration
from tests.support.efactura import CHECKLIST, COMPLETE, INTEGRATION, firm, follow_to_callback, landing, pick_certificate, query_of, start
from tests.support.factories import holder
from tests.support.invitations import SEND, add_to_portfolio, row

START_DISCOVERY = """mutation($id: ID!) { startPortfolioDiscovery(companyId: $id) { errors { code message } } }"""
ADD = """mutation($id: ID!, $cuis: [String!]!) { addPortfolioCompanies(companyId: $id, cuis: $cuis) { errors { code message } } }"""
VERIFICATION = """query($id: ID!) { company(id: $id) { verification } }"""


@pytest.fixture
async def http():
    async with httpx.AsyncClient(timeout=10.0) as client:
        yield client


async def integration(service, token, company_id, lang=None) -> dict:
    return (await service.client(token, lang=lang).execute(INTEGRATION, id=company_id))["efacturaIntegration"]


async def portfolio_refusals(service, f, cui: str) -> dict[str, list[str]]:
    client = service.client(f.token)
    discovery = (await client.execute(START_DISCOVERY, id=f.id))["startPortfolioDiscovery"]["errors"]
    added = (await client.execute(ADD, id=f.id, cuis=[cui]))["addPortfolioCompanies"]["errors"]
    sent = (await client.execute(SEND, companyId=f.id, rows=[row(cui)]))["sendInvitations"]["errors"]
    return {"discovery": [e["code"] for e in discovery], "add": [e["code"] for e in added], "send": [e["code"] for e in sent]}


async def test_foreign_certificate_ends_in_error_and_nothing_can_use_it(service, db, http):
    f = await firm(service)  # the firm of holder "small"
    other = holder("medium")  # another firm's accountant: no rights on this firm's CUI
    assert f.company["cui"] not in other.cuis
    location = await pick_certificate(http, await start(service, f.token, f.id), holder_key="medium")
    answer = landing(await follow_to_callback(http, service, location))
    assert answer == {"status": "error", "reason": "NO_EFACTURA_RIGHTS", "companyId": f.id}

    failed = await integration(service, f.token, f.id)
    assert failed["status"] == "ERROR" and failed["authorizedBy"] is None and failed["certificateSerial"] == other.serial
    # The reason says what to do, in the authorizing person's language (Romanian by default) ...
    assert f.company["cui"] in failed["lastError"] and "Autorizați din nou cu un certificat înrolat în SPV" in failed["lastError"]
    row_ = await EfacturaIntegration.get(company_id=int(f.id))
    assert row_.access_token_enc is None and row_.refresh_token_enc is None and row_.rights_checked_at is None
    # ... and the checklist says it in the request's language.
    checklist = (await service.client(f.token, lang="en").execute(CHECKLIST, id=f.id))["setupChecklist"]
    assert checklist["ready"] is False and [p["code"] for p in checklist["problems"]] == ["EFACTURA_NOT_AUTHORIZED"]
    assert (await service.client(f.token).execute(VERIFICATION, id=f.id))["company"]["verification"] == "UNVERIFIED"

    await add_to_portfolio(f.id, [holder("small").cuis[1]])  # even with an entry, nothing can be sent
    assert await portfolio_refusals(service, f, holder("small").cuis[1]) == {
        "discovery": ["EFACTURA_NOT_AUTHORIZED"], "add": ["EFACTURA_NOT_AUTHORIZED"], "send": ["EFACTURA_NOT_AUTHORIZED"]}


async def test_foreign_certificate_through_the_api_says_what_to_do_in_english(service, db, http):
    from domain.accounts.models import User

    f = await firm(service)
    await User.filter(id=int(f.user["id"])).update(locale="en")
    answer = query_of(await pick_certificate(http, await start(service, f.token, f.id), holder_key="medium"))
    result = (await service.client(f.token, lang="en").execute(COMPLETE, **answer))["completeEfacturaAuthorization"]
    assert [e["code"] for e in result["errors"]] == ["NO_EFACTURA_RIGHTS"]
    assert "no e-Factura (SPV) rights for this company's CUI" in result["errors"][0]["message"]
    failed = await integration(service, f.token, f.id)
    assert failed["status"] == "ERROR" and "Authorize again with a certificate enrolled in ANAF's SPV" in failed["lastError"]


async def test_certificate_with_no_rights_at_all_ends_in_error(service, db, http):
    small = holder("small")
    f = await firm(service)
    location = await pick_certificate(http, await start(service, f.token, f.id))
    service.sandbox.store.change_withdrawn(small.serial, withdraw=[*small.cuis], restore=[])  # "Nu exista niciun CIF ..." from now on
    try:
        assert landing(await follow_to_callback(http, service, location))["reason"] == "NO_EFACTURA_RIGHTS"
    finally:
        service.sandbox.store.change_withdrawn(small.serial, withdraw=[], restore=[*small.cuis])
    failed = await integration(service, f.token, f.id)
    assert failed["status"] == "ERROR" and "nu are drepturi în SPV la ANAF pentru nicio companie" in failed["lastError"]


async def test_own_certificate_verifies_the_person_who_authorized(service, db, http):
    f = await firm(service)
    assert landing(await follow_to_callback(http, service, await pick_certificate(http, await start(service, f.token, f.id))))["status"] == "ok"
    assert (await integration(service, f.token, f.id))["status"] == "ACTIVE"
    assert (await EfacturaIntegration.get(company_id=int(f.id))).rights_checked_at is not None
    assert (await service.client(f.token).execute(VERIFICATION, id=f.id))["company"]["verification"] == "VERIFIED_BY_EFACTURA"


async def test_a_checked_authorization_survives_a_foreign_certificate_replacing_it(service, db, http):
    f = await firm(service)
    await follow_to_callback(http, service, await pick_certificate(http, await start(service, f.token, f.id)))
    tokens = (await EfacturaIntegration.get(company_id=int(f.id))).access_token_enc
    location = await pick_certificate(http, await start(service, f.token, f.id), holder_key="medium")
    assert landing(await follow_to_callback(http, service, location))["reason"] == "NO_EFACTURA_RIGHTS"
    kept = await integration(service, f.token, f.id)
    assert kept["status"] == "ACTIVE" and kept["certificateSerial"] == holder("small").serial and f.company["cui"] in kept["lastError"]
    assert (await EfacturaIntegration.get(company_id=int(f.id))).access_token_enc == tokens


async def test_anaf_unreachable_during_the_probe_keeps_it_active_but_unchecked_until_checked_again(service, db, http):
    f = await firm(service)
    client = service.client(f.token, lang="en")
    location = await pick_certificate(http, await start(service, f.token, f.id))
    service.sandbox.faults["efactura"] = FaultConfig(error_rate=1.0, error_status=503)
    try:
        assert landing(await follow_to_callback(http, service, location))["status"] == "ok"
        unchecked = await integration(service, f.token, f.id)
        assert unchecked["status"] == "ACTIVE" and "verificate din nou" in unchecked["lastError"]  # the authorizer's language
        checklist = (await client.execute(CHECKLIST, id=f.id))["setupChecklist"]
        assert checklist["efacturaActive"] is True and checklist["ready"] is False
        assert "not yet confirmed" in checklist["problems"][0]["message"]
        # Still unreachable: the check runs again before sending, and refuses.
        await add_to_portfolio(f.id, [holder("small").cuis[1]])
        sent = (await client.execute(SEND, companyId=f.id, rows=[row(holder("small").cuis[1])]))["sendInvitations"]
        assert [e["code"] for e in sent["errors"]] == ["ANAF_UNAVAILABLE"]
    finally:
        service.sandbox.faults.pop("efactura", None)
    # ANAF is back: the next invitation checks, confirms, and goes out.
    sent = (await client.execute(SEND, companyId=f.id, rows=[row(holder("small").cuis[1])]))["sendInvitations"]
    assert sent["errors"] == [] and len(sent["invitations"]) == 1
    checked = await EfacturaIntegration.get(company_id=int(f.id))
    assert checked.rights_checked_at is not None and checked.last_error is None
    assert (await client.execute(VERIFICATION, id=f.id))["company"]["verification"] == "VERIFIED_BY_EFACTURA"


async def test_unchecked_foreign_certificate_is_caught_by_the_check_before_discovery(service, db, http):
    f = await firm(service)
    location = await pick_certificate(http, await start(service, f.token, f.id), holder_key="medium")
    service.sandbox.faults["efactura"] = FaultConfig(error_rate=1.0, error_status=503)
    try:
        assert landing(await follow_to_callback(http, service, location))["status"] == "ok"
    finally:
        service.sandbox.faults.pop("efactura", None)
    assert (await integration(service, f.token, f.id))["status"] == "ACTIVE"
    errors = (await service.client(f.token).execute(START_DISCOVERY, id=f.id))["startPortfolioDiscovery"]["errors"]
    assert [e["code"] for e in errors] == ["NO_EFACTURA_RIGHTS"]
    assert (await integration(service, f.token, f.id))["status"] == "ERROR"
    from domain.portfolio.models import DiscoveryRun

    assert await DiscoveryRun.all().count() == 0
