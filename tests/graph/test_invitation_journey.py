"""The whole path over real HTTP and a real SMTP server: the firm sends, the outbox job delivers, the
client follows the link from the received e-mail, signs up with the company pre-filled, accepts;
then expiry with a short TTL and reminders, each e-mail read from the SMTP server."""

import asyncio
from datetime import timedelta

from jobs.expire_invitations import expire_invitations
from jobs.invitation_reminders import send_reminders
from jobs.send_outbox import send_pending
from tests.support.factories import sandbox_company
from tests.support.invitations import COMPANIES, LIST, PREVIEW, REQUESTS, RESPOND, SIGN_UP, ready_firm, row, send
from tests.support.smtp import links_in, text_of


def token_of(message) -> str:
    link = next(link for link in links_in(message) if "/invite/" in link)
    return link.rsplit("/invite/", 1)[1]


async def test_invite_sign_up_accept_through_real_email(start_service, smtp_server, db):
    service = await start_service(smtp_url=smtp_server.url)
    firm = await ready_firm(service)
    sent = (await send(service, firm, [row(firm.cuis[0], message="Vă așteptăm!")]))["invitations"][0]
    assert await send_pending(service.services) == 1
    [mail] = await smtp_server.wait_for(1)
    assert mail["To"] == sent["email"] and firm.company["name"] in mail["Subject"]
    assert "Vă așteptăm!" in text_of(mail)
    token = token_of(mail)

    anonymous = service.client()
    preview = (await anonymous.execute(PREVIEW, token=token))["invitationPreview"]
    assert (preview["status"], preview["cui"], preview["accountExists"]) == ("PENDING", sent["cui"], False)
    signed = (await anonymous.execute(SIGN_UP, input={"token": token, "password": "parola-clientului-1"}))["acceptInvitationSignUp"]
    client = service.client(signed["token"])
    own = (await client.execute(COMPANIES, rel="OWN"))["companies"]
    assert [e["company"]["name"] for e in own] == [sandbox_company(sent["cui"]).name.upper()]
    [request] = (await client.execute(REQUESTS))["collaborationRequests"]
    accepted = (await client.execute(RESPOND, id=request["id"], accept=True))["respondToCollaboration"]
    assert accepted["invitation"]["status"] == "ACCEPTED"
    assert [e["relationship"] for e in (await service.client(firm.token).execute(COMPANIES, rel=None))["companies"]] == ["OWN", "CLIENT"]
    assert [e["company"]["id"] for e in (await client.execute(COMPANIES, rel="ACCOUNTANT"))["companies"]] == [firm.id]
    assert await send_pending(service.services) == 1
    [_, answer] = await smtp_server.wait_for(2)
    assert answer["To"] == firm.user["email"] and sent["representativeName"] in text_of(answer)
    trail = (await service.client(firm.token).execute(LIST, companyId=firm.id))["invitations"]["edges"][0]["node"]["events"]
    assert [e["action"] for e in trail] == ["SENT", "ACCOUNT_CREATED", "ACCEPTED"]


async def test_short_ttl_expires_and_the_firm_gets_one_grouped_notification(start_service, db):
    from domain.invitations.models import Invitation
    from domain.notifications.models import Notification

    service = await start_service(invitation_ttl_seconds=1)
    firm = await ready_firm(service, count=3)
    sent = (await send(service, firm, [row(c, n) for n, c in enumerate(firm.cuis)]))["invitations"]
    await asyncio.sleep(1.1)
    listed = (await service.client(firm.token).execute(LIST, companyId=firm.id, status="EXPIRED"))["invitations"]
    assert listed["totalCount"] == 3  # reads see the expiry before the job runs
    assert await expire_invitations() == 3
    assert await expire_invitations() == 0  # idempotent
    assert {i.status for i in await Invitation.filter(id__in=[int(s["id"]) for s in sent])} == {"EXPIRED"}
    [note] = await Notification.filter(user_id=int(firm.user["id"]), kind="INVITATION_EXPIRED")
    assert note.title == "3 invitații au expirat" and note.data["count"] == 3
    # A new invitation to an expired one's company is allowed.
    assert (await send(service, firm, [row(firm.cuis[0])]))["errors"] == []


async def test_reminders_before_expiry_only_for_unopened_invitations(start_service, smtp_server, db):
    from domain.invitations.models import Invitation

    service = await start_service(smtp_url=smtp_server.url)
    firm = await ready_firm(service, count=3)
    sent = (await send(service, firm, [row(c, n) for n, c in enumerate(firm.cuis)]))["invitations"]
    await send_pending(service.services)
    first_mails = await smtp_server.wait_for(3)
    original = {m["To"]: token_of(m) for m in first_mails}
    # Eight days pass for every invitation; the second one has been answered, the third revoked.
    for inv in await Invitation.all():
        await Invitation.filter(id=inv.id).update(sent_at=inv.sent_at - timedelta(days=8), expires_at=inv.expires_at - timedelta(days=8))
    await service.client().execute(SIGN_UP, input={"token": original[sent[1]["email"]], "password": "parola-clientului-1"})
    await Invitation.filter(id=int(sent[2]["id"])).update(status="REVOKED", open_key=None)
    settings = service.settings
    assert await send_reminders(settings) == 1
    assert await send_reminders(settings) == 0  # the day-7 reminder goes once
    await send_pending(service.services)
    reminder = (await smtp_server.wait_for(4))[3]
    assert reminder["To"] == sent[0]["email"] and "7" in text_of(reminder)
    anonymous = service.client()
    for token in (token_of(reminder), original[sent[0]["email"]]):  # the new link, and the one before it, both work
        assert (await anonymous.execute(PREVIEW, token=token))["invitationPreview"]["status"] == "PENDING"
    # Past expiry nothing is sent.
    await Invitation.filter(id=int(sent[0]["id"])).update(expires_at=(await Invitation.get(id=int(sent[0]["id"]))).sent_at)
    await Invitation.filter(id=int(sent[0]["id"])).update(sent_at=(await Invitation.get(id=int(sent[0]["id"]))).sent_at - timedelta(days=6))
    assert await send_reminders(settings) == 0
