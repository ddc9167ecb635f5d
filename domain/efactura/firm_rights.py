"""An e-Factura authorization is for this company: the certificate must have SPV rights on the
company's own CUI (ANAF.md §2, "Probing rights for one CIF").

ANAF's OAuth lets any qualified certificate authorize, so the code exchange alone proves nothing
about the company: right after it, the new access token probes the company's CUI.

- Rights → the integration is ACTIVE with `rights_checked_at` set, and the person who authorized is
  verified for the company (VERIFIED_BY_EFACTURA).
- No rights (`Nu aveti drept in SPV pentru CIF=...`, `Nu exista niciun CIF ...`) or ANAF refusing the
  brand-new token → ERROR with a reason saying what to do; the tokens are forgotten, so no discovery or
  invitation can use them. (A working, already checked authorization that was being replaced stays
  ACTIVE, as for any failed re-authorization, with the reason in `last_error`.)
- ANAF unreachable (or today's list quota for the CUI spent) → ACTIVE with `rights_checked_at` NULL:
  the tokens are ANAF's answer to a real certificate login, but nothing may rely on them yet.
  Readiness for portfolio work lists the check as missing, and discovery, manual adds and invitations
  run it again first (`ensure_rights_checked`); it then settles ACTIVE-and-checked or ERROR.
"""

from __future__ import annotations

from enum import Enum

from anaf.efactura import RightsAnswer
from anaf.errors import AnafError
from domain.companies.models import Company, CompanyVerification, Membership
from domain.efactura.models import EfacturaIntegration, EfacturaStatus
from domain.efactura.status import Bilingual, change_status
from domain.efactura.tokens import access_token_for, forgotten_tokens
from domain.kernel.clock import now
from domain.kernel.errors import DomainError, ErrorCode
from domain.kernel.events import unit_of_work


class FirmRights(Enum):
    CONFIRMED = "confirmed"
    MISSING = "missing"  # the certificate has no rights on the company's CUI
    NONE_AT_ALL = "none_at_all"  # the certificate has no SPV rights for any CUI
    TOKEN_REFUSED = "token_refused"  # ANAF refused the token it had just issued
    UNKNOWN = "unknown"  # ANAF did not answer (or the day's list budget for the CUI is spent)


def no_rights_reason(cui: str) -> Bilingual:
    return Bilingual(
        en=f"The certificate used at ANAF has no e-Factura (SPV) rights for this company's CUI {cui}: it belongs to another "
           f"firm or person. Authorize again with a certificate enrolled in ANAF's SPV for CUI {cui} (the legal "
           "representative's, or one empowered for the company); rights appear about 24 hours after enrolment.",
        ro=f"Certificatul folosit la ANAF nu are drepturi e-Factura (SPV) pentru CUI-ul acestei companii, {cui}: aparține altei "
           f"firme sau persoane. Autorizați din nou cu un certificat înrolat în SPV la ANAF pentru CUI {cui} (al "
           "reprezentantului legal sau al unei persoane împuternicite); drepturile apar după aproximativ 24 de ore de la înrolare.",
    )


def no_rights_at_all_reason(cui: str) -> Bilingual:
    return Bilingual(
        en=f"The certificate used at ANAF has no rights in ANAF's SPV for any company. Enrol it in SPV for CUI {cui} "
           "(rights appear about 24 hours after enrolment), or use a certificate already enrolled for it, then authorize again.",
        ro=f"Certificatul folosit la ANAF nu are drepturi în SPV la ANAF pentru nicio companie. Înrolați-l în SPV pentru CUI {cui} "
           "(drepturile apar după aproximativ 24 de ore de la înrolare) sau folosiți un certificat deja înrolat pentru el, apoi autorizați din nou.",
    )


TOKEN_REFUSED_REASON = Bilingual(
    en="ANAF did not accept the new authorization when its rights on the company were checked. Authorize again.",
    ro="ANAF nu a acceptat noua autorizare la verificarea drepturilor pe companie. Autorizați din nou.",
)

UNCHECKED_NOTE = Bilingual(
    en="ANAF did not answer when the certificate's rights on the company were checked; they are checked again "
       "before the next discovery or invitation.",
    ro="ANAF nu a răspuns la verificarea drepturilor certificatului pe companie; acestea sunt verificate din nou "
       "înainte de următoarea descoperire sau invitație.",
)


def rights_unchecked() -> DomainError:
    return DomainError(ErrorCode.EFACTURA_NOT_AUTHORIZED,
                       "ANAF has not yet confirmed that the authorizing certificate has rights for this company; "
                       "it is checked again when discovery starts or invitations are sent.",
                       "ANAF nu a confirmat încă faptul că certificatul care a autorizat are drepturi pentru această companie; "
                       "se verifică din nou la pornirea descoperirii sau la trimiterea invitațiilor.")


class RightsRefused(DomainError):
    """NO_EFACTURA_RIGHTS for a company's own authorization, naming the company (for the callback's page)."""

    def __init__(self, reason: Bilingual, company_id: int):
        super().__init__(ErrorCode.NO_EFACTURA_RIGHTS, reason.en, reason.ro)
        self.company_id = company_id


def refused(reason: Bilingual, company_id: int) -> RightsRefused:
    return RightsRefused(reason, company_id)


async def probe_own_cui(efactura, access_token: str, cui: str) -> FirmRights:
    """One `listaMesajeFactura?zile=1&cif=<cui>` with the company's token, classified."""
    try:
        result = await efactura.probe(access_token, cui)
    except AnafError:
        return FirmRights.UNKNOWN
    return {
        RightsAnswer.HAS_RIGHTS: FirmRights.CONFIRMED,
        RightsAnswer.NO_RIGHTS_FOR_CIF: FirmRights.MISSING,
        RightsAnswer.NO_RIGHTS_AT_ALL: FirmRights.NONE_AT_ALL,
        RightsAnswer.TOKEN_INVALID: FirmRights.TOKEN_REFUSED,
    }.get(result.answer, FirmRights.UNKNOWN)


FAILED = (FirmRights.MISSING, FirmRights.NONE_AT_ALL, FirmRights.TOKEN_REFUSED)


def failure_reason(rights: FirmRights, cui: str) -> Bilingual:
    if rights is FirmRights.MISSING:
        return no_rights_reason(cui)
    if rights is FirmRights.NONE_AT_ALL:
        return no_rights_at_all_reason(cui)
    return TOKEN_REFUSED_REASON


async def verify_authorizer(company_id: int, user_id: int | None) -> None:
    """The person whose authorization showed rights on the company is verified for it."""
    if user_id is not None:
        await Membership.filter(user_id=user_id, company_id=company_id).update(verification=CompanyVerification.VERIFIED_BY_EFACTURA)


async def settle_failed(integration: EfacturaIntegration, reason: Bilingual, locale: str | None, **extra) -> None:
    """No rights on the company (inside the caller's unit of work, row locked): ERROR, tokens forgotten."""
    await change_status(integration, EfacturaStatus.ERROR, reason=reason, **forgotten_tokens(), rights_checked_at=None,
                        authorized_by_id=None, authorized_at=None, access_expires_at=None, refresh_expires_at=None,
                        last_error=reason.for_locale(locale), last_refreshed_at=None, expiry_warning_sent_at=None, **extra)


async def ensure_rights_checked(company: Company, *, efactura, oauth) -> None:
    """For an ACTIVE integration whose rights were never confirmed: probe now. Raises
    NO_EFACTURA_RIGHTS (and the integration becomes ERROR) when the certificate has none, ANAF_UNAVAILABLE
    when ANAF still does not answer; returns quietly otherwise (including when nothing needs checking)."""
    from domain.accounts.models import User
    from domain.companies.service import anaf_unavailable

    integration = await EfacturaIntegration.get_or_none(company_id=company.id)
    if integration is None or integration.status != EfacturaStatus.ACTIVE or integration.rights_checked_at is not None:
        return
    token = await access_token_for(company.id, oauth=oauth)
    rights = await probe_own_cui(efactura, token, company.cui)
    if rights is FirmRights.UNKNOWN:
        raise anaf_unavailable()
    async with unit_of_work():
        row = await EfacturaIntegration.filter(id=integration.id).select_for_update().first()
        if row is None or row.status != EfacturaStatus.ACTIVE or row.rights_checked_at is not None:
            return  # disconnected, re-authorized or checked meanwhile
        if rights is FirmRights.CONFIRMED:
            row.rights_checked_at, row.last_error = now(), None
            await row.save(update_fields=["rights_checked_at", "last_error", "updated_at"])
            await verify_authorizer(company.id, row.authorized_by_id)
            return
        authorizer = await User.get_or_none(id=row.authorized_by_id) if row.authorized_by_id else None
        reason = failure_reason(rights, company.cui)
        await settle_failed(row, reason, authorizer.locale if authorizer else None)
    raise refused(reason, company.id)
