"""The seed's journey in a browser: an accountant and a client, each in their own browser context,
on the web client served by the service, with e-mail through a real SMTP server."""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.async_api import Page, expect

from tests.browser.conftest import screen
from anaf.sandbox.efactura_messages import invoicing
from tests.support.factories import holder
from tests.support.smtp import links_in, text_of

PASSWORD = "parola-buna-2024"


async def pick_certificate(page: Page, holder_name: str, pin: str) -> None:
    """The sandbox's stand-in for ANAF's certificate picker."""
    await expect(page.get_by_role("heading", name="Selectați un certificat pentru autentificare")).to_be_visible()
    await page.locator("label.cert", has_text=holder_name).locator("input").check()
    await page.locator("input[name=pin]").fill(pin)
    await page.get_by_role("button", name="OK").click()


async def go_to_anaf(page: Page) -> None:
    await page.get_by_role("button", name=re.compile("^(Activare|Autorizează din nou)$")).click()
    await expect(page.get_by_role("heading", name="Configurare integrare")).to_be_visible()
    await page.get_by_role("button", name="Continuă la ANAF").click()


async def test_the_seed_journey_accountant_and_client(web, browser, send_mail):
    firm_holder = holder("small")
    accountant = await browser()

    # 1. The accountant signs up and adds the firm
    await accountant.goto(f"{web.url}/")
    await expect(accountant.get_by_role("heading", name="Autentificare")).to_be_visible()
    await screen(accountant, "01-sign-in")
    await accountant.get_by_role("link", name="Creează cont").click()
    await accountant.get_by_label("Nume și prenume").fill("Ioana Popescu")
    await accountant.get_by_label("E-mail").fill("ioana@example.ro")
    await accountant.get_by_label("Telefon").fill("0722 123 456")
    await accountant.get_by_label("Parolă").fill(PASSWORD)
    await screen(accountant, "02-sign-up")
    await accountant.get_by_role("button", name="Creează contul").click()
    await accountant.get_by_label("CUI").fill(firm_holder.firm_cui)
    await expect(accountant.get_by_label("Firma oferă servicii de contabilitate")).to_be_checked()
    await screen(accountant, "03-add-company")
    await accountant.get_by_role("button", name="Adaugă firma").click()

    # 2. The checklist sends them to Integrări → RO e-Factura
    checklist = accountant.get_by_role("region", name="Ceva nu funcționează?")
    await expect(checklist).to_contain_text("RO e-Factura")
    await screen(accountant, "04-checklist")
    await checklist.get_by_role("link", name="Mergi la Integrări → RO e-Factura").click()
    await expect(accountant.get_by_test_id("efactura-status")).to_have_text("Neconfigurată")

    # a wrong PIN comes back as an error, with ANAF's reason
    await go_to_anaf(accountant)
    await pick_certificate(accountant, firm_holder.name, "9999")
    await expect(accountant).to_have_url(re.compile(r"/integrations/efactura\?status=error"))
    await expect(accountant.get_by_role("alert").first).to_contain_text("Autorizarea la ANAF nu a reușit")
    await expect(accountant.get_by_text("PIN incorect")).to_be_visible()
    await screen(accountant, "05-efactura-wrong-pin")

    # the right PIN: back to the green check and the success message
    await go_to_anaf(accountant)
    await pick_certificate(accountant, firm_holder.name, firm_holder.pin)
    await expect(accountant).to_have_url(re.compile(r"/integrations/efactura\?status=ok"))
    await expect(accountant.get_by_role("status").filter(has_text="Integrarea RO e-Factura a fost activată cu succes.")).to_be_visible()
    await expect(accountant.get_by_test_id("efactura-status")).to_have_text("✓ Activă")
    await screen(accountant, "06-efactura-active")

    # in its last 14 days, the authorization warns
    from domain.efactura.models import EfacturaIntegration
    from domain.kernel.clock import now

    await EfacturaIntegration.filter(status="ACTIVE").update(refresh_expires_at=now() + timedelta(days=5, hours=1))
    await accountant.reload()
    await expect(accountant.get_by_text("Autorizarea expiră în 5 zile. Autorizați din nou ca să nu se întrerupă integrarea.")).to_be_visible()

    # 3. Administrare companii: discovery, with the number of entities found
    await accountant.get_by_role("navigation", name="Meniu principal").get_by_role("link", name="Administrare companii").click()
    await accountant.get_by_role("button", name="Descoperă clienții").click()
    found = accountant.get_by_test_id("entities-found")
    await expect(found).to_have_text(re.compile(r"^\d+ entități găsite"), timeout=30_000)
    count = int((await found.text_content()).split()[0])
    # Every client the firm invoiced over the last 60 days that the certificate has rights for.
    assert count == len(invoicing(firm_holder.firm_cui).clients)
    await expect(accountant.get_by_text(f"1–20 din {count}")).to_be_visible()
    await screen(accountant, "07-companies-portfolio")

    # 4. Adaugă companiile: the firm's own list fills in a row; one row with a bad e-mail (its error on its cell)
    await accountant.get_by_role("link", name="Adaugă companiile").first.click()
    rows = accountant.locator("table.invite-grid tbody tr")
    await expect(rows).to_have_count(count)
    first, second = [await rows.nth(i).get_attribute("data-cui") for i in (0, 1)]
    client_name = (await rows.nth(0).locator("th").inner_text()).splitlines()[0].strip()
    good, bad = rows.nth(0), rows.nth(1)
    client_list = f"Cod fiscal,Denumire,Reprezentant,E-mail,Telefon\nRO{first},{client_name},Andrei Pop,andrei@client.ro,0722 000 111\n"
    await accountant.get_by_label("Fișierul").set_input_files({"name": "clienti.csv", "mimeType": "text/csv", "buffer": client_list.encode()})
    await accountant.get_by_role("button", name="Importă").click()
    await expect(accountant.get_by_role("status").filter(has_text="Rânduri citite: 1; CUI-uri preluate: 1; în verificare la ANAF: 0.")).to_be_visible()
    await expect(good.locator(f"input[name='representativeName-{first}']")).to_have_value("Andrei Pop")
    await expect(good.locator(f"input[name='email-{first}']")).to_have_value("andrei@client.ro")
    await expect(good.locator(f"input[name='phone-{first}']")).not_to_have_value("")
    await bad.locator(f"input[name='representativeName-{second}']").fill("Ana Ionescu")
    await bad.locator(f"input[name='email-{second}']").fill("ana@example")
    await bad.locator(f"input[name='phone-{second}']").fill("0722 000 222")
    await accountant.get_by_role("button", name="Trimite invitație").click()
    await expect(accountant.get_by_role("status").filter(has_text="O invitație trimisă.")).to_be_visible()
    bad_email = accountant.locator(f"tr[data-cui='{second}'] input[name='email-{second}']")
    await expect(bad_email).to_have_attribute("aria-invalid", "true")
    await expect(accountant.locator(f"tr[data-cui='{second}'] .field-error")).to_be_visible()
    await expect(accountant.locator(f"tr[data-cui='{first}']")).to_have_count(0)  # sent: no longer to invite
    await screen(accountant, "08-add-companies")

    # 5. The invitations table, which stays open while the client answers
    await accountant.get_by_role("navigation", name="Meniu principal").get_by_role("link", name="Invitații").click()
    row = accountant.locator(f"tr[data-cui='{first}']")
    await expect(row.get_by_test_id("invitation-status")).to_have_text("Trimisă")
    await screen(accountant, "09-invitations")

    # 6. The client gets the e-mail and follows its link, on a phone
    (message,) = await send_mail(1)
    assert message["To"] == "andrei@client.ro"
    link = next(u for u in links_in(message) if "/invite/" in u and "#" not in u)
    assert link.startswith(f"{web.url}/invite/")
    assert f"{link}#decline" in text_of(message)
    client = await browser(phone=True)
    await client.goto(link)
    await expect(client.get_by_role("heading", name="Invitație de colaborare")).to_be_visible()
    await expect(client.get_by_text(re.compile("Popescu Expert Contabil.* vă invită", re.I))).to_be_visible()
    await expect(client.get_by_label("Compania")).to_have_value(f"{client_name} (CUI {first})")
    await expect(client.get_by_label("E-mail")).to_have_value("andrei@client.ro")
    await expect(client.get_by_label("Nume și prenume")).to_have_value("Andrei Pop")
    await screen(client, "10-invitation-link")
    await client.get_by_label("Parolă").fill("o-parola-lunga-1")
    await client.get_by_role("button", name="Creează contul").click()
    await expect(client.get_by_text("Contul a fost creat. Acceptați colaborarea din clopoțel.")).to_be_visible()
    await expect(row.get_by_test_id("invitation-status")).to_have_text("Cont creat")  # live on the firm's table

    # 7. Accept in the bell
    bell = client.get_by_role("button", name="Notificări, 1 necitite")
    await expect(bell).to_be_visible()
    await screen(client, "11-client-home")
    await bell.click()
    panel = client.get_by_role("region", name="Notificări")
    await expect(panel).to_contain_text(re.compile("Popescu Expert Contabil", re.I))
    await screen(client, "12-bell")
    await panel.get_by_role("button", name="Acceptă").click()
    await expect(panel.get_by_role("button", name="Acceptă")).to_have_count(0)

    # 8. The firm sees it live, and finds the client among its companies; the client sees its firm
    await expect(row.get_by_test_id("invitation-status")).to_have_text("Acceptată")
    await accountant.get_by_role("navigation", name="Meniu principal").get_by_role("link", name="Administrare companii").click()
    collaborating = accountant.get_by_role("region", name="Companii colaboratoare")
    await expect(collaborating).to_contain_text(client_name)
    await expect(collaborating).to_contain_text("Client")
    await screen(accountant, "13-companies-collaborating")
    await client.keyboard.press("Escape")
    await client.get_by_role("navigation", name="Meniu principal").get_by_role("link", name="Administrare companii").click()
    await expect(client.get_by_role("region", name="Companii colaboratoare")).to_contain_text(re.compile("Popescu Expert Contabil", re.I))
    await screen(client, "14-client-companies")
