"""The firm's side of invitations over real HTTP: sending (with every bad input), idempotency,
resend, revoke, listing with the audit trail."""

import pytest

from tests.support.factories import api_company, api_user, holder
from tests.support.graphql import GraphQLError
from tests.support.invitations import LIST, RESEND, REVOKE, add_to_portfolio, link_token, make_ready, ready_firm, row, send


async def test_send_valid_rows_and_report_every_bad_one(service, db):
    from domain.invitations.models import Invitation, InvitationEvent
    from domain.mail.models import OutboxMessage
    from domain.mail.outbox import rendered
    from domain.portfolio.models import PortfolioEntry

    firm = await ready_firm(service, count=6)
    c = firm.cuis
    outside = holder("medium").cuis[0]
    rows = [
        row(c[0], 0),
        row(c[1], 1, email="not-an-email", phone="12"),
        row(outside, 2),
        row(c[2], 3, representativeName="   "),
        row(c[3], 4, message="x" * 1001),
        row(c[0], 5),  # the same CUI twice in one call
        row("RO" + c[4], 6, email="Ana.Pop@Example.RO", phone="+40 722 123 456", message="Bună ziua!"),
        row("123", 7),
    ]
    result = await send(service, firm, rows)
    assert [(e["code"], e["field"]) for e in result["errors"]] == [
        ("INVALID_EMAIL", ["invitations", "1", "email"]),
        ("INVALID_PHONE", ["invitations", "1", "phone"]),
        ("NOT_IN_PORTFOLIO", ["invitations", "2", "cui"]),
        ("INVALID_INPUT", ["invitations", "3", "representativeName"]),
        ("INVALID_INPUT", ["invitations", "4", "message"]),
        ("ALREADY_INVITED", ["invitations", "5", "cui"]),
        ("INVALID_CUI", ["invitations", "7", "cui"]),
    ]
    sent = result["invitations"]
    assert [(i["cui"], i["status"]) for i in sent] == [(c[0], "PENDING"), (c[4], "PENDING")]
    assert sent[1]["email"] == "ana.pop@example.ro" and sent[1]["phone"] == "+40722123456"
    assert sent[0]["accountingFirm"]["id"] == firm.id and sent[0]["clientCompany"] is None
    # Failing rows wrote nothing: two invitations, two trails, two e-mails, two portfolio entries moved.
    assert await Invitation.all().count() == 2
    assert await InvitationEvent.filter(action="SENT").count() == 2
    mails = await OutboxMessage.filter(kind="invitation").order_by("id")
    assert [m.to_email for m in mails] == [sent[0]["email"], "ana.pop@example.ro"]
    assert "Bună ziua!" in rendered(mails[1]).text
    assert {e.cui: e.status for e in await PortfolioEntry.filter(firm_id=int(firm.id))} == {
        c[0]: "INVITED", c[1]: "DISCOVERED", c[2]: "DISCOVERED", c[3]: "DISCOVERED", c[4]: "INVITED", c[5]: "DISCOVERED"}
    # The link carries 256 random bits; only its hash is stored.
    invitation = await Invitation.get(id=int(sent[0]["id"]))
    token = await link_token(invitation.id)
    assert len(token) == 43 and token not in invitation.token_hash
    assert (invitation.expires_at - invitation.sent_at).total_seconds() == service.settings.invitation_ttl_seconds


async def test_romanian_messages(service, db):
    firm = await ready_firm(service)
    data = await service.client(firm.token, lang="ro").execute(
        "mutation($id: ID!, $rows: [InvitationInput!]!) { sendInvitations(companyId: $id, invitations: $rows) { errors { code message } } }",
        id=firm.id, rows=[row(firm.cuis[0], email="x")])
    assert data["sendInvitations"]["errors"][0]["message"].startswith("Introduceți o adresă de e-mail")


async def test_prerequisites_and_limits(service, db):
    from domain.invitations.models import Invitation

    token, _ = await api_user(service)
    company = await api_company(service, token, holder("small").firm_cui)
    firm_cuis = holder("small").cuis[:2]
    await add_to_portfolio(company["id"], firm_cuis)
    client = service.client(token)
    from tests.support.invitations import SEND

    result = (await client.execute(SEND, companyId=company["id"], rows=[row(firm_cuis[0])]))["sendInvitations"]
    # Every unmet prerequisite is reported at once, as the set-up check-list shows them.
    assert [e["code"] for e in result["errors"]] == ["ACCOUNTING_SERVICES_DISABLED", "EFACTURA_NOT_AUTHORIZED"]
    await client.execute("mutation($id: ID!) { setProvidesAccountingServices(companyId: $id, enabled: true) { errors { code } } }", id=company["id"])
    result = (await client.execute(SEND, companyId=company["id"], rows=[row(firm_cuis[0])]))["sendInvitations"]
    assert [e["code"] for e in result["errors"]] == ["EFACTURA_NOT_AUTHORIZED"]
    await make_ready(company["id"])
    too_many = [row(firm_cuis[0], n) for n in range(1001)]
    result = (await client.execute(SEND, companyId=company["id"], rows=too_many))["sendInvitations"]
    assert [(e["code"], e["field"]) for e in result["errors"]] == [("TOO_MANY_ITEMS", ["invitations"])]
    assert await Invitation.all().count() == 0
    stranger, _ = await api_user(service)
    with pytest.raises(GraphQLError) as err:
        await service.client(stranger).execute(SEND, companyId=company["id"], rows=[row(firm_cuis[0])])
    assert err.value.codes == ["NOT_FOUND"]


async def test_one_open_invitation_per_company_and_none_for_a_client(service, db):
    from domain.companies.models import Company
    from domain.invitations.models import Collaboration

    firm = await ready_firm(service)
    c = firm.cuis
    assert (await send(service, firm, [row(c[0])]))["errors"] == []
    again = await send(service, firm, [row(c[0], 9)])
    assert [(e["code"], e["field"]) for e in again["errors"]] == [("ALREADY_INVITED", ["invitations", "0", "cui"])]
    client_company = await Company.create(cui=c[1], name="CLIENT SRL")
    await Collaboration.create(firm_id=int(firm.id), client=client_company)
    result = await send(service, firm, [row(c[1])])
    assert [e["code"] for e in result["errors"]] == ["ALREADY_COLLABORATING"]


async def test_idempotency_key_returns_the_first_answer_and_sends_nothing_twice(service, db):
    from domain.mail.models import OutboxMessage

    firm = await ready_firm(service)
    rows = [row(firm.cuis[0]), row(firm.cuis[1], email="bad")]
    first = await send(service, firm, rows, key="batch-1")
    second = await send(service, firm, rows, key="batch-1")
    assert second == first
    assert [e["code"] for e in second["errors"]] == ["INVALID_EMAIL"]
    assert await OutboxMessage.filter(kind="invitation").count() == 1
    other = await send(service, firm, [row(firm.cuis[2])], key="batch-2")
    assert len(other["invitations"]) == 1


async def test_resend_gives_a_new_link_and_restarts_expiry_a_few_times_an_hour(service, db):
    from domain.invitations.models import Invitation
    from tests.support.invitations import PREVIEW

    firm = await ready_firm(service)
    sent = (await send(service, firm, [row(firm.cuis[0])]))["invitations"][0]
    old_token = await link_token(sent["id"])
    await Invitation.filter(id=int(sent["id"])).update(sent_at=(await Invitation.get(id=int(sent["id"]))).sent_at.replace(year=2020))
    client = service.client(firm.token)
    result = (await client.execute(RESEND, id=sent["id"]))["resendInvitation"]
    assert result["errors"] == [] and result["invitation"]["id"] == sent["id"]
    assert result["invitation"]["expiresAt"] > sent["expiresAt"] or result["invitation"]["sentAt"] > sent["sentAt"]
    new_token = await link_token(sent["id"])
    assert new_token != old_token
    anonymous = service.client()
    assert (await anonymous.execute(PREVIEW, token=old_token))["invitationPreview"] is None
    assert (await anonymous.execute(PREVIEW, token=new_token))["invitationPreview"]["status"] == "PENDING"
    for _ in range(2):
        assert (await client.execute(RESEND, id=sent["id"]))["resendInvitation"]["errors"] == []
    limited = (await client.execute(RESEND, id=sent["id"]))["resendInvitation"]
    assert [e["code"] for e in limited["errors"]] == ["RATE_LIMITED"]


async def test_revoke_kills_the_link_and_frees_the_company(service, db):
    from domain.portfolio.models import PortfolioEntry
    from tests.support.invitations import PREVIEW

    firm = await ready_firm(service)
    sent = (await send(service, firm, [row(firm.cuis[0])]))["invitations"][0]
    token = await link_token(sent["id"])
    client = service.client(firm.token)
    revoked = (await client.execute(REVOKE, id=sent["id"]))["revokeInvitation"]
    assert revoked["invitation"]["status"] == "REVOKED"
    assert (await PortfolioEntry.get(firm_id=int(firm.id), cui=firm.cuis[0])).status == "REVOKED"
    preview = (await service.client().execute(PREVIEW, token=token))["invitationPreview"]
    assert preview["status"] == "REVOKED" and preview["email"] == "" and preview["companyName"] == ""
    twice = (await client.execute(REVOKE, id=sent["id"]))["revokeInvitation"]
    assert [e["code"] for e in twice["errors"]] == ["INVITATION_REVOKED"]
    assert [e["code"] for e in (await client.execute(RESEND, id=sent["id"]))["resendInvitation"]["errors"]] == ["INVITATION_REVOKED"]
    assert (await send(service, firm, [row(firm.cuis[0])]))["errors"] == []
    stranger, _ = await api_user(service)
    for op in (REVOKE, RESEND):
        with pytest.raises(GraphQLError) as err:
            await service.client(stranger).execute(op, id=sent["id"])
        assert err.value.codes == ["NOT_FOUND"]


async def test_list_pages_filters_and_shows_the_audit_trail(service, db):
    firm = await ready_firm(service, count=5)
    sent = (await send(service, firm, [row(c, n) for n, c in enumerate(firm.cuis)]))["invitations"]
    client = service.client(firm.token)
    await client.execute(REVOKE, id=sent[0]["id"])
    page1 = (await client.execute(LIST, companyId=firm.id, first=3))["invitations"]
    assert page1["totalCount"] == 5 and page1["pageInfo"]["hasNextPage"] is True
    assert [e["node"]["id"] for e in page1["edges"]] == [i["id"] for i in reversed(sent)][:3]
    page2 = (await client.execute(LIST, companyId=firm.id, first=3, after=page1["pageInfo"]["endCursor"]))["invitations"]
    assert [e["node"]["id"] for e in page2["edges"]] == [sent[1]["id"], sent[0]["id"]] and page2["pageInfo"]["hasNextPage"] is False
    trail = page2["edges"][1]["node"]["events"]
    assert [(e["action"], e["actor"]["email"]) for e in trail] == [("SENT", firm.user["email"]), ("REVOKED", firm.user["email"])]
    revoked = (await client.execute(LIST, companyId=firm.id, status="REVOKED"))["invitations"]
    assert revoked["totalCount"] == 1
    pending = (await client.execute(LIST, companyId=firm.id, status="PENDING"))["invitations"]
    assert pending["totalCount"] == 4
