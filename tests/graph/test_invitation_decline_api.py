"""Declining from the e-mailed link, without an account; and what the invitation e-mail tells an
address that has an account and one that has none."""

from datetime import timedelta

from tests.support.factories import api_user
from tests.support.invitations import PREVIEW, SIGN_UP, link_token, ready_firm, row, send

DECLINE = """mutation($token: String!) { declineInvitation(token: $token) {
  invitation { id status answeredAt accountingFirm { id } } errors { code field message } } }"""


async def invite(service, firm, n=0, **overrides):
    sent = (await send(service, firm, [row(firm.cuis[n], n, **overrides)]))["invitations"][0]
    return sent, await link_token(sent["id"])


async def test_decline_from_the_link_without_an_account_tells_the_firm(service, db):
    from domain.invitations.models import InvitationEvent
    from domain.mail.models import OutboxMessage
    from domain.mail.outbox import rendered
    from domain.notifications.models import Notification
    from domain.portfolio.models import PortfolioEntry

    firm = await ready_firm(service)
    sent, token = await invite(service, firm)
    anonymous = service.client(lang="ro")
    answer = (await anonymous.execute(DECLINE, token=token))["declineInvitation"]
    assert answer["errors"] == []
    assert answer["invitation"]["id"] == sent["id"] and answer["invitation"]["status"] == "DECLINED" and answer["invitation"]["answeredAt"]
    assert (await PortfolioEntry.get(firm_id=int(firm.id), cui=sent["cui"])).status == "DECLINED"
    (notice,) = await Notification.filter(user_id=int(firm.user["id"]), kind="INVITATION_DECLINED")
    assert sent["cui"] in notice.body and notice.invitation_id == int(sent["id"])
    (mail,) = await OutboxMessage.filter(kind="client_declined")
    assert mail.to_email == firm.user["email"] and sent["representativeName"] in rendered(mail).text
    assert [e.action for e in await InvitationEvent.filter(invitation_id=int(sent["id"])).order_by("id")] == ["SENT", "DECLINED"]

    # The link is used: it cannot decline twice, nor sign up; the preview shows only the status.
    again = (await anonymous.execute(DECLINE, token=token))["declineInvitation"]
    assert [(e["code"], e["message"]) for e in again["errors"]] == [("INVITATION_ALREADY_USED", "Această invitație a fost deja folosită.")]
    assert (await anonymous.execute(PREVIEW, token=token))["invitationPreview"]["status"] == "DECLINED"
    signed = (await anonymous.execute(SIGN_UP, input={"token": token, "password": "o-parola-lunga-1"}))["acceptInvitationSignUp"]
    assert [e["code"] for e in signed["errors"]] == ["INVITATION_ALREADY_USED"]
    # The company can be invited again.
    assert (await send(service, firm, [row(firm.cuis[0], 0)]))["errors"] == []


async def test_decline_refuses_unknown_expired_and_revoked_links(service, db):
    from domain.invitations.models import Invitation
    from domain.kernel.clock import now

    firm = await ready_firm(service)
    anonymous = service.client()
    unknown = (await anonymous.execute(DECLINE, token="not-a-link"))["declineInvitation"]
    assert [(e["code"], e["field"]) for e in unknown["errors"]] == [("INVITATION_NOT_FOUND", ["token"])]

    expired, expired_token = await invite(service, firm, 0)
    await Invitation.filter(id=int(expired["id"])).update(expires_at=now() - timedelta(minutes=1))
    answer = (await anonymous.execute(DECLINE, token=expired_token))["declineInvitation"]
    assert [e["code"] for e in answer["errors"]] == ["INVITATION_EXPIRED"]

    revoked, revoked_token = await invite(service, firm, 1)
    await service.client(firm.token).execute("mutation($id: ID!) { revokeInvitation(id: $id) { errors { code } } }", id=revoked["id"])
    answer = (await anonymous.execute(DECLINE, token=revoked_token))["declineInvitation"]
    assert [e["code"] for e in answer["errors"]] == ["INVITATION_REVOKED"]
    assert (await Invitation.get(id=int(revoked["id"]))).status == "REVOKED"


async def test_the_invitation_email_says_sign_in_to_an_account_and_sign_up_to_a_new_address(service, db):
    from domain.mail.models import OutboxMessage
    from domain.mail.outbox import rendered

    firm = await ready_firm(service)
    await api_user(service, email="has.account@example.ro", name="Dan Cont")
    await send(service, firm, [row(firm.cuis[0], 0, email="has.account@example.ro"), row(firm.cuis[1], 1, email="new.person@example.ro")])
    existing = await OutboxMessage.get(kind="invitation", to_email="has.account@example.ro")
    new = await OutboxMessage.get(kind="invitation", to_email="new.person@example.ro")
    to_existing, to_new = rendered(existing), rendered(new)
    assert "autentificați-vă și preluați invitația" in to_existing.text and "creați-vă contul" not in to_existing.text
    assert "creați-vă contul" in to_new.text and "autentificați-vă" not in to_new.text
    for mail, body in ((existing, to_existing), (new, to_new)):
        assert f"{mail.link}#decline" in body.text and f'href="{mail.link}#decline"' in body.html
        assert "aceeași pagină" not in body.text
