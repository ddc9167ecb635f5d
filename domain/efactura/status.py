"""The e-Factura integration's status changes and what people are told about them.

Every change of status goes through `change_status`, which writes the row and an
`EFACTURA_STATUS_CHANGED` notification for each member of the company, in the caller's
`unit_of_work()`. The texts people read (notifications, `lastError`, API errors) live here too, in
English and Romanian.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from domain.companies.models import Company
from domain.companies.service import member_user_ids
from domain.efactura.models import EfacturaIntegration, EfacturaStatus
from domain.kernel.errors import DomainError, ErrorCode
from domain.kernel.events import company_channel, emit
from domain.notifications.models import NotificationKind
from domain.notifications.service import Text, notify

_app_url = "http://localhost:8000"


def set_app_url(url: str) -> None:
    """Where the product's web app lives (`APP_URL`), for links in e-mails; set at start-up."""
    global _app_url
    _app_url = url.rstrip("/")


def integration_link(company_id: int) -> str:
    """The web page where a company's e-Factura integration is (re)authorized."""
    return f"{_app_url}/integrations/efactura?companyId={company_id}"


@dataclass(frozen=True)
class Bilingual:
    en: str
    ro: str

    def for_locale(self, locale: str | None) -> str:
        return self.en if locale == "en" else self.ro


def not_authorized() -> DomainError:
    return DomainError(ErrorCode.EFACTURA_NOT_AUTHORIZED,
                       "Authorize RO e-Factura for this company first: an owner or administrator signs in at ANAF with the qualified certificate.",
                       "Autorizați mai întâi RO e-Factura pentru această companie: un proprietar sau administrator se autentifică la ANAF cu certificatul calificat.")


EXPIRED_REASON = Bilingual(
    en="The e-Factura authorization at ANAF has ended (ANAF no longer accepts the stored authorization). "
       "An owner or administrator must authorize again with the qualified certificate.",
    ro="Autorizarea e-Factura la ANAF a încetat (ANAF nu mai acceptă autorizarea salvată). "
       "Un proprietar sau administrator trebuie să autorizeze din nou cu certificatul calificat.",
)


REFUSED_REASON = Bilingual(
    en="ANAF refused the stored e-Factura authorization during a call (the token is no longer accepted). "
       "An owner or administrator must authorize again with the qualified certificate.",
    ro="ANAF a refuzat autorizarea e-Factura salvată în timpul unui apel (token-ul nu mai este acceptat). "
       "Un proprietar sau administrator trebuie să autorizeze din nou cu certificatul calificat.",
)

RIGHTS_OWN_CUI = "OWN_CUI"  # EfacturaIntegration.rights_problem: no SPV rights on the company itself
RIGHTS_ANY = "ANY"  # no SPV rights for any CUI at all


def rights_problem_text(problem: str, cui: str) -> Bilingual:
    """What to do at ANAF when the authorizing certificate lacks SPV rights (own CUI, or any)."""
    if problem == RIGHTS_ANY:
        return Bilingual(
            en="ANAF says the certificate that authorized e-Factura has SPV rights for no company at all, so no client can be found. "
               f"At ANAF: enrol the certificate in the Virtual Private Space (SPV) for CUI {cui} — as the firm's legal representative, "
               "or as a person it empowered (form 150 / an empowerment registered at ANAF) — and have the clients grant it rights; "
               "rights appear about 24 hours later. Then run discovery again, or authorize with a certificate that has these rights.",
            ro="ANAF spune că certificatul care a autorizat e-Factura nu are drepturi în SPV pentru nicio companie, deci niciun client nu poate fi găsit. "
               f"La ANAF: înrolați certificatul în Spațiul Privat Virtual (SPV) pentru CUI {cui} — ca reprezentant legal al firmei "
               "sau ca persoană împuternicită (formularul 150 / împuternicire înregistrată la ANAF) — și cereți clienților să îi acorde drepturi; "
               "drepturile apar după aproximativ 24 de ore. Apoi reluați descoperirea sau autorizați cu un certificat care are aceste drepturi.")
    return Bilingual(
        en=f"ANAF says the certificate that authorized e-Factura has no SPV rights for the firm's own CUI {cui}, so the firm's sent "
           "invoices (the list of invoiced clients) cannot be read. At ANAF: enrol the certificate in the Virtual Private Space (SPV) "
           f"for CUI {cui} — as the firm's legal representative, or as a person it empowered (form 150 / an empowerment registered "
           "at ANAF); rights appear about 24 hours later. Then run discovery again, or authorize with the certificate that has these rights.",
        ro=f"ANAF spune că certificatul care a autorizat e-Factura nu are drepturi în SPV pentru CUI-ul firmei, {cui}, deci facturile "
           "emise de firmă (lista clienților facturați) nu pot fi citite. La ANAF: înrolați certificatul în Spațiul Privat Virtual (SPV) "
           f"pentru CUI {cui} — ca reprezentant legal al firmei sau ca persoană împuternicită (formularul 150 / împuternicire "
           "înregistrată la ANAF); drepturile apar după aproximativ 24 de ore. Apoi reluați descoperirea sau autorizați cu certificatul care are aceste drepturi.")


def rights_problem_error(problem: str, cui: str) -> DomainError:
    text = rights_problem_text(problem, cui)
    return DomainError(ErrorCode.NO_EFACTURA_RIGHTS, text.en, text.ro, field=["efactura"])


def denial_reason(error: str, description: str | None) -> Bilingual:
    """What to do after ANAF's authorize step answered `error` (usually access_denied)."""
    said_en = f' ANAF said: "{description}".' if description else ""
    said_ro = f' Mesajul ANAF: „{description}”.' if description else ""
    text = (description or "").lower()
    if "drept" in text or "spv" in text:
        hint = Bilingual(
            en="The certificate has no rights in ANAF's SPV: enrol it in SPV for the company (rights appear about 24 hours later), then authorize again.",
            ro="Certificatul nu are drepturi în SPV la ANAF: înrolați-l în SPV pentru companie (drepturile apar după aproximativ 24 de ore), apoi autorizați din nou.")
    elif "redirect" in text:
        hint = Bilingual(
            en="ANAF does not know this server's callback address: the application registered at ANAF must list it exactly (https). Ask the platform's administrator.",
            ro="ANAF nu cunoaște adresa de întoarcere a acestui server: aplicația înregistrată la ANAF trebuie să o conțină exact (https). Contactați administratorul platformei.")
    else:
        hint = Bilingual(
            en="Insert the USB token with the qualified certificate, choose that certificate and type its PIN, then authorize again. "
               "If it keeps failing, check that the certificate has rights in ANAF's SPV for the company.",
            ro="Introduceți token-ul USB cu certificatul calificat, alegeți acel certificat și tastați PIN-ul, apoi autorizați din nou. "
               "Dacă eșuează în continuare, verificați că certificatul are drepturi în SPV la ANAF pentru companie.")
    return Bilingual(en=f"ANAF refused the authorization ({error}).{said_en} {hint.en}",
                     ro=f"ANAF a refuzat autorizarea ({error}).{said_ro} {hint.ro}")


def _status_text(status: EfacturaStatus, company: Company, reason: Bilingual | None) -> Text:
    name = company.name
    titles = {
        EfacturaStatus.PENDING: (f"e-Factura: authorization started for {name}", f"e-Factura: autorizare începută pentru {name}"),
        EfacturaStatus.ACTIVE: (f"e-Factura is active for {name}", f"e-Factura este activ pentru {name}"),
        EfacturaStatus.EXPIRED: (f"e-Factura authorization expired for {name}", f"Autorizarea e-Factura a expirat pentru {name}"),
        EfacturaStatus.ERROR: (f"e-Factura authorization failed for {name}", f"Autorizarea e-Factura a eșuat pentru {name}"),
        EfacturaStatus.NOT_CONFIGURED: (f"e-Factura disconnected for {name}", f"e-Factura a fost deconectat pentru {name}"),
    }
    bodies = {
        EfacturaStatus.PENDING: ("Waiting for the certificate holder to sign in at ANAF.", "Se așteaptă autentificarea titularului certificatului la ANAF."),
        EfacturaStatus.ACTIVE: ("The portfolio can now be discovered at ANAF.", "Portofoliul poate fi acum descoperit la ANAF."),
        EfacturaStatus.NOT_CONFIGURED: ("The stored ANAF authorization was deleted.", "Autorizarea ANAF salvată a fost ștearsă."),
    }
    en_title, ro_title = titles[status]
    en_body, ro_body = (reason.en, reason.ro) if reason else bodies.get(status, ("", ""))
    return Text(en=(en_title, en_body), ro=(ro_title, ro_body))


async def change_status(integration: EfacturaIntegration, status: EfacturaStatus, *, reason: Bilingual | None = None,
                        **fields: Any) -> None:
    """Save `fields` and the new status; when the status changes, tell the company's members.

    Call inside `unit_of_work()`.
    """
    previous = integration.status
    integration.status = status
    for name, value in fields.items():
        setattr(integration, name, value)
    await integration.save(update_fields=["status", *fields, "updated_at"])
    if previous == status:
        return
    company = await Company.get(id=integration.company_id)
    await notify(user_ids=await member_user_ids(company.id), kind=NotificationKind.EFACTURA_STATUS_CHANGED,
                 text=_status_text(status, company, reason), company_id=company.id,
                 data={"status": str(status), "previousStatus": str(previous)})
    emit(company_channel(company.id), "efactura_status_changed", companyId=company.id, status=str(status))
