"""The invitation link page without an account: declining, an expired link, an unknown link."""

from __future__ import annotations

from datetime import timedelta

from playwright.async_api import expect

from tests.browser.conftest import screen
from tests.support.factories import api_user
from tests.support.invitations import ready_firm, row, send

UNREAD = "{ unreadNotificationCount }"


async def test_decline_without_an_account_and_links_that_no_longer_work(web, browser, send_mail):
    from domain.invitations.models import Invitation
    from domain.kernel.clock import now

    firm = await ready_firm(web, count=4)
    await api_user(web, email="has.account@example.ro", name="Dan Cont", password="parola-lui-dan-1")
    rows = [row(firm.cuis[0], 0), row(firm.cuis[1], 1), row(firm.cuis[2], 2), row(firm.cuis[3], 3, email="has.account@example.ro")]
    sent = (await send(web, firm, rows))["invitations"]
    messages = await send_mail(4)
    link = {m["To"]: next(u for u in m.get_body(("plain",)).get_content().split() if "/invite/" in u and "#" not in u) for m in messages}
    declining, expiring, revoking, claiming = (link[s["email"]] for s in sent)

    page = await browser(phone=True)
    await page.goto(f"{declining}#decline")
    await expect(page.get_by_role("heading", name="Nu doriți să colaborați?")).to_be_visible()
    await expect(page.get_by_role("button", name="Creează contul")).to_be_visible()  # or create the account
    await page.get_by_role("button", name="Refuză invitația").click()
    await expect(page.get_by_text("Ați refuzat invitația. Firma de contabilitate a fost anunțată.")).to_be_visible()
    await screen(page, "20-invitation-declined")
    assert (await Invitation.get(id=int(sent[0]["id"]))).status == "DECLINED"
    assert (await web.client(firm.token).execute(UNREAD))["unreadNotificationCount"] == 1
    await page.reload()
    await expect(page.get_by_test_id("link-status")).to_have_text("Această invitație a fost refuzată.")

    await Invitation.filter(id=int(sent[1]["id"])).update(expires_at=now() - timedelta(minutes=1))
    await page.goto(expiring)
    await expect(page.get_by_test_id("link-status")).to_have_text("Invitația a expirat. Cereți firmei de contabilitate să trimită una nouă.")
    await expect(page.get_by_role("button", name="Refuză invitația")).to_have_count(0)
    await screen(page, "21-invitation-expired")

    await page.goto(f"{web.url}/invite/not-a-real-link")
    await expect(page.get_by_role("alert")).to_have_text("Linkul de invitație nu este valid. Verificați că a fost copiat complet.")


    # The firm resends one invitation (a new e-mail, the old link dies) and revokes it
    accountant = await browser()
    await accountant.goto(f"{web.url}/signin")
    await accountant.evaluate("token => localStorage.setItem('portofoliu.token', token)", firm.token)
    await accountant.goto(f"{web.url}/invitations")
    row_ = accountant.locator(f"tr[data-cui='{sent[2]['cui']}']")
    await expect(row_.get_by_test_id("invitation-status")).to_have_text("Trimisă")

    # a plain member sees it but may not resend it (the firm has not let members invite): told whom to ask
    from domain.companies.models import CompanyVerification, Membership

    member_token, member_user = await api_user(web, name="Coleg Membru")
    await Membership.create(user_id=int(member_user["id"]), company_id=int(firm.id), role="MEMBER",
                            verification=CompanyVerification.VERIFIED_BY_INVITATION)
    member = await browser()
    await member.goto(f"{web.url}/signin")
    await member.evaluate("token => localStorage.setItem('portofoliu.token', token)", member_token)
    await member.goto(f"{web.url}/invitations")
    await member.locator(f"tr[data-cui='{sent[2]['cui']}']").get_by_role("button", name="Retrimite").click()
    await expect(member.get_by_role("alert")).to_contain_text(
        "o pot face proprietarii și administratorii ei. Cereți-le să o facă ei sau să permită membrilor să trimită invitații")
    await row_.get_by_role("button", name="Retrimite").click()
    await expect(accountant.get_by_role("status").filter(has_text="a fost retrimisă, cu un link nou.")).to_be_visible()
    received = await send_mail(6)  # the four invitations, the firm's "declined" e-mail, the resent invitation
    assert [m["To"] for m in received[4:]] == [firm.user["email"], sent[2]["email"]]
    fresh = next(u for u in received[5].get_body(("plain",)).get_content().split() if "/invite/" in u and "#" not in u)
    assert fresh != revoking
    await row_.get_by_role("button", name="Retrage").click()
    await expect(row_.get_by_test_id("invitation-status")).to_have_text("Retrasă")
    await expect(row_.get_by_role("button")).to_have_count(0)
    await page.goto(fresh)
    await expect(page.get_by_test_id("link-status")).to_have_text("Firma de contabilitate a retras această invitație.")
    await page.goto(revoking)
    await expect(page.get_by_role("alert")).to_have_text("Linkul de invitație nu este valid. Verificați că a fost copiat complet.")


    # An address that already has an account signs in on the link's page and takes the invitation
    await page.goto(claiming)
    await expect(page.get_by_role("heading", name="Aveți deja cont cu has.account@example.ro")).to_be_visible()
    await expect(page.get_by_label("E-mail")).to_have_value("has.account@example.ro")
    await screen(page, "22-invitation-sign-in-and-take")
    await page.get_by_label("Parolă").fill("parola-lui-dan-1")
    await page.get_by_role("button", name="Intră în cont").click()
    await expect(page.get_by_text("Sunteți autentificat ca has.account@example.ro.")).to_be_visible()
    await page.get_by_role("button", name="Preia invitația").click()
    await expect(page.get_by_text("Invitația este în contul dvs. Acceptați-o din clopoțel.")).to_be_visible()
    await page.get_by_role("button", name="Notificări, 1 necitite").click()
    await page.get_by_role("region", name="Notificări").get_by_role("button", name="Acceptă").click()
    await expect(page.get_by_role("region", name="Notificări").get_by_role("button", name="Acceptă")).to_have_count(0)
    assert (await Invitation.get(id=int(sent[3]["id"]))).status == "ACCEPTED"
