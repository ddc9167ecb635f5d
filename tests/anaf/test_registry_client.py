"""The registry client against the sandbox over HTTP: batching, spacing, retries and giving up."""

import asyncio
import time
from datetime import date

import pytest
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

from anaf.errors import AnafError, AnafUnavailable
from anaf.registry import RegistryClient
from anaf.sandbox.dataset import get_dataset
from anaf.sandbox.faults import FaultConfig
from tests.support.servers import serve

from .conftest import TEST_MIN_INTERVAL


def client(http, url, **options) -> RegistryClient:
    options = {"min_interval": TEST_MIN_INTERVAL, "backoff_initial": 0.01, "backoff_max": 0.05, **options}
    return RegistryClient(http, url, **options)


async def test_batches_of_100_spaced_by_the_interval(sandbox, http):
    cuis = list(get_dataset().companies)[:250]
    records = await client(http, sandbox.registry_url).lookup(cuis + ["18547290"])
    assert set(records) == set(cuis)  # 18547290 is valid but unknown: simply absent
    accepted = sandbox.state.registry.accepted
    assert [count for _, count in accepted] == [100, 100, 51]
    gaps = [b - a for (a, _), (b, _) in zip(accepted, accepted[1:])]
    assert all(gap >= TEST_MIN_INTERVAL for gap in gaps), gaps
    assert sandbox.state.registry.rejected_429 == 0


async def test_concurrent_callers_are_serialized(sandbox, http):
    registry = client(http, sandbox.registry_url, max_attempts=1)
    cuis = list(get_dataset().companies)
    results = await asyncio.gather(*(registry.lookup_one(c) for c in cuis[:3]))
    assert [r.cui for r in results] == cuis[:3]
    assert sandbox.state.registry.rejected_429 == 0


async def test_records_carry_status_and_missing_dates_as_none(sandbox, http):
    data = get_dataset()
    active = next(c for c in data.companies.values() if c.active and c.vat_payer and c.efactura)
    inactive = next(c for c in data.companies.values() if c.inactive)
    gone = next(c for c in data.companies.values() if c.deregistered)
    records = await client(http, sandbox.registry_url).lookup(
        [f"RO{active.cui}", inactive.cui, gone.cui], on_date=date(2025, 6, 2)
    )
    record = records[active.cui]
    assert record.name == active.name.upper() and record.address == active.address
    assert (record.status, record.vat_payer, record.efactura) == ("active", True, True)
    assert record.registration_number == active.registration_number and record.county == active.county
    assert record.postal_code == active.postal_code and record.phone == active.phone
    assert record.registered_on == active.registered_on
    assert record.inactive_since is None and record.deregistered_on is None
    assert records[inactive.cui].status == "inactive"
    assert records[inactive.cui].inactive_since == inactive.inactive_since
    assert records[gone.cui].status == "deregistered"
    assert records[gone.cui].registration_status_text.startswith("RADIERE")
    with pytest.raises(ValueError):
        await client(http, sandbox.registry_url).lookup(["12a45"])


@pytest.mark.parametrize(
    "fault",
    [
        FaultConfig(error_rate=0.6, error_status=503),
        FaultConfig(error_rate=0.6, error_status=429),
        FaultConfig(reset_rate=0.5),
    ],
)
async def test_retries_through_transient_failures(start_sandbox, http, fault):
    sandbox = await start_sandbox(faults={"registry": fault}, registry_min_interval=0.05)
    cuis = list(get_dataset().companies)[:300]
    records = await client(http, sandbox.registry_url, min_interval=0.05, max_attempts=10).lookup(cuis)
    assert len(records) == 300
    assert sum(sandbox.state.faults.injected.values()) >= 1


async def test_gives_up_after_bounded_attempts_when_the_registry_is_down(start_sandbox, http):
    sandbox = await start_sandbox(faults={"registry": FaultConfig(error_rate=1.0)})
    registry = client(http, sandbox.registry_url, min_interval=0.01, max_attempts=4)
    started = time.monotonic()
    with pytest.raises(AnafUnavailable, match="tried 4 times"):
        await registry.lookup_one(next(iter(get_dataset().companies)))
    assert time.monotonic() - started < 2
    assert sandbox.state.faults.injected["registry:error"] == 4


async def test_unreachable_registry_is_unavailable(http):
    registry = client(http, "http://127.0.0.1:9/api/PlatitorTvaRest/v9/tva", max_attempts=2)
    with pytest.raises(AnafUnavailable):
        await registry.lookup_one("18547290")


async def test_unreadable_answer_is_unavailable_without_retrying(http):
    calls = []

    async def maintenance_page(request):
        calls.append(request)
        return HTMLResponse("<html>Serviciu indisponibil</html>")

    async with serve(Starlette(routes=[Route("/tva", maintenance_page, methods=["POST"])])) as url:
        with pytest.raises(AnafUnavailable, match="not JSON"):
            await client(http, f"{url}/tva").lookup_one("18547290")
    assert len(calls) == 1


async def test_refused_request_is_an_error_not_retried(sandbox, http):
    registry = client(http, sandbox.registry_url, max_batch=150)
    with pytest.raises(AnafError) as raised:
        await registry.lookup(list(get_dataset().companies)[:150])
    assert not isinstance(raised.value, AnafUnavailable) and "HTTP 400" in str(raised.value)
    assert len(sandbox.state.registry.accepted) == 0


async def test_a_batch_nobody_knows_is_an_answer_not_a_failure(sandbox, http):
    """ANAF's HTTP 404 (no CUI of the batch found) reads as "not found", never as an error."""
    registry = client(http, sandbox.registry_url)
    assert await registry.lookup(["18547290", "4221306"]) == {}
    assert await registry.lookup_one("18547290") is None


async def test_records_carry_the_efactura_registration_date(sandbox, http):
    from anaf.sandbox.registry import efactura_registered_on

    company = next(c for c in sandbox.state.dataset.companies.values() if c.active and c.efactura)
    record = await client(http, sandbox.registry_url).lookup_one(company.cui)
    assert record.efactura and record.efactura_registered_on == efactura_registered_on(company)
