"""The sandbox's company lookup answers with ANAF's shapes and enforces ANAF's limits."""

import asyncio
from datetime import timedelta

from anaf.sandbox.dataset import get_dataset

from .conftest import TEST_MIN_INTERVAL

TODAY = "2025-06-02"


def _company(pred):
    return next(c for c in get_dataset().companies.values() if pred(c))


async def test_found_entry_has_anaf_shape_and_unknown_cuis_go_to_not_found(sandbox, http):
    active = _company(lambda c: c.active and c.vat_payer and c.efactura)
    response = await http.post(
        sandbox.registry_url, json=[{"cui": int(active.cui), "data": TODAY}, {"cui": 18547290, "data": TODAY}]
    )
    assert response.status_code == 200
    body = response.json()
    assert body["cod"] == 200 and body["message"] == "SUCCESS"
    assert body["notFound"] == [18547290]
    [entry] = body["found"]
    assert set(entry) == {
        "date_generale", "inregistrare_scop_Tva", "inregistrare_RTVAI", "stare_inactiv",
        "inregistrare_SplitTVA", "adresa_sediu_social", "adresa_domiciliu_fiscal",
    }
    general = entry["date_generale"]
    assert general["cui"] == int(active.cui) and general["data"] == TODAY
    assert general["denumire"] == active.name.upper()
    assert general["adresa"] == active.address and general["nrRegCom"] == active.registration_number
    assert general["stare_inregistrare"] == f"INREGISTRAT din data {active.registered_on:%d.%m.%Y}"
    assert general["statusRO_e_Factura"] is True
    assert entry["inregistrare_scop_Tva"]["scpTVA"] is True
    assert entry["inregistrare_scop_Tva"]["perioade_TVA"][0]["data_inceput_ScpTVA"] == active.vat_since.isoformat()
    assert entry["stare_inactiv"] == {
        "dataInactivare": "", "dataReactivare": "", "dataPublicare": "", "dataRadiere": "", "statusInactivi": False,
    }
    seat = entry["adresa_sediu_social"]
    assert seat["sdenumire_Judet"] == active.county and seat["scod_Postal"] == active.postal_code
    assert set(entry["adresa_domiciliu_fiscal"]) == {"d" + key[1:] for key in seat}


async def test_status_reflects_the_queried_day(sandbox, http):
    gone = _company(lambda c: c.deregistered and c.deregistered_on.year >= 2005)
    sleeping = _company(lambda c: c.inactive)
    before = (gone.deregistered_on - timedelta(days=1)).isoformat()
    response = await http.post(
        sandbox.registry_url,
        json=[{"cui": gone.cui, "data": TODAY}, {"cui": int(sleeping.cui), "data": TODAY}],
    )
    dead, inactive = response.json()["found"]
    assert dead["date_generale"]["stare_inregistrare"] == f"RADIERE din data {gone.deregistered_on:%d.%m.%Y}"
    assert dead["stare_inactiv"]["dataRadiere"] == gone.deregistered_on.isoformat()
    assert inactive["stare_inactiv"]["statusInactivi"] is True
    assert inactive["stare_inactiv"]["dataInactivare"] == sleeping.inactive_since.isoformat()

    await asyncio.sleep(TEST_MIN_INTERVAL)
    earlier = (await http.post(sandbox.registry_url, json=[{"cui": int(gone.cui), "data": before}])).json()
    assert earlier["found"][0]["stare_inactiv"]["dataRadiere"] == ""
    assert earlier["found"][0]["date_generale"]["stare_inregistrare"].startswith("INREGISTRAT")


async def test_more_than_100_cuis_is_refused(sandbox, http):
    cuis = list(get_dataset().companies)[:101]
    response = await http.post(sandbox.registry_url, json=[{"cui": int(c), "data": TODAY} for c in cuis])
    assert response.status_code == 400
    assert response.json()["cod"] == 400 and "100" in response.json()["message"]


async def test_malformed_bodies_are_refused(sandbox, http):
    for body in (b"not json", b"{}", b'[{"cui": "abc", "data": "2025-01-01"}]', b'[{"cui": 123, "data": "2025/01/01"}]'):
        await asyncio.sleep(TEST_MIN_INTERVAL)
        response = await http.post(sandbox.registry_url, content=body)
        assert response.status_code == 400, body
        assert response.json()["cod"] == 400


async def test_second_request_within_the_interval_gets_429_then_works_again(sandbox, http):
    body = [{"cui": int(next(iter(get_dataset().companies))), "data": TODAY}]
    first = await http.post(sandbox.registry_url, json=body)
    second = await http.post(sandbox.registry_url, json=body)
    assert (first.status_code, second.status_code) == (200, 429)
    await asyncio.sleep(TEST_MIN_INTERVAL)
    older_path = await http.post(f"{sandbox.url}/PlatitorTvaRest/api/v8/ws/tva", json=body)
    assert older_path.status_code == 200 and len(older_path.json()["found"]) == 1


async def test_a_batch_with_no_known_cui_is_http_404_with_the_usual_body(sandbox, http):
    """As three independent clients report ANAF doing: 404, the same JSON, everything in notFound."""
    response = await http.post(sandbox.registry_url, json=[{"cui": 18547290, "data": TODAY}, {"cui": 4221306, "data": TODAY}])
    assert response.status_code == 404
    assert response.json() == {"cod": 200, "message": "SUCCESS", "found": [], "notFound": [18547290, 4221306]}


async def test_efactura_registration_date_is_given_or_empty(sandbox, http):
    registered = _company(lambda c: c.active and c.efactura)
    outside = _company(lambda c: c.active and not c.efactura)
    body = (await http.post(sandbox.registry_url, json=[{"cui": int(registered.cui), "data": TODAY},
                                                        {"cui": int(outside.cui), "data": TODAY}])).json()
    dates = {e["date_generale"]["cui"]: e["date_generale"]["data_inreg_Reg_RO_e_Factura"] for e in body["found"]}
    assert dates[int(outside.cui)] == ""
    assert "2022-01-03" <= dates[int(registered.cui)] <= TODAY
