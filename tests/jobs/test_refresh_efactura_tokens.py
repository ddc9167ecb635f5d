"""The token refresh job and `access_token_for` against the sandbox over loopback: rotation,
expiry, re-authorization, warnings, transient failures, and (PostgreSQL) two runs racing."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest

from anaf.oauth import OAuthGrantError
from anaf.sandbox.faults import FaultConfig
from anaf.sandbox.state import SandboxConfig
from domain.efactura.models import EfacturaIntegration, EfacturaStatus
from domain.efactura.tokens import RefreshOutcome, access_token_for, open_token
from domain.kernel.clock import now
from domain.kernel.errors import DomainError
from domain.mail.models import OutboxMessage
from domain.notifications.models import Notification
from jobs.refresh_efactura_tokens import refresh_tokens
from tests.support.efactura import authorize, firm, landing


@pytest.fixture
async def http():
    async with httpx.AsyncClient(timeout=10.0) as client:
        yield client


async def active_firm(service, http):
    f = await firm(service)
    assert landing(await authorize(service, http, f.token, f.id))["status"] == "ok"
    return f, await EfacturaIntegration.get(company_id=int(f.id))


async def make_due(company_id: int) -> None:
    await EfacturaIntegration.filter(company_id=company_id).update(next_refresh_at=now() - timedelta(seconds=1))


async def hello(service, http, token: str) -> int:
    answer = await http.get(f"{service.url}/_sandbox/anaf/TestOauth/jaxrs/hello", params={"name": "x"},
                            headers={"Authorization": f"Bearer {token}"})
    return answer.status_code


async def test_refresh_rotates_the_pair_and_the_old_refresh_token_is_spent(service, db, http):
    _, row = await active_firm(service, http)
    services = service.services
    old_refresh = open_token(row, "refresh", vault=services.vault)
    assert (await refresh_tokens(oauth=services.oauth))[RefreshOutcome.REFRESHED] == 0  # not due yet
    await make_due(row.company_id)
    report = await refresh_tokens(oauth=services.oauth)
    assert report[RefreshOutcome.REFRESHED] == 1
    fresh = await EfacturaIntegration.get(id=row.id)
    assert fresh.status == EfacturaStatus.ACTIVE and fresh.refresh_token_enc != row.refresh_token_enc
    assert fresh.last_refreshed_at is not None and fresh.next_refresh_at > now() + timedelta(days=60)
    with pytest.raises(OAuthGrantError) as err:
        await services.oauth.refresh(old_refresh)
    assert err.value.error == "invalid_grant"
    assert await hello(service, http, open_token(fresh, "access", vault=services.vault)) == 200


async def test_refresh_is_planned_at_70_to_80_percent_of_life(start_service, db, http):
    service = await start_service(sandbox_config=SandboxConfig(registry_min_interval=0.0, access_token_ttl=1000))
    _, row = await active_firm(service, http)
    issued = row.access_expires_at - timedelta(seconds=1000)
    assert issued + timedelta(seconds=690) <= row.next_refresh_at <= issued + timedelta(seconds=801)


async def test_access_token_for_refreshes_when_due(service, db, http):
    _, row = await active_firm(service, http)
    services = service.services
    assert await access_token_for(row.company_id, oauth=services.oauth) == open_token(row, "access", vault=services.vault)
    await make_due(row.company_id)
    token = await access_token_for(row.company_id, oauth=services.oauth)
    fresh = await EfacturaIntegration.get(id=row.id)
    assert token == open_token(fresh, "access", vault=services.vault) != open_token(row, "access", vault=services.vault)
    assert fresh.next_refresh_at > now() and await hello(service, http, token) == 200


async def test_not_authorized_without_an_active_integration(service, db, http):
    f = await firm(service)
    with pytest.raises(DomainError) as err:
        await access_token_for(int(f.id), oauth=service.services.oauth)
    assert err.value.code == "EFACTURA_NOT_AUTHORIZED"


async def test_refused_refresh_expires_notifies_and_emails_the_authorizer(service, db, http):
    f, row = await active_firm(service, http)
    services = service.services
    await services.oauth.refresh(open_token(row, "refresh", vault=services.vault))  # spent elsewhere: ours is now dead
    await make_due(row.company_id)
    assert (await refresh_tokens(oauth=services.oauth))[RefreshOutcome.EXPIRED] == 1
    dead = await EfacturaIntegration.get(id=row.id)
    assert dead.status == EfacturaStatus.EXPIRED and dead.access_token_enc is None and dead.refresh_token_enc is None
    assert "autorizeze din nou" in dead.last_error
    mail = await OutboxMessage.get(kind="efactura_reauthorize")
    assert mail.to_email == f.user["email"] and mail.link == f"http://app.test/integrations/efactura?companyId={f.id}"
    assert (await Notification.filter(user_id=int(f.user["id"])).order_by("-id").first()).data["status"] == "EXPIRED"
    with pytest.raises(DomainError) as err:
        await access_token_for(row.company_id, oauth=services.oauth)
    assert err.value.code == "EFACTURA_NOT_AUTHORIZED"
    assert (await refresh_tokens(oauth=services.oauth))[RefreshOutcome.EXPIRED] == 0  # once


async def test_short_lifetimes_expire_then_reauthorization_restores(start_service, db, http):
    service = await start_service(sandbox_config=SandboxConfig(registry_min_interval=0.0, access_token_ttl=1, refresh_token_ttl=1))
    f, row = await active_firm(service, http)
    await asyncio.sleep(1.1)
    report = await refresh_tokens(oauth=service.services.oauth)
    assert report[RefreshOutcome.EXPIRED] == 1
    assert (await EfacturaIntegration.get(id=row.id)).status == EfacturaStatus.EXPIRED
    assert await OutboxMessage.filter(kind="efactura_reauthorize", to_email=f.user["email"]).count() == 1
    assert landing(await authorize(service, http, f.token, f.id))["status"] == "ok"
    back = await EfacturaIntegration.get(id=row.id)
    assert back.status == EfacturaStatus.ACTIVE and back.last_error is None and back.refresh_token_enc is not None


async def test_refresh_token_expired_at_anaf_as_invalid_request_is_expired(start_service, db, http):
    """ANAF has been seen answering an expired refresh token with invalid_request "Refresh Token
    status is expired" (not invalid_grant): the authorization is just as dead."""
    service = await start_service(sandbox_config=SandboxConfig(registry_min_interval=0.0, refresh_token_ttl=1))
    f, row = await active_firm(service, http)
    await asyncio.sleep(1.1)
    # Our record still believes the token lives (as with a clock ahead of ANAF's): only ANAF says otherwise.
    await EfacturaIntegration.filter(id=row.id).update(refresh_expires_at=now() + timedelta(days=300))
    await make_due(row.company_id)
    assert (await refresh_tokens(oauth=service.services.oauth))[RefreshOutcome.EXPIRED] == 1
    dead = await EfacturaIntegration.get(id=row.id)
    assert dead.status == EfacturaStatus.EXPIRED and "autorizeze din nou" in dead.last_error


async def test_transient_failure_changes_nothing(service, db, http):
    _, row = await active_firm(service, http)
    await make_due(row.company_id)
    service.sandbox.faults["oauth"] = FaultConfig(error_rate=1.0, error_status=503)
    assert (await refresh_tokens(oauth=service.services.oauth))[RefreshOutcome.RETRY] == 1
    same = await EfacturaIntegration.get(id=row.id)
    assert same.status == EfacturaStatus.ACTIVE and same.refresh_token_enc == row.refresh_token_enc
    del service.sandbox.faults["oauth"]
    assert (await refresh_tokens(oauth=service.services.oauth))[RefreshOutcome.REFRESHED] == 1


async def test_expiry_warning_is_sent_once(start_service, db, http):
    service = await start_service(sandbox_config=SandboxConfig(registry_min_interval=0.0, refresh_token_ttl=10 * 24 * 3600))
    f, row = await active_firm(service, http)
    assert (await refresh_tokens(oauth=service.services.oauth)).warned == 1
    assert (await refresh_tokens(oauth=service.services.oauth)).warned == 0
    mails = await OutboxMessage.filter(kind="efactura_expiry_warning")
    assert [m.to_email for m in mails] == [f.user["email"]]
    assert (await EfacturaIntegration.get(id=row.id)).expiry_warning_sent_at is not None


@pytest.mark.postgres
async def test_two_runs_racing_refresh_once_and_keep_the_newest_pair(service, db, http):
    _, row = await active_firm(service, http)
    services = service.services
    old_refresh = open_token(row, "refresh", vault=services.vault)
    await make_due(row.company_id)
    # Slow answers keep the first run's row lock held while the second run looks for work.
    service.sandbox.faults["oauth"] = FaultConfig(latency_ms=300)
    runs = [asyncio.create_task(refresh_tokens(oauth=services.oauth)) for _ in range(2)]
    reports = await asyncio.gather(*runs)
    del service.sandbox.faults["oauth"]
    assert service.sandbox.faults.injected["oauth:latency"] == 1  # one refresh request reached ANAF
    assert sorted(r[RefreshOutcome.REFRESHED] for r in reports) == [0, 1]
    fresh = await EfacturaIntegration.get(id=row.id)
    assert fresh.status == EfacturaStatus.ACTIVE
    with pytest.raises(OAuthGrantError):
        await services.oauth.refresh(old_refresh)
    new_pair = await services.oauth.refresh(open_token(fresh, "refresh", vault=services.vault))  # the stored one is the live one
    assert await hello(service, http, new_pair.access_token) == 200


@pytest.mark.postgres
async def test_access_token_for_waits_for_a_refresh_in_progress(service, db, http):
    _, row = await active_firm(service, http)
    services = service.services
    await make_due(row.company_id)
    service.sandbox.faults["oauth"] = FaultConfig(latency_ms=300)
    job = asyncio.create_task(refresh_tokens(oauth=services.oauth))
    await asyncio.sleep(0.1)
    token = await access_token_for(row.company_id, oauth=services.oauth)
    await job
    del service.sandbox.faults["oauth"]
    assert service.sandbox.faults.injected["oauth:latency"] == 1
    assert await hello(service, http, token) == 200
