"""Fixtures listing, fault injection and withdrawn rights, driven over HTTP as a person or script would."""

import time

import httpx
import pytest

from anaf.sandbox.dataset import get_dataset
from anaf.sandbox.faults import FaultConfig

BODY = [{"cui": int(next(iter(get_dataset().companies))), "data": "2025-06-02"}]


async def test_index_links_to_fixtures(sandbox, http):
    response = await http.get(f"{sandbox.url}/")
    assert response.status_code == 200 and "text/html" in response.headers["content-type"]
    assert f"{sandbox.url}/fixtures?holder=small" in response.text


async def test_fixtures_list_companies_in_pages_and_holders(sandbox, http):
    body = (await http.get(f"{sandbox.url}/fixtures", params={"limit": 5, "offset": 5})).json()
    companies = body["companies"]
    assert companies["total"] == len(get_dataset().companies)
    assert [c["cui"] for c in companies["items"]] == list(get_dataset().companies)[5:10]
    assert set(companies["items"][0]) >= {"cui", "name", "county", "vat_payer", "inactive", "deregistered"}
    small = next(h for h in body["holders"] if h["key"] == "small")
    assert small["serial"] == get_dataset().holders["small"].serial and small["cuis"] == 30

    by_holder = (await http.get(f"{sandbox.url}/fixtures", params={"holder": "persons"})).json()
    persons = get_dataset().holders["persons"]
    assert [c["cui"] for c in by_holder["companies"]["items"]] == list(persons.cuis)
    assert by_holder["holder"]["cnps"] == list(persons.cnps)

    inactive = (await http.get(f"{sandbox.url}/fixtures", params={"status": "inactive", "limit": 1000})).json()
    assert inactive["companies"]["items"] and all(c["inactive"] for c in inactive["companies"]["items"])
    assert (await http.get(f"{sandbox.url}/fixtures", params={"holder": "nobody"})).status_code == 404
    assert (await http.get(f"{sandbox.url}/fixtures", params={"limit": "-1"})).status_code == 400


async def test_faults_can_be_set_read_and_cleared(sandbox, http):
    url = f"{sandbox.url}/faults"
    assert (await http.get(url)).json() == {}
    put = await http.put(url, json={"registry": {"latency_ms": 150, "error_rate": 0.25}})
    assert put.json()["registry"]["latency_ms"] == 150 and put.json()["registry"]["error_status"] == 503
    assert sandbox.state.faults.for_service("registry") == FaultConfig(latency_ms=150, error_rate=0.25)
    assert (await http.put(url, json={"registry": {"error_rate": 2}})).status_code == 400
    assert (await http.put(url, json={"registry": {"colour": "red"}})).status_code == 400
    assert (await http.delete(url)).json() == {} and not sandbox.state.faults


async def test_latency_fault_delays_answers(start_sandbox, http):
    sandbox = await start_sandbox(faults={"*": FaultConfig(latency_ms=300)})
    started = time.monotonic()
    response = await http.post(sandbox.registry_url, json=BODY)
    assert response.status_code == 200 and time.monotonic() - started >= 0.3


async def test_error_429_and_reset_faults(sandbox, http):
    await http.put(f"{sandbox.url}/faults", json={"registry": {"error_rate": 1.0, "error_status": 502}})
    assert (await http.post(sandbox.registry_url, json=BODY)).status_code == 502
    await http.put(f"{sandbox.url}/faults", json={"registry": {"force_429": True}})
    assert (await http.post(sandbox.registry_url, json=BODY)).status_code == 429
    await http.put(f"{sandbox.url}/faults", json={"registry": {"reset_rate": 1.0}})
    with pytest.raises(httpx.RemoteProtocolError):
        await http.post(sandbox.registry_url, json=BODY)
    # Faults are per service: the control routes kept answering throughout.
    assert sandbox.state.faults.injected == {"registry:error": 1, "registry:429": 1, "registry:reset": 1}
    assert sandbox.state.registry.accepted == []


async def test_withdrawn_rights_are_removed_from_a_holders_rights(sandbox, http):
    small = get_dataset().holders["small"]
    gone = small.cuis[3]
    response = await http.post(f"{sandbox.url}/rights", json={"holder": "small", "withdraw": [gone]})
    assert response.json()["withdrawn"] == [gone]
    cuis, cnps = sandbox.state.rights(small.serial)
    assert gone not in cuis and len(cuis) == len(small.cuis) - 1 and cnps == ()
    await http.post(f"{sandbox.url}/rights", json={"serial": small.serial, "restore": [gone]})
    assert sandbox.state.rights(small.serial) == (small.cuis, ())
    assert sandbox.state.rights("FFFFFFFFFFFFFFFF") == ((), ())
