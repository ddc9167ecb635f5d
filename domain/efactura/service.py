"""A company's RO e-Factura authorization at ANAF: starting it, completing it from ANAF's callback,
disconnecting, and the set-up checklist that gates portfolio work.

One integration per company, managed by its owners and administrators (every member may look).
The authorization is OAuth's code flow: `start_authorization` makes a single-use `state` (stored
hashed, bound to the user and company, valid 10 minutes) and ANAF's authorize URL; ANAF sends the
browser back with `code` and `state`; `complete_authorization` checks the state and exchanges the
code at once (ANAF's code lives 60 seconds), then stores the tokens encrypted (`efactura_tokens`).

Choices worth knowing:
- Right after the exchange the new token probes the company's own CUI (`firm_rights`): a certificate
  without rights there (another firm's, or one with no SPV rights at all) leaves the integration ERROR
  with what to do, never ACTIVE; ANAF not answering leaves it ACTIVE but unchecked until a later probe.
- Re-authorizing an ACTIVE integration keeps it ACTIVE, with its old tokens in use, until the new
  tokens arrive; a refusal at ANAF then records `last_error` but keeps the working authorization.
  From any other status, starting makes it PENDING.
- The state is claimed (marked used) before the code exchange, so two callbacks with one state never
  both exchange. When ANAF cannot be reached the claim is released: the user may retry the same
  callback (the code may still be good). When ANAF refuses the code (used, or older than 60 s), the
  state stays spent and nothing else changes: the user starts again.
- Disconnecting forgets the tokens (ANAF's revoke endpoint is reported not to work) and voids
  authorizations still in flight, so a late callback cannot bring the integration back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Iterable

from anaf.errors import AnafError, AnafUnavailable
from anaf.oauth import OAuthGrantError
from domain.accounts.models import User
from domain.companies.models import Company
from domain.companies.service import MANAGER_ROLES, anaf_unavailable, membership_of, require_member
from domain.efactura import firm_rights
from domain.efactura.firm_rights import FirmRights
from domain.efactura.models import EfacturaIntegration, EfacturaStatus, OAuthState
from domain.efactura.status import change_status, denial_reason, not_authorized, rights_problem_error
from domain.efactura.token_vault import TokenVault
from domain.efactura.tokens import access_token_for, forgotten_tokens, pair_fields  # noqa: F401 - access_token_for is part of this capability's surface
from domain.kernel.clock import now
from domain.kernel.errors import DomainError, DomainErrors, ErrorCode
from domain.kernel.events import unit_of_work
from domain.kernel.secrets import hash_secret, new_secret

STATE_TTL = timedelta(minutes=10)


@dataclass(frozen=True)
class StartedAuthorization:
    authorization_url: str
    expires_at: datetime
    integration: EfacturaIntegration


@dataclass(frozen=True)
class SetupChecklist:
    provides_accounting_services: bool
    efactura_active: bool
    problems: list[DomainError] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        return not self.problems


# -- errors people see ------------------------------------------------------------------------------

def _state_error(en: str, ro: str) -> DomainError:
    return DomainError(ErrorCode.INVALID_STATE, en, ro, field=["state"])


def _unknown_state() -> DomainError:
    return _state_error("This authorization link is not valid. Start the e-Factura authorization again from the platform.",
                        "Acest link de autorizare nu este valid. Porniți din nou autorizarea e-Factura din platformă.")


def _used_state() -> DomainError:
    return _state_error("This authorization link was already used. If e-Factura is not active, start the authorization again.",
                        "Acest link de autorizare a fost deja folosit. Dacă e-Factura nu este activ, porniți din nou autorizarea.")


def _expired_state() -> DomainError:
    return _state_error("This authorization link expired (it is valid for 10 minutes). Start the e-Factura authorization again.",
                        "Acest link de autorizare a expirat (este valabil 10 minute). Porniți din nou autorizarea e-Factura.")


def _no_longer_manager() -> DomainError:
    return _state_error("Only the company's owners and administrators can authorize e-Factura, and you no longer are one.",
                        "Doar proprietarii și administratorii companiei pot autoriza e-Factura, iar dvs. nu mai sunteți.")


def _code_refused(exc: OAuthGrantError) -> DomainError:
    return DomainError(ErrorCode.EFACTURA_AUTHORIZATION_FAILED,
                       f"ANAF did not accept the authorization ({exc.error}): the code was already used or more than 60 seconds "
                       "passed before it reached the platform. Start the e-Factura authorization again.",
                       f"ANAF nu a acceptat autorizarea ({exc.error}): codul a fost deja folosit sau au trecut mai mult de 60 de "
                       "secunde până a ajuns la platformă. Porniți din nou autorizarea e-Factura.", field=["code"])


def _accounting_disabled() -> DomainError:
    return DomainError(ErrorCode.ACCOUNTING_SERVICES_DISABLED,
                       "Mark the company as providing accounting services (in its settings) to work with a client portfolio.",
                       "Marcați compania ca prestatoare de servicii de contabilitate (în setările ei) pentru a lucra cu un portofoliu de clienți.")


# -- reading ----------------------------------------------------------------------------------------

def _not_configured(company_id: int) -> EfacturaIntegration:
    return EfacturaIntegration(company_id=company_id, status=EfacturaStatus.NOT_CONFIGURED)


async def integrations_for(company_ids: Iterable[int]) -> dict[int, EfacturaIntegration]:
    """The integrations of these companies in one query (NOT_CONFIGURED for those without one)."""
    ids = list(company_ids)
    rows = {row.company_id: row for row in await EfacturaIntegration.filter(company_id__in=ids).select_related("authorized_by")}
    return {cid: rows.get(cid) or _not_configured(cid) for cid in ids}


async def _reloaded(company_id: int) -> EfacturaIntegration:
    return (await integrations_for([company_id]))[company_id]


async def get_integration(*, actor: User, company_id: int | str) -> EfacturaIntegration:
    membership = await require_member(actor, company_id)
    return (await integrations_for([membership.company_id]))[membership.company_id]


def readiness_problems(company: Company, integration: EfacturaIntegration | None) -> list[DomainError]:
    problems = []
    if not company.provides_accounting_services:
        problems.append(_accounting_disabled())
    if integration is None or integration.status != EfacturaStatus.ACTIVE:
        problems.append(not_authorized())
    elif integration.rights_checked_at is None:
        problems.append(firm_rights.rights_unchecked())
    return problems


async def setup_checklist(*, actor: User, company_id: int | str) -> SetupChecklist:
    membership = await require_member(actor, company_id)
    integration = await EfacturaIntegration.get_or_none(company_id=membership.company_id)
    problems = readiness_problems(membership.company, integration)
    if integration is not None and integration.status == EfacturaStatus.ACTIVE and integration.rights_problem:
        # Discovery may still be started (to check again once ANAF shows the rights), but it cannot find clients.
        problems.append(rights_problem_error(integration.rights_problem, membership.company.cui))
    return SetupChecklist(provides_accounting_services=membership.company.provides_accounting_services,
                          efactura_active=integration is not None and integration.status == EfacturaStatus.ACTIVE,
                          problems=problems)


async def require_ready_for_portfolio(company: Company, *, efactura=None, oauth=None) -> None:
    """Raise `DomainErrors` (ACCOUNTING_SERVICES_DISABLED, EFACTURA_NOT_AUTHORIZED) unless the firm
    may discover and invite its portfolio. Given the ANAF clients, an authorization whose rights on the
    firm were never confirmed is probed first (NO_EFACTURA_RIGHTS / ANAF_UNAVAILABLE when that fails)."""
    if efactura is not None and oauth is not None and company.provides_accounting_services:
        await firm_rights.ensure_rights_checked(company, efactura=efactura, oauth=oauth)
    problems = readiness_problems(company, await EfacturaIntegration.get_or_none(company_id=company.id))
    if problems:
        raise DomainErrors(problems)


# -- the authorization flow -------------------------------------------------------------------------

async def _locked_integration(company_id: int) -> EfacturaIntegration:
    """The company's integration row, locked for this transaction (created when missing)."""
    row = await EfacturaIntegration.filter(company_id=company_id).select_for_update().first()
    if row is None:
        await EfacturaIntegration.get_or_create(company_id=company_id)
        row = await EfacturaIntegration.filter(company_id=company_id).select_for_update().first()
    return row


async def start_authorization(*, actor: User, company_id: int | str, oauth) -> StartedAuthorization:
    membership = await require_member(actor, company_id, roles=MANAGER_ROLES)
    token, token_hash = new_secret()
    expires_at = now() + STATE_TTL
    async with unit_of_work():
        integration = await _locked_integration(membership.company_id)
        await OAuthState.create(state_hash=token_hash, user=actor, company_id=membership.company_id, expires_at=expires_at)
        if integration.status != EfacturaStatus.ACTIVE:
            await change_status(integration, EfacturaStatus.PENDING, last_error=None)
    return StartedAuthorization(authorization_url=oauth.authorize_url(token), expires_at=expires_at,
                                integration=await _reloaded(membership.company_id))


async def _claim_state(state: str | None, viewer: User | None) -> OAuthState:
    """Check the state and mark it used; for the API, it must be the viewer's own."""
    row = await OAuthState.get_or_none(state_hash=hash_secret(state)) if state else None
    if row is None or (viewer is not None and row.user_id != viewer.id):
        raise _unknown_state()
    if row.used_at is not None:
        raise _used_state()
    if row.expires_at <= now():
        raise _expired_state()
    # The conditional UPDATE is the claim: of two concurrent callbacks, one sees a row changed.
    if not await OAuthState.filter(id=row.id, used_at__isnull=True).update(used_at=now()):
        raise _used_state()
    return row


async def _authorizing_manager(claim: OAuthState) -> User:
    user = await User.get(id=claim.user_id)
    membership = await membership_of(user, claim.company_id)
    if membership is None or membership.role not in MANAGER_ROLES:
        raise _no_longer_manager()
    return user


async def complete_authorization(*, state: str | None, code: str | None, oauth, efactura, viewer: User | None = None,
                                 vault: TokenVault | None = None) -> EfacturaIntegration:
    """Exchange ANAF's code, check the certificate's rights on the company's own CUI (`firm_rights`), and
    make the integration ACTIVE (from the callback, or the API with `viewer`). A certificate without
    rights on the company leaves it ERROR and raises NO_EFACTURA_RIGHTS."""
    claim = await _claim_state(state, viewer)
    user = await _authorizing_manager(claim)
    if not code:
        await OAuthState.filter(id=claim.id).update(used_at=None)
        raise DomainError(ErrorCode.INVALID_INPUT, "The authorization code is missing.", "Lipsește codul de autorizare.", field=["code"])
    try:
        pair = await oauth.exchange_code(code)
    except AnafUnavailable:
        await OAuthState.filter(id=claim.id).update(used_at=None)  # the user may retry
        raise anaf_unavailable() from None
    except OAuthGrantError as exc:
        raise _code_refused(exc) from None
    except AnafError:
        await OAuthState.filter(id=claim.id).update(used_at=None)
        raise anaf_unavailable() from None
    company = await Company.get(id=claim.company_id)
    rights = await firm_rights.probe_own_cui(efactura, pair.access_token, company.cui)
    async with unit_of_work():
        integration = await _locked_integration(claim.company_id)
        if rights in firm_rights.FAILED:
            reason = firm_rights.failure_reason(rights, company.cui)
            if integration.status == EfacturaStatus.ACTIVE and integration.rights_checked_at is not None:
                # A working, checked authorization survives a failed attempt to replace it.
                await change_status(integration, EfacturaStatus.ACTIVE, last_error=reason.for_locale(user.locale))
            else:
                await firm_rights.settle_failed(integration, reason, user.locale, certificate_serial=pair.serial)
        else:
            checked = rights is FirmRights.CONFIRMED
            await change_status(integration, EfacturaStatus.ACTIVE, **pair_fields(claim.company_id, pair, vault=vault),
                                authorized_by_id=user.id, authorized_at=now(), certificate_serial=pair.serial,
                                last_error=None if checked else firm_rights.UNCHECKED_NOTE.for_locale(user.locale),
                                rights_checked_at=now() if checked else None, last_refreshed_at=None, expiry_warning_sent_at=None)
            if checked:
                await firm_rights.verify_authorizer(claim.company_id, user.id)
    if rights in firm_rights.FAILED:
        raise firm_rights.refused(reason, claim.company_id)
    return await _reloaded(claim.company_id)


async def deny_authorization(*, state: str | None, error: str, description: str | None = None) -> EfacturaIntegration:
    """ANAF sent the browser back with `error` (e.g. access_denied): record what to do about it."""
    claim = await _claim_state(state, None)
    user = await User.get(id=claim.user_id)
    reason = denial_reason(error, description)
    async with unit_of_work():
        integration = await _locked_integration(claim.company_id)
        # A working authorization survives a failed attempt to replace it.
        status = EfacturaStatus.ACTIVE if integration.status == EfacturaStatus.ACTIVE else EfacturaStatus.ERROR
        await change_status(integration, status, reason=reason, last_error=reason.for_locale(user.locale))
    return await _reloaded(claim.company_id)


async def disconnect(*, actor: User, company_id: int | str) -> EfacturaIntegration:
    membership = await require_member(actor, company_id, roles=MANAGER_ROLES)
    async with unit_of_work():
        integration = await _locked_integration(membership.company_id)
        await OAuthState.filter(company_id=membership.company_id, used_at__isnull=True).update(used_at=now())
        await change_status(integration, EfacturaStatus.NOT_CONFIGURED, **forgotten_tokens(), authorized_by_id=None,
                            authorized_at=None, access_expires_at=None, refresh_expires_at=None, certificate_serial=None,
                            rights_checked_at=None, last_error=None, last_refreshed_at=None, expiry_warning_sent_at=None)
    return await _reloaded(membership.company_id)

