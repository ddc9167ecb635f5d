"""Proven ownership in the browser, on a phone: a firm's claim is unverified until its own e-Factura
authorization shows rights on its CUI; another firm's certificate is refused in plain words; once
verified, the owner removes a stranger's claim and lets members invite."""

from __future__ import annotations

import re

from playwright.async_api import expect

from tests.browser.conftest import screen
from tests.browser.test_journey import go_to_anaf, pick_certificate
from tests.support.factories import api_company, api_user, holder


async def test_verification_comes_from_the_firms_own_authorization(web, browser):
    firm_holder, foreign = holder("small"), holder("medium")
    assert foreign.name == "Andrei Mureșan" and firm_holder.firm_cui not in foreign.cuis
    token, _ = await api_user(web, name="Ioana Popescu")
    company = await api_company(web, token, firm_holder.firm_cui, accounting=True)
    stranger, _ = await api_user(web, name="Vlad Străinu", email="vlad@example.ro")
    await api_company(web, stranger, firm_holder.firm_cui)  # a second claim while nobody is verified

    page = await browser(phone=True)
    await page.goto(f"{web.url}/signin")
    await page.evaluate("token => localStorage.setItem('portofoliu.token', token)", token)
    await page.goto(f"{web.url}/")
    mine = page.locator(f"[data-company='{company['id']}']")
    await expect(page.get_by_test_id("verification")).to_have_text("! Neverificată")  # on the home page too
    await page.get_by_role("link", name="Cum dovediți că reprezentați firma").click()
    await expect(mine.get_by_test_id("verification")).to_have_text("! Neverificată")
    await expect(mine).to_contain_text("Dovada este una dintre: autorizarea RO e-Factura pentru ea")
    await expect(mine.get_by_role("switch")).to_have_count(0)  # nothing to administer before the proof
    await screen(page, "29-companies-unverified")
    await mine.get_by_role("link", name=f"Autorizează RO e-Factura pentru {company['name']}").click()

    # another firm's certificate: ANAF lets it log in, but it has no SPV rights on this CUI
    await go_to_anaf(page)
    await pick_certificate(page, foreign.name, foreign.pin)
    await expect(page).to_have_url(re.compile(r"/integrations/efactura\?status=error&reason=NO_EFACTURA_RIGHTS"))
    refused = page.get_by_role("alert").first
    await expect(refused).to_contain_text(f"Certificatul folosit nu are drepturi în SPV (Spațiul Privat Virtual ANAF) pentru CUI {firm_holder.firm_cui}")
    await expect(refused).to_contain_text("Autorizați din nou cu certificatul unei persoane care are drepturi în SPV pentru această firmă")
    await expect(page.get_by_test_id("efactura-status")).to_have_text("Eroare")
    await expect(page.get_by_test_id("efactura-last-error")).to_contain_text(firm_holder.firm_cui)
    await screen(page, "30-efactura-foreign-certificate")

    # the firm's own certificate proves it
    await go_to_anaf(page)
    await pick_certificate(page, firm_holder.name, firm_holder.pin)
    await expect(page.get_by_test_id("efactura-status")).to_have_text("✓ Activă")
    await page.get_by_role("navigation", name="Meniu principal").get_by_role("link", name="Administrare companii").click()
    await expect(mine.get_by_test_id("verification")).to_have_text("✓ Verificată prin RO e-Factura")

    # the stranger's claim, removed after a confirmation
    claims = mine.get_by_role("region", name=re.compile("^Revendicări neverificate"))
    await expect(claims).to_contain_text("Vlad Străinu")
    await screen(page, "31-companies-verified")
    remove = claims.get_by_role("button", name="Elimină revendicarea lui Vlad Străinu")
    await remove.click()
    await claims.get_by_role("button", name="Renunță").click()  # changed their mind: nothing happens
    await expect(remove).to_be_focused()
    await remove.click()
    await expect(claims).to_contain_text("Eliminați revendicarea lui Vlad Străinu (vlad@example.ro)?")
    await claims.get_by_role("button", name="Da, elimină").click()
    await expect(page.get_by_role("status").filter(has_text="Revendicarea lui Vlad Străinu a fost eliminată.")).to_be_visible()
    await expect(mine.get_by_role("region", name=re.compile("^Revendicări neverificate"))).to_have_count(0)
    assert (await web.client(stranger).execute("{ companies { company { id } } }"))["companies"] == []

    # members may invite
    switch = mine.get_by_role("switch", name="Membrii pot trimite invitații")
    await expect(switch).not_to_be_checked()
    await switch.check()
    await expect(page.get_by_role("status").filter(has_text="Membrii firmei pot acum trimite")).to_be_visible()
    await expect(switch).to_be_checked()
