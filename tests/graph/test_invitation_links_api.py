"""The client's side over real HTTP: preview, sign-up from the link, claim, the collaboration answer,
and what both sides then see in `companies` and in the portfolio."""

import pytest

from tests.support.factories import api_company, api_user, sandbox_company
from tests.support.graphql import GraphQLError
from tests.support.invitations import CLAIM, COMPANIES, PREVIEW, REQUESTS, RESPOND, REVOKE, SIGN_UP, link_token, ready_firm, row, send


async def invite(service, firm, n=0, **overrides):
    sent = (await send(service, firm, [row(firm.cuis[n], n, **overrides)]))["invitations"][0]
    return sent, await link_token(sent["id"])


async def test_sign_up_from_the_link_then_accept(service, db):
    from domain.notifications.models import Notification
    from domain.portfolio.models import PortfolioEntry

    firm = await ready_firm(service)
    sent, token = await invite(service, firm)
    anonymous = service.client()
    preview = (await anonymous.execute(PREVIEW, token=token))["invitationPreview"]
    assert preview == {"accountingFirmName": firm.company["name"], "companyName": sent["companyName"], "cui": sent["cui"],
                       "representativeName": sent["representativeName"], "email": sent["email"], "status": "PENDING",
                       "expiresAt": sent["expiresAt"], "accountExists": False}
    signed = (await anonymous.execute(SIGN_UP, input={"token": token, "password": "o-parola-lunga-1"}))["acceptInvitationSignUp"]
    assert signed["errors"] == []
    assert signed["user"]["email"] == sent["email"] and signed["user"]["name"] == sent["representativeName"]
    client = service.client(signed["token"])
    own = (await client.execute(COMPANIES, rel="OWN"))["companies"]
    expected = sandbox_company(sent["cui"])
    assert [(e["company"]["cui"], e["company"]["name"]) for e in own] == [(sent["cui"], expected.name.upper())]
    requests = (await client.execute(REQUESTS))["collaborationRequests"]
    assert [(r["id"], r["status"], r["accountingFirm"]["name"]) for r in requests] == [(sent["id"], "ACCOUNT_CREATED", firm.company["name"])]
    assert await Notification.filter(user_id=int(firm.user["id"]), kind="CLIENT_ACCOUNT_CREATED").count() == 1
    assert await Notification.filter(user_id=int(signed["user"]["id"]), kind="COLLABORATION_INVITATION").count() == 1
    assert (await PortfolioEntry.get(firm_id=int(firm.id), cui=sent["cui"])).status == "ACCOUNT_CREATED"
    # The link is used now: it reveals nothing more and cannot sign up twice.
    used = (await anonymous.execute(PREVIEW, token=token))["invitationPreview"]
    assert used["status"] == "ACCOUNT_CREATED" and used["email"] == ""
    again = (await anonymous.execute(SIGN_UP, input={"token": token, "password": "o-parola-lunga-1"}))["acceptInvitationSignUp"]
    assert [e["code"] for e in again["errors"]] == ["INVITATION_ALREADY_USED"]

    answer = (await client.execute(RESPOND, id=sent["id"], accept=True))["respondToCollaboration"]
    assert answer["errors"] == [] and answer["invitation"]["status"] == "ACCEPTED" and answer["invitation"]["acceptedAt"]
    twice = (await client.execute(RESPOND, id=sent["id"], accept=False))["respondToCollaboration"]
    assert [e["code"] for e in twice["errors"]] == ["INVITATION_ALREADY_USED"]
    firm_side = (await service.client(firm.token).execute(COMPANIES, rel=None))["companies"]
    assert [(e["relationship"], e["company"]["cui"], (e["via"] or {}).get("id")) for e in firm_side] == [
        ("OWN", firm.company["cui"], None), ("CLIENT", sent["cui"], firm.id)]
    assert firm_side[1]["since"]
    client_side = (await client.execute(COMPANIES, rel="ACCOUNTANT"))["companies"]
    assert [(e["company"]["id"], e["via"]["id"]) for e in client_side] == [(firm.id, own[0]["company"]["id"])]
    assert (await PortfolioEntry.get(firm_id=int(firm.id), cui=sent["cui"])).status == "COLLABORATING"
    # The firm's portfolio page shows the entry with its invitation and the client's company.
    page = (await service.client(firm.token).execute(
        """query($id: ID!) { portfolio(companyId: $id, status: COLLABORATING) { edges { node {
             cui status invitation { id status acceptedAt } clientCompany { cui } } } } }""", id=firm.id))["portfolio"]
    assert [e["node"]["cui"] for e in page["edges"]] == [sent["cui"]]
    node = page["edges"][0]["node"]
    assert node["invitation"]["id"] == sent["id"] and node["invitation"]["status"] == "ACCEPTED"
    assert node["clientCompany"] == {"cui": sent["cui"]}
    assert await Notification.filter(user_id=int(firm.user["id"]), kind="INVITATION_ACCEPTED").count() == 1
    assert (await client.execute(REQUESTS))["collaborationRequests"] == []


async def test_decline(service, db):
    from domain.mail.models import OutboxMessage
    from domain.mail.outbox import rendered

    firm = await ready_firm(service)
    sent, token = await invite(service, firm)
    signed = (await service.client().execute(SIGN_UP, input={"token": token, "password": "o-parola-lunga-1", "name": "Dan Client",
                                                             "phone": "0733 000 111"}))["acceptInvitationSignUp"]
    assert signed["user"]["name"] == "Dan Client" and signed["user"]["phone"] == "+40733000111"
    answer = (await service.client(signed["token"]).execute(RESPOND, id=sent["id"], accept=False))["respondToCollaboration"]
    assert answer["invitation"]["status"] == "DECLINED"
    assert (await service.client(firm.token).execute(COMPANIES, rel="CLIENT"))["companies"] == []
    mail = await OutboxMessage.get(kind="client_declined")
    assert mail.to_email == firm.user["email"] and "Dan Client" in rendered(mail).text


async def test_sign_up_bad_inputs(service, db):
    firm = await ready_firm(service)
    sent, token = await invite(service, firm)
    anonymous = service.client()

    async def codes(**input):
        result = (await anonymous.execute(SIGN_UP, input={"token": token, "password": "o-parola-lunga-1", **input}))["acceptInvitationSignUp"]
        assert result["token"] is None
        return [e["code"] for e in result["errors"]]

    assert await codes(token="nope") == ["INVITATION_NOT_FOUND"]
    assert await codes(password="scurta") == ["INVALID_PASSWORD"]
    assert await codes(phone="12") == ["INVALID_PHONE"]
    assert (await anonymous.execute(PREVIEW, token="nope"))["invitationPreview"] is None
    await api_user(service, email=sent["email"])
    assert (await anonymous.execute(PREVIEW, token=token))["invitationPreview"]["accountExists"] is True
    result = (await anonymous.execute(SIGN_UP, input={"token": token, "password": "o-parola-lunga-1"}))["acceptInvitationSignUp"]
    assert [e["code"] for e in result["errors"]] == ["EMAIL_TAKEN"] and "Sign in" in result["errors"][0]["message"]


async def test_claim_with_an_existing_account(service, db):
    firm = await ready_firm(service)
    sent, token = await invite(service, firm)
    other_token, other = await api_user(service)
    mismatch = (await service.client(other_token).execute(CLAIM, token=token))["claimInvitation"]
    assert [e["code"] for e in mismatch["errors"]] == ["INVITATION_EMAIL_MISMATCH"]
    assert other["email"] in mismatch["errors"][0]["message"] and sent["email"] in mismatch["errors"][0]["message"]
    with pytest.raises(GraphQLError) as err:
        await service.client().execute(CLAIM, token=token)
    assert err.value.codes == ["UNAUTHENTICATED"]
    mine, _ = await api_user(service, email=sent["email"].upper())
    claimed = (await service.client(mine).execute(CLAIM, token=token))["claimInvitation"]
    assert claimed["errors"] == [] and claimed["invitation"]["status"] == "ACCOUNT_CREATED"
    assert claimed["invitation"]["clientCompany"]["cui"] == sent["cui"]
    assert (await service.client(mine).execute(RESPOND, id=sent["id"], accept=True))["respondToCollaboration"]["errors"] == []


async def test_company_already_on_the_platform_asks_its_owners(service, db):
    from domain.companies.models import Membership
    from domain.mail.models import OutboxMessage

    firm = await ready_firm(service)
    owner_token, owner = await api_user(service, name="Proprietar Existent")
    company = await api_company(service, owner_token, firm.cuis[0])
    sent, token = await invite(service, firm)
    signed = (await service.client().execute(SIGN_UP, input={"token": token, "password": "o-parola-lunga-1"}))["acceptInvitationSignUp"]
    assert signed["errors"] == []
    newcomer = service.client(signed["token"])
    assert (await newcomer.execute(COMPANIES, rel=None))["companies"] == []  # not joined
    assert not await Membership.filter(user_id=int(signed["user"]["id"])).exists()
    request_mail = await OutboxMessage.get(kind="collaboration_request")
    assert request_mail.to_email == owner["email"]
    owner_client = service.client(owner_token)
    assert [r["id"] for r in (await owner_client.execute(REQUESTS))["collaborationRequests"]] == [sent["id"]]
    with pytest.raises(GraphQLError) as err:
        await newcomer.execute(RESPOND, id=sent["id"], accept=True)
    assert err.value.codes == ["NOT_FOUND"]
    with pytest.raises(GraphQLError) as err:
        await service.client(firm.token).execute(RESPOND, id=sent["id"], accept=True)
    assert err.value.codes == ["NOT_FOUND"]
    accepted = (await owner_client.execute(RESPOND, id=sent["id"], accept=True))["respondToCollaboration"]
    assert accepted["invitation"]["clientCompany"]["id"] == company["id"]


async def test_answers_after_revoke_or_expiry_are_refused(service, db):
    from datetime import timedelta

    from domain.invitations.models import Invitation

    firm = await ready_firm(service)
    results = {}
    for n, closing in enumerate(("revoke", "expire")):
        sent, token = await invite(service, firm, n)
        signed = (await service.client().execute(SIGN_UP, input={"token": token, "password": "o-parola-lunga-1"}))["acceptInvitationSignUp"]
        if closing == "revoke":
            await service.client(firm.token).execute(REVOKE, id=sent["id"])
        else:  # the job has not run: the read itself sees the expiry
            inv = await Invitation.get(id=int(sent["id"]))
            await Invitation.filter(id=inv.id).update(expires_at=inv.sent_at - timedelta(seconds=1))
        client = service.client(signed["token"])
        assert (await client.execute(REQUESTS))["collaborationRequests"] == []
        results[closing] = [e["code"] for e in (await client.execute(RESPOND, id=sent["id"], accept=True))["respondToCollaboration"]["errors"]]
    assert results == {"revoke": ["INVITATION_REVOKED"], "expire": ["INVITATION_EXPIRED"]}


async def test_expired_link_cannot_sign_up_even_before_the_job(service, db):
    from datetime import timedelta

    from domain.invitations.models import Invitation

    firm = await ready_firm(service)
    sent, token = await invite(service, firm)
    inv = await Invitation.get(id=int(sent["id"]))
    await Invitation.filter(id=inv.id).update(expires_at=inv.sent_at - timedelta(seconds=1))
    preview = (await service.client().execute(PREVIEW, token=token))["invitationPreview"]
    assert preview["status"] == "EXPIRED" and preview["cui"] == "" and preview["accountingFirmName"] == ""
    result = (await service.client().execute(SIGN_UP, input={"token": token, "password": "o-parola-lunga-1"}))["acceptInvitationSignUp"]
    assert [e["code"] for e in result["errors"]] == ["INVITATION_EXPIRED"]
    # The firm may invite the company again; the overdue one is closed on the way.
    assert (await send(service, firm, [row(firm.cuis[0])]))["errors"] == []
    assert (await Invitation.get(id=inv.id)).status == "EXPIRED"
