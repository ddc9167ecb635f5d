"""Companies over real HTTP, with ANAF's registry answered by the sandbox over loopback HTTP."""

import pytest

from tests.support.factories import CREATE_COMPANY, api_company, api_user, holder, sandbox_company, unused_valid_cui
from tests.support.graphql import GraphQLError

LOOKUP = "query($cui: String!) { registryLookup(cui: $cui) { cui name address registrationNumber status vatPayer onPlatform } }"
OWN = "{ companies(relationship: OWN) { relationship company { id cui name providesAccountingServices } via { id } since } }"


async def test_create_company_from_registry_and_list_it(service):
    token, _ = await api_user(service)
    firm_cui = holder("small").firm_cui
    expected = sandbox_company(firm_cui)
    company = await api_company(service, token, f"RO {firm_cui}", accounting=True)
    assert company["cui"] == firm_cui
    assert company["name"] == expected.name.upper()  # ANAF answers names in capitals
    assert company["address"] == expected.address
    assert company["registrationNumber"] == expected.registration_number
    assert company["providesAccountingServices"] is True
    edges = (await service.client(token).execute(OWN))["companies"]
    assert [(e["relationship"], e["company"]["cui"]) for e in edges] == [("OWN", firm_cui)]


async def test_registry_lookup_accepts_ro_prefix_and_spaces(service):
    token, _ = await api_user(service)
    cui = holder("small").cuis[3]
    found = (await service.client(token).execute(LOOKUP, cui=f" ro{cui} "))["registryLookup"]
    assert found["cui"] == cui and found["name"] == sandbox_company(cui).name.upper() and found["onPlatform"] is False
    assert (await service.client(token).execute(LOOKUP, cui=unused_valid_cui()))["registryLookup"] is None


@pytest.mark.parametrize("raw,code", [("12345678", "INVALID_CUI"), ("RO18547291", "INVALID_CUI"), ("abc", "INVALID_CUI"), ("", "INVALID_CUI")])
async def test_bad_cui_is_coded_and_writes_nothing(service, db, raw, code):
    from domain.companies.models import Company

    token, _ = await api_user(service)
    result = (await service.client(token).execute(CREATE_COMPANY, input={"cui": raw}))["createCompany"]
    assert [(e["code"], e["field"]) for e in result["errors"]] == [(code, ["cui"])]
    assert result["company"] is None
    assert await Company.all().count() == 0


async def test_unknown_cui_is_not_found_in_registry(service):
    token, _ = await api_user(service)
    result = (await service.client(token).execute(CREATE_COMPANY, input={"cui": unused_valid_cui()}))["createCompany"]
    assert [e["code"] for e in result["errors"]] == ["COMPANY_NOT_FOUND_IN_REGISTRY"]


async def test_duplicate_company_does_not_reveal_owner(service):
    from tests.support.efactura import activate_efactura

    owner, _ = await api_user(service, name="Maria Ionescu")
    other, _ = await api_user(service)
    cui = holder("small").cuis[0]
    company = await api_company(service, owner, cui)
    await activate_efactura(service, owner, company["id"])  # proven: nobody else may register it now
    result = (await service.client(other).execute(CREATE_COMPANY, input={"cui": cui}))["createCompany"]
    assert [e["code"] for e in result["errors"]] == ["COMPANY_EXISTS"]
    assert "Maria" not in result["errors"][0]["message"] and "@" not in result["errors"][0]["message"]
    assert (await service.client(other).execute(OWN))["companies"] == []


async def test_registry_down_gives_anaf_unavailable_and_writes_nothing(service, db):
    from anaf.sandbox.faults import FaultConfig
    from domain.companies.models import Company

    token, _ = await api_user(service)
    service.sandbox.faults["registry"] = FaultConfig(error_rate=1.0, error_status=503)
    result = (await service.client(token).execute(CREATE_COMPANY, input={"cui": holder("small").cuis[1]}))["createCompany"]
    assert [e["code"] for e in result["errors"]] == ["ANAF_UNAVAILABLE"]
    assert await Company.all().count() == 0


async def test_company_visibility_and_flag(service):
    owner, _ = await api_user(service)
    stranger, _ = await api_user(service)
    company = await api_company(service, owner, holder("small").cuis[2])
    q = "query($id: ID!) { company(id: $id) { cui } }"
    assert (await service.client(owner).execute(q, id=company["id"]))["company"]["cui"] == company["cui"]
    for cid in (company["id"], "999999", "not-a-number"):
        with pytest.raises(GraphQLError) as err:
            await service.client(stranger).execute(q, id=cid)
        assert err.value.codes == ["NOT_FOUND"]
    flag = """mutation($id: ID!, $on: Boolean!) { setProvidesAccountingServices(companyId: $id, enabled: $on) {
        company { providesAccountingServices } errors { code } } }"""
    done = (await service.client(owner).execute(flag, id=company["id"], on=True))["setProvidesAccountingServices"]
    assert done == {"company": {"providesAccountingServices": True}, "errors": []}
    with pytest.raises(GraphQLError) as err:
        await service.client(stranger).execute(flag, id=company["id"], on=False)
    assert err.value.codes == ["NOT_FOUND"]


async def test_unauthenticated_company_calls(service):
    with pytest.raises(GraphQLError) as err:
        await service.client().execute(CREATE_COMPANY, input={"cui": holder().cuis[0]})
    assert err.value.codes == ["UNAUTHENTICATED"]
