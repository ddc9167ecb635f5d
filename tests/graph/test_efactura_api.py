"""The e-Factura authorization over real HTTP: the API, the sandbox's ANAF authorize page driven by
form POST, and the browser's return to the service's callback."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from anaf.oauth import OAuthClient
from anaf.sandbox.faults import FaultConfig
from anaf.sandbox.state import SandboxConfig
from domain.efactura.models import EfacturaIntegration, EfacturaStatus, OAuthState
from domain.notifications.models import Notification, NotificationKind
from tests.support.efactura import (
    CHECKLIST,
    COMPLETE,
    DISCONNECT,
    INTEGRATION,
    START,
    firm,
    follow_to_callback,
    landing,
    pick_certificate,
    query_of,
    start,
)
from tests.support.factories import api_user, holder
from tests.support.graphql import GraphQLError

COMPANY_EFACTURA = "{ companies(relationship: OWN) { company { id efactura { status certificateSerial authorizedBy { email } } } } }"


@pytest.fixture
async def http():
    async with httpx.AsyncClient(timeout=10.0) as client:
        yield client


async def integration(service, token, company_id) -> dict:
    return (await service.client(token).execute(INTEGRATION, id=company_id))["efacturaIntegration"]


async def test_whole_flow_start_authorize_callback_active(service, db, http):
    f = await firm(service)
    assert (await integration(service, f.token, f.id))["status"] == "NOT_CONFIGURED"
    url = await start(service, f.token, f.id)
    assert url.startswith(f"{service.url}/_sandbox/anaf/anaf-oauth2/v1/authorize?")
    assert (await integration(service, f.token, f.id))["status"] == "PENDING"

    location = await pick_certificate(http, url)
    assert location.startswith("http://app.test/anaf/oauth/callback?code=")
    answer = query_of((await follow_to_callback(http, service, location)).headers["location"])
    assert answer == {"status": "ok", "companyId": f.id}

    active = await integration(service, f.token, f.id)
    assert active["status"] == "ACTIVE" and active["lastError"] is None
    assert active["certificateSerial"] == holder("small").serial
    assert active["authorizedBy"]["email"] == f.user["email"]
    assert active["authorizedAt"] and active["accessExpiresAt"] and active["refreshExpiresAt"]
    edges = (await service.client(f.token).execute(COMPANY_EFACTURA))["companies"]
    assert edges[0]["company"]["efactura"]["status"] == "ACTIVE"
    checklist = (await service.client(f.token).execute(CHECKLIST, id=f.id))["setupChecklist"]
    assert checklist == {"providesAccountingServices": True, "efacturaActive": True, "ready": True, "problems": []}
    kinds = await Notification.filter(user_id=int(f.user["id"])).order_by("id").values_list("kind", "data")
    assert [(k, d["status"]) for k, d in kinds] == [(NotificationKind.EFACTURA_STATUS_CHANGED, "PENDING"),
                                                   (NotificationKind.EFACTURA_STATUS_CHANGED, "ACTIVE")]


async def test_stored_tokens_are_unreadable_without_the_key_and_work_with_it(service, db, http):
    from domain.efactura.token_vault import TokenVault, VaultError
    from domain.efactura.tokens import access_token_for

    f = await firm(service)
    await follow_to_callback(http, service, await pick_certificate(http, await start(service, f.token, f.id)))
    row = await EfacturaIntegration.get(company_id=int(f.id))
    token = await access_token_for(row.company_id, oauth=service.services.oauth, vault=service.services.vault)
    hello = await http.get(f"{service.url}/_sandbox/anaf/TestOauth/jaxrs/hello", params={"name": "x"},
                           headers={"Authorization": f"Bearer {token}"})
    assert hello.status_code == 200
    for column in (row.access_token_enc, row.refresh_token_enc):
        assert column.startswith("k1:") and token not in column and "eyJ" not in column  # no JWT in clear
    other = TokenVault([("k1", b"another-secret-key-0123456789")])
    with pytest.raises(VaultError):
        other.decrypt(row.access_token_enc, aad=f"efactura:{row.company_id}:access")


async def test_complete_mutation_needs_the_viewers_own_state(service, db, http):
    f = await firm(service)
    stranger, _ = await api_user(service)
    answer = query_of(await pick_certificate(http, await start(service, f.token, f.id)))
    refused = (await service.client(stranger).execute(COMPLETE, code=answer["code"], state=answer["state"]))["completeEfacturaAuthorization"]
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [("INVALID_STATE", ["state"])]
    assert refused["integration"] is None
    assert (await integration(service, f.token, f.id))["status"] == "PENDING"
    done = (await service.client(f.token).execute(COMPLETE, code=answer["code"], state=answer["state"]))["completeEfacturaAuthorization"]
    assert done["errors"] == [] and done["integration"]["status"] == "ACTIVE"
    assert done["integration"]["certificateSerial"] == holder("small").serial


async def test_bad_states_at_the_callback_change_nothing(service, db, http):
    f = await firm(service)
    location = await pick_certificate(http, await start(service, f.token, f.id))
    code = query_of(location)["code"]
    before = await Notification.all().count()

    unknown = await http.get(f"{service.url}/anaf/oauth/callback", params={"code": code, "state": "forged"})
    assert landing(unknown) == {"status": "error", "reason": "INVALID_STATE"}
    empty = await http.get(f"{service.url}/anaf/oauth/callback")
    assert landing(empty) == {"status": "error", "reason": "INVALID_INPUT"}
    assert (await integration(service, f.token, f.id))["status"] == "PENDING"
    assert await Notification.all().count() == before

    assert landing(await follow_to_callback(http, service, location))["status"] == "ok"
    replay = await follow_to_callback(http, service, location)  # the browser's back button, or an attacker
    assert landing(replay) == {"status": "error", "reason": "INVALID_STATE"}
    assert (await integration(service, f.token, f.id))["status"] == "ACTIVE"


async def test_expired_state_is_refused(service, db, http):
    from datetime import timedelta

    from domain.kernel.clock import now

    f = await firm(service)
    location = await pick_certificate(http, await start(service, f.token, f.id))
    await OAuthState.all().update(expires_at=now() - timedelta(seconds=1))
    result = (await service.client(f.token).execute(COMPLETE, **query_of(location)))["completeEfacturaAuthorization"]
    assert [e["code"] for e in result["errors"]] == ["INVALID_STATE"] and "10 minutes" in result["errors"][0]["message"]
    assert (await integration(service, f.token, f.id))["status"] == "PENDING"


async def test_replayed_code_with_a_fresh_state_is_refused_by_anaf(service, db, http):
    f = await firm(service)
    first = query_of(await pick_certificate(http, await start(service, f.token, f.id)))
    done = (await service.client(f.token).execute(COMPLETE, **first))["completeEfacturaAuthorization"]
    assert done["errors"] == []
    serial_before = (await EfacturaIntegration.get(company_id=int(f.id))).access_token_enc
    fresh_state = query_of(await start(service, f.token, f.id))["state"]
    replay = (await service.client(f.token).execute(COMPLETE, code=first["code"], state=fresh_state))["completeEfacturaAuthorization"]
    assert [(e["code"], e["field"]) for e in replay["errors"]] == [("EFACTURA_AUTHORIZATION_FAILED", ["code"])]
    row = await EfacturaIntegration.get(company_id=int(f.id))
    assert row.status == EfacturaStatus.ACTIVE and row.access_token_enc == serial_before


async def test_code_exchanged_after_the_window_is_refused(start_service, db, http):
    service = await start_service(sandbox_config=SandboxConfig(registry_min_interval=0.0, code_ttl=1))
    f = await firm(service)
    location = await pick_certificate(http, await start(service, f.token, f.id))
    await asyncio.sleep(1.2)
    assert landing(await follow_to_callback(http, service, location))["reason"] == "EFACTURA_AUTHORIZATION_FAILED"
    assert (await integration(service, f.token, f.id))["status"] == "PENDING"
    # The state served its one use: the user starts again.
    assert landing(await follow_to_callback(http, service, location))["reason"] == "INVALID_STATE"


async def test_anaf_down_during_exchange_keeps_the_state_for_a_retry(service, db, http):
    f = await firm(service)
    location = await pick_certificate(http, await start(service, f.token, f.id))
    service.sandbox.faults["oauth"] = FaultConfig(error_rate=1.0, error_status=503)
    assert landing(await follow_to_callback(http, service, location))["reason"] == "ANAF_UNAVAILABLE"
    assert (await integration(service, f.token, f.id))["status"] == "PENDING"
    del service.sandbox.faults["oauth"]
    assert landing(await follow_to_callback(http, service, location))["status"] == "ok"
    assert (await integration(service, f.token, f.id))["status"] == "ACTIVE"


async def test_anaf_slow_during_exchange_is_unavailable(service, db, http):
    f = await firm(service)
    url = await start(service, f.token, f.id)
    answer = query_of(await pick_certificate(http, url))
    settings = service.settings
    service.services.oauth = OAuthClient(service.services.http, service.services.urls.oauth, client_id=settings.anaf_client_id,
                                         client_secret=settings.anaf_client_secret, redirect_uri=settings.redirect_uri,
                                         timeout=0.2, max_attempts=1)
    service.sandbox.faults["oauth"] = FaultConfig(latency_ms=1000)
    result = (await service.client(f.token).execute(COMPLETE, **answer))["completeEfacturaAuthorization"]
    assert [e["code"] for e in result["errors"]] == ["ANAF_UNAVAILABLE"]
    assert (await OAuthState.get()).used_at is None
    assert (await integration(service, f.token, f.id))["status"] == "PENDING"


@pytest.mark.parametrize("choice,fragment", [
    ({"action": "cancel"}, "USB token"),
    ({"pin": "9999"}, "PIN incorect"),
])
async def test_refusal_at_anaf_is_an_error_with_what_to_do(service, db, http, choice, fragment):
    token, user = await api_user(service)
    client = service.client(token, lang="en")
    from domain.accounts.models import User

    # lastError is written in the authorizing person's language: English for this one.
    await User.filter(id=int(user["id"])).update(locale="en")
    company = (await client.execute("""mutation($input: CreateCompanyInput!) { createCompany(input: $input) { company { id } } }""",
                                    input={"cui": holder("small").firm_cui, "providesAccountingServices": True}))["createCompany"]["company"]
    location = await pick_certificate(http, await start(service, token, company["id"]), **choice)
    answer = landing(await follow_to_callback(http, service, location))
    assert answer == {"status": "error", "reason": "access_denied", "companyId": company["id"]}
    failed = await integration(service, token, company["id"])
    assert failed["status"] == "ERROR" and fragment in failed["lastError"]
    assert (await EfacturaIntegration.get(company_id=int(company["id"]))).access_token_enc is None


async def test_restart_while_active_keeps_the_working_tokens(service, db, http):
    f = await firm(service)
    await follow_to_callback(http, service, await pick_certificate(http, await start(service, f.token, f.id)))
    tokens = (await EfacturaIntegration.get(company_id=int(f.id))).access_token_enc
    url = await start(service, f.token, f.id)
    assert (await integration(service, f.token, f.id))["status"] == "ACTIVE"
    landing(await follow_to_callback(http, service, await pick_certificate(http, url, action="cancel")))
    kept = await integration(service, f.token, f.id)
    assert kept["status"] == "ACTIVE" and "token-ul USB" in kept["lastError"]
    assert (await EfacturaIntegration.get(company_id=int(f.id))).access_token_enc == tokens


async def test_disconnect_forgets_tokens_and_voids_pending_links(service, db, http):
    f = await firm(service)
    await follow_to_callback(http, service, await pick_certificate(http, await start(service, f.token, f.id)))
    late = await pick_certificate(http, await start(service, f.token, f.id))
    result = (await service.client(f.token).execute(DISCONNECT, id=f.id))["disconnectEfactura"]
    assert result["errors"] == [] and result["integration"]["status"] == "NOT_CONFIGURED"
    assert result["integration"]["certificateSerial"] is None and result["integration"]["authorizedBy"] is None
    row = await EfacturaIntegration.get(company_id=int(f.id))
    assert row.access_token_enc is None and row.refresh_token_enc is None
    assert landing(await follow_to_callback(http, service, late))["reason"] == "INVALID_STATE"
    assert (await integration(service, f.token, f.id))["status"] == "NOT_CONFIGURED"


async def test_only_managers_act_and_strangers_see_nothing(service, db):
    from domain.companies.models import MemberRole, Membership

    f = await firm(service)
    stranger, _ = await api_user(service)
    for operation, variables in ((START, {"id": f.id}), (DISCONNECT, {"id": f.id}), (INTEGRATION, {"id": f.id}), (CHECKLIST, {"id": f.id})):
        with pytest.raises(GraphQLError) as err:
            await service.client(stranger).execute(operation, **variables)
        assert err.value.codes == ["NOT_FOUND"]
    member_token, member = await api_user(service)
    await Membership.create(user_id=int(member["id"]), company_id=int(f.id), role=MemberRole.MEMBER)
    with pytest.raises(GraphQLError) as err:
        await service.client(member_token).execute(START, id=f.id)
    assert err.value.codes == ["FORBIDDEN"]
    assert (await integration(service, member_token, f.id))["status"] == "NOT_CONFIGURED"
    with pytest.raises(GraphQLError) as err:
        await service.client().execute(START, id=f.id)
    assert err.value.codes == ["UNAUTHENTICATED"]
    assert await EfacturaIntegration.all().count() == 0 and await OAuthState.all().count() == 0


async def test_checklist_says_what_to_do(service, db):
    from domain.companies.models import Company
    from domain.efactura.service import require_ready_for_portfolio
    from domain.kernel.errors import DomainErrors

    f = await firm(service, accounting=False)
    checklist = (await service.client(f.token, lang="ro").execute(CHECKLIST, id=f.id))["setupChecklist"]
    assert checklist["ready"] is False and checklist["efacturaActive"] is False
    assert [p["code"] for p in checklist["problems"]] == ["ACCOUNTING_SERVICES_DISABLED", "EFACTURA_NOT_AUTHORIZED"]
    assert checklist["problems"][0]["message"].startswith("Marcați compania")
    with pytest.raises(DomainErrors) as err:
        await require_ready_for_portfolio(await Company.get(id=int(f.id)))
    assert [e.code for e in err.value.errors] == ["ACCOUNTING_SERVICES_DISABLED", "EFACTURA_NOT_AUTHORIZED"]
