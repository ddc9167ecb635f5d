"""Ownership is proven, not claimed: a stranger who registers a client's CUI first gets nothing of the
invitations sent for it, and the invitation's link holder ends up owning the company."""

import pytest

from tests.support.efactura import activate_efactura
from tests.support.factories import CREATE_COMPANY, api_company, api_user
from tests.support.graphql import GraphQLError
from tests.support.invitations import COMPANIES, REQUESTS, RESPOND, SIGN_UP, link_token, ready_firm, row, send

COMPANY = """query($id: ID!) { company(id: $id) { id cui verification claimants { user { id email } since } } }"""
OWN = "{ companies(relationship: OWN) { company { id cui verification } } }"
PORTFOLIO = "query($id: ID!) { portfolio(companyId: $id, first: 5) { totalCount edges { node { cui } } } }"
REMOVE_CLAIMANT = """mutation($companyId: ID!, $userId: ID!) { removeCompanyClaimant(companyId: $companyId, userId: $userId) {
  company { id claimants { user { id } } } errors { code message } } }"""
NOTIFICATIONS = "{ notifications { edges { node { kind title body invitation { id email phone } } } } }"
PRIVATE = "Vă trimitem contractul semnat; parola arhivei este Toamna2024."


async def test_squatter_scenario_ends_with_the_representative_owning_the_company(service, db):
    from domain.mail.models import OutboxMessage

    firm = await ready_firm(service)
    cui = firm.cuis[0]
    squatter_token, squatter = await api_user(service, name="Străin Grăbit")
    squatter_client = service.client(squatter_token)
    company = await api_company(service, squatter_token, cui)  # first to register the client's CUI
    assert (await squatter_client.execute(OWN))["companies"] == [{"company": {"id": company["id"], "cui": cui, "verification": "UNVERIFIED"}}]

    sent = (await send(service, firm, [row(cui, 0, email="reprezentant@client.ro", phone="0722 111 222", message=PRIVATE)]))["invitations"][0]
    token = await link_token(sent["id"])
    signed = (await service.client().execute(SIGN_UP, input={"token": token, "password": "o-parola-lunga-1"}))["acceptInvitationSignUp"]
    assert signed["errors"] == []
    rep = service.client(signed["token"])

    # The link holder owns the company, proven by the invitation, and answers the request.
    assert (await rep.execute(OWN))["companies"] == [{"company": {"id": company["id"], "cui": cui, "verification": "VERIFIED_BY_INVITATION"}}]
    assert [r["id"] for r in (await rep.execute(REQUESTS))["collaborationRequests"]] == [sent["id"]]

    # The squatter sees nothing of the invitation, the representative or the company any more.
    assert (await squatter_client.execute(REQUESTS))["collaborationRequests"] == []
    assert (await squatter_client.execute(COMPANIES, rel=None))["companies"] == []
    assert (await squatter_client.execute(NOTIFICATIONS))["notifications"]["edges"] == []
    assert await OutboxMessage.filter(to_email=squatter["email"]).count() == 0
    for operation, variables in ((RESPOND, {"id": sent["id"], "accept": True}), (COMPANY, {"id": company["id"]}),
                                 (PORTFOLIO, {"id": company["id"]})):
        with pytest.raises(GraphQLError) as err:
            await squatter_client.execute(operation, **variables)
        assert err.value.codes == ["NOT_FOUND"]
    with pytest.raises(GraphQLError) as missing:
        await squatter_client.execute(RESPOND, id="987654", accept=True)
    with pytest.raises(GraphQLError) as someone_elses:
        await squatter_client.execute(RESPOND, id=sent["id"], accept=True)
    assert someone_elses.value.errors[0]["message"] == missing.value.errors[0]["message"]
    # Nor can the claim be made again.
    again = (await squatter_client.execute(CREATE_COMPANY, input={"cui": cui}))["createCompany"]
    assert [e["code"] for e in again["errors"]] == ["COMPANY_EXISTS"]

    # The owner sees the claim and removes it, then accepts in the company's name.
    seen = (await rep.execute(COMPANY, id=company["id"]))["company"]
    assert [c["user"] for c in seen["claimants"]] == [{"id": squatter["id"], "email": squatter["email"]}]
    removed = (await rep.execute(REMOVE_CLAIMANT, companyId=company["id"], userId=squatter["id"]))["removeCompanyClaimant"]
    assert removed["errors"] == [] and removed["company"]["claimants"] == []
    accepted = (await rep.execute(RESPOND, id=sent["id"], accept=True))["respondToCollaboration"]
    assert accepted["errors"] == [] and accepted["invitation"]["status"] == "ACCEPTED"
    assert accepted["invitation"]["clientCompany"]["id"] == company["id"]
    assert (await squatter_client.execute(COMPANIES, rel=None))["companies"] == []


async def test_an_unverified_claim_never_blocks_and_a_verified_owner_closes_the_company(service, db):
    from anaf.sandbox.dataset import get_dataset

    small = get_dataset().holders["small"]
    cui = small.cuis[1]
    first, _ = await api_user(service)
    second, _ = await api_user(service)
    company = await api_company(service, first, cui)
    # While nobody has proven the company, a second person may claim it too (and then prove it).
    assert (await api_company(service, second, cui))["id"] == company["id"]
    await activate_efactura(service, second, company["id"], holder_key="small")
    assert (await service.client(second).execute(COMPANY, id=company["id"]))["company"]["verification"] == "VERIFIED_BY_EFACTURA"
    with pytest.raises(GraphQLError) as err:
        await service.client(first).execute(COMPANY, id=company["id"])
    assert err.value.codes == ["NOT_FOUND"]
    third, _ = await api_user(service)
    closed = (await service.client(third).execute(CREATE_COMPANY, input={"cui": cui}))["createCompany"]
    assert [e["code"] for e in closed["errors"]] == ["COMPANY_EXISTS"]


async def test_only_a_verified_manager_removes_claims_and_only_claims(service, db):
    firm = await ready_firm(service)
    cui = firm.cuis[0]
    squatter_token, squatter = await api_user(service)
    company = await api_company(service, squatter_token, cui)
    other_token, other = await api_user(service)
    assert (await api_company(service, other_token, cui))["id"] == company["id"]
    # An unverified claim cannot remove another.
    with pytest.raises(GraphQLError) as err:
        await service.client(squatter_token).execute(REMOVE_CLAIMANT, companyId=company["id"], userId=other["id"])
    assert err.value.codes == ["FORBIDDEN"]
    assert (await service.client(squatter_token).execute(COMPANY, id=company["id"]))["company"]["claimants"] == []

    sent = (await send(service, firm, [row(cui, 0)]))["invitations"][0]
    signed = (await service.client().execute(SIGN_UP, input={"token": await link_token(sent["id"]), "password": "o-parola-lunga-1"}))[
        "acceptInvitationSignUp"]
    rep = service.client(signed["token"])
    with pytest.raises(GraphQLError) as err:  # a verified owner is not a claim
        await rep.execute(REMOVE_CLAIMANT, companyId=company["id"], userId=signed["user"]["id"])
    assert err.value.codes == ["NOT_FOUND"]
    for nobody in ("99999999999999999999", "x"):
        with pytest.raises(GraphQLError) as err:
            await rep.execute(REMOVE_CLAIMANT, companyId=company["id"], userId=nobody)
        assert err.value.codes == ["NOT_FOUND"]
    claims = (await rep.execute(COMPANY, id=company["id"]))["company"]["claimants"]
    assert sorted(c["user"]["id"] for c in claims) == sorted([squatter["id"], other["id"]])


async def test_a_claimant_who_holds_the_link_is_verified_by_claiming_it(service, db):
    from tests.support.invitations import CLAIM

    firm = await ready_firm(service)
    cui = firm.cuis[0]
    squatter_token, _ = await api_user(service)
    company = await api_company(service, squatter_token, cui)
    rep_token, _ = await api_user(service, email="ana.reprezentant@client.ro")
    assert (await api_company(service, rep_token, cui))["id"] == company["id"]  # a second claim, before any proof
    sent = (await send(service, firm, [row(cui, 0, email="ana.reprezentant@client.ro")]))["invitations"][0]
    claimed = (await service.client(rep_token).execute(CLAIM, token=await link_token(sent["id"])))["claimInvitation"]
    assert claimed["errors"] == [] and claimed["invitation"]["clientCompany"]["id"] == company["id"]
    assert (await service.client(rep_token).execute(OWN))["companies"] == [
        {"company": {"id": company["id"], "cui": cui, "verification": "VERIFIED_BY_INVITATION"}}]
    assert [r["id"] for r in (await service.client(rep_token).execute(REQUESTS))["collaborationRequests"]] == [sent["id"]]
    assert (await service.client(squatter_token).execute(OWN))["companies"] == []
