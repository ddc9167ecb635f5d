"""ANAF's OAuth tokens of an e-Factura integration: storing, scheduling, refreshing, handing out.

Rules this module owns:
- Both tokens are stored encrypted (`domain.efactura.token_vault`), bound to their company and role, and are
  always written together in one UPDATE: ANAF rotates the refresh token at every refresh, so losing
  either half of the new pair would force a new certificate login.
- A refresh happens while the integration row is locked (`SELECT ... FOR UPDATE` on PostgreSQL), in
  the transaction that stores its result, so two processes never spend the same refresh token.
- The next refresh is planned at 70-80 % of the shorter of the two tokens' lifetimes (random within
  that band, so many integrations authorized together do not refresh together). For ANAF's 90-day
  access token that is 18-27 days before it ends.
- `invalid_grant`, `invalid_request` "Refresh Token status is expired" (or a refresh token past its
  end) mean the authorization is dead: status EXPIRED,
  the tokens are forgotten, members are notified and the person who authorized gets an e-mail.
  Network trouble leaves everything as it was; the next attempt tries again.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from anaf.errors import AnafError, AnafUnavailable
from anaf.oauth import OAuthGrantError, TokenPair
from domain.accounts.models import User
from domain.companies.models import Company
from domain.companies.service import MANAGER_ROLES, member_user_ids
from domain.efactura import token_vault
from domain.efactura.models import EfacturaIntegration, EfacturaStatus
from domain.efactura.status import (
    EXPIRED_REASON,
    REFUSED_REASON,
    Bilingual,
    change_status,
    integration_link,
    not_authorized,
)
from domain.efactura.token_vault import TokenVault
from domain.kernel.clock import now
from domain.kernel.events import unit_of_work
from domain.mail import outbox

log = logging.getLogger(__name__)

REFRESH_AT_SHARE = 0.8
REFRESH_JITTER_SHARE = 0.1
# A token this close to its end is refreshed before it is handed out, whatever the plan said.
HAND_OUT_MARGIN = timedelta(seconds=30)
EXPIRY_WARNING_BEFORE = timedelta(days=14)

_rng = random.SystemRandom()


class RefreshOutcome(StrEnum):
    REFRESHED = "REFRESHED"
    EXPIRED = "EXPIRED"  # dead for good: the holder must authorize again
    RETRY = "RETRY"  # ANAF unreachable or answering oddly: nothing changed
    SKIPPED = "SKIPPED"  # no longer ACTIVE, or someone else refreshed it meanwhile


def _aad(company_id: int, role: str) -> str:
    return f"efactura:{company_id}:{role}"


def plan_refresh(pair: TokenPair) -> datetime:
    """When to refresh this pair: 70-80 % into the shorter of the two lifetimes."""
    start = pair.issued_at
    life = min(pair.access_expires_at, pair.refresh_expires_at) - start
    return start + life * (REFRESH_AT_SHARE - _rng.uniform(0, REFRESH_JITTER_SHARE))


def pair_fields(company_id: int, pair: TokenPair, *, vault: TokenVault | None = None) -> dict:
    """The columns that store `pair`, to be written together in one UPDATE."""
    vault = token_vault.current(vault)
    return {
        "access_token_enc": vault.encrypt(pair.access_token, aad=_aad(company_id, "access")),
        "refresh_token_enc": vault.encrypt(pair.refresh_token, aad=_aad(company_id, "refresh")),
        "access_expires_at": pair.access_expires_at,
        "refresh_expires_at": pair.refresh_expires_at,
        "next_refresh_at": plan_refresh(pair),
    }


def forgotten_tokens() -> dict:
    return {"access_token_enc": None, "refresh_token_enc": None, "next_refresh_at": None}


def open_token(integration: EfacturaIntegration, role: str, *, vault: TokenVault | None = None) -> str:
    column = integration.access_token_enc if role == "access" else integration.refresh_token_enc
    if column is None:
        raise not_authorized()
    return token_vault.current(vault).decrypt(column, aad=_aad(integration.company_id, role))


async def refresh_locked(integration: EfacturaIntegration, *, oauth,
                         vault: TokenVault | None = None) -> RefreshOutcome:
    """Refresh an integration whose row the caller holds locked, inside the caller's `unit_of_work()`."""
    at = now()
    if integration.status != EfacturaStatus.ACTIVE:
        return RefreshOutcome.SKIPPED
    if integration.refresh_expires_at is None or integration.refresh_expires_at <= at:
        await expire(integration)
        return RefreshOutcome.EXPIRED
    try:
        pair = await oauth.refresh(open_token(integration, "refresh", vault=vault))
    except OAuthGrantError as exc:
        if not exc.authorization_dead:
            # invalid_client and the like are this platform's configuration, not the holder's doing.
            log.error("ANAF refused refreshing company %s: %s", integration.company_id, exc)
            return RefreshOutcome.RETRY
        await expire(integration)
        return RefreshOutcome.EXPIRED
    except AnafUnavailable as exc:
        log.warning("refresh for company %s postponed: %s", integration.company_id, exc)
        return RefreshOutcome.RETRY
    except AnafError as exc:
        log.error("refresh for company %s failed: %s", integration.company_id, exc)
        return RefreshOutcome.RETRY
    fields = pair_fields(integration.company_id, pair, vault=vault)
    fields["last_refreshed_at"] = at
    if pair.refresh_expires_at > at + EXPIRY_WARNING_BEFORE:
        fields["expiry_warning_sent_at"] = None  # a later end deserves its own warning
    await EfacturaIntegration.filter(id=integration.id).update(**fields)
    for name, value in fields.items():
        setattr(integration, name, value)
    return RefreshOutcome.REFRESHED


async def _recipients(integration: EfacturaIntegration) -> list[User]:
    """The person who authorized; the company's owners and administrators when that person is gone."""
    if integration.authorized_by_id is not None:
        user = await User.get_or_none(id=integration.authorized_by_id)
        if user is not None:
            return [user]
    return list(await User.filter(id__in=await member_user_ids(integration.company_id, roles=MANAGER_ROLES)))


async def expire(integration: EfacturaIntegration, *, reason: Bilingual = EXPIRED_REASON) -> None:
    """The authorization is dead: EXPIRED, tokens forgotten, members told, the authorizer e-mailed."""
    company = await Company.get(id=integration.company_id)
    link = integration_link(company.id)
    for user in await _recipients(integration):
        await outbox.enqueue(kind="efactura_reauthorize", to=user.email, locale=user.locale, template="efactura_reauthorize",
                             context={"company_name": company.name, "user_name": user.name,
                                      "reason": reason.for_locale(user.locale), "link": link},
                             link=link)
    await change_status(integration, EfacturaStatus.EXPIRED, reason=reason,
                        last_error=reason.for_locale(await _locale_of(integration)), **forgotten_tokens())


async def refused_by_anaf(company_id: int) -> None:
    """ANAF answered a call with the company's access token by refusing the token (HTTP 401/403):
    the authorization no longer works. It ends at once — EXPIRED, `last_error`, the checklist, the
    bell and the authorizer's e-mail say so — instead of staying ACTIVE until the next refresh."""
    async with unit_of_work():
        integration = await EfacturaIntegration.filter(company_id=company_id).select_for_update().first()
        if integration is not None and integration.status == EfacturaStatus.ACTIVE:
            await expire(integration, reason=REFUSED_REASON)


async def _locale_of(integration: EfacturaIntegration) -> str:
    user = await User.get_or_none(id=integration.authorized_by_id) if integration.authorized_by_id is not None else None
    return user.locale if user is not None else "ro"


async def warn_if_ending(integration_id: int) -> bool:
    """E-mail the authorizer once when the refresh token ends within 14 days; True when sent now."""
    at = now()
    async with unit_of_work():
        # The conditional UPDATE is the claim: of two processes, only one sees a row changed.
        claimed = await EfacturaIntegration.filter(
            id=integration_id, status=EfacturaStatus.ACTIVE, expiry_warning_sent_at__isnull=True,
            refresh_expires_at__lte=at + EXPIRY_WARNING_BEFORE).update(expiry_warning_sent_at=at)
        if not claimed:
            return False
        integration = await EfacturaIntegration.get(id=integration_id)
        company = await Company.get(id=integration.company_id)
        link = integration_link(company.id)
        for user in await _recipients(integration):
            await outbox.enqueue(kind="efactura_expiry_warning", to=user.email, locale=user.locale,
                                 template="efactura_expiry_warning",
                                 context={"company_name": company.name, "user_name": user.name,
                                          "expires_at": integration.refresh_expires_at, "link": link},
                                 link=link)
    return True


@dataclass(frozen=True)
class _Handout:
    token: str | None
    outcome: RefreshOutcome | None = None


async def access_token_for(company_id: int, *, oauth, vault: TokenVault | None = None) -> str:
    """A usable ANAF access token for the company's e-Factura integration.

    Refreshes first (row locked, so never alongside the refresh job) when the token is due for its
    planned refresh or about to end. Raises EFACTURA_NOT_AUTHORIZED when the integration is not
    ACTIVE or turns out dead, ANAF_UNAVAILABLE when a needed refresh cannot reach ANAF.
    """
    from domain.companies.service import anaf_unavailable

    integration = await EfacturaIntegration.get_or_none(company_id=company_id)
    if integration is None or integration.status != EfacturaStatus.ACTIVE:
        raise not_authorized()
    if not _needs_refresh(integration):
        return open_token(integration, "access", vault=vault)
    async with unit_of_work():
        locked = await EfacturaIntegration.filter(id=integration.id).select_for_update().first()
        handout = await _refresh_for_handout(locked, oauth=oauth, vault=vault)
    if handout.token is not None:
        return handout.token
    if handout.outcome == RefreshOutcome.RETRY:
        raise anaf_unavailable()
    raise not_authorized()


def _needs_refresh(integration: EfacturaIntegration) -> bool:
    at = now()
    planned = integration.next_refresh_at is not None and integration.next_refresh_at <= at
    return planned or integration.access_expires_at is None or integration.access_expires_at <= at + HAND_OUT_MARGIN


async def _refresh_for_handout(integration: EfacturaIntegration | None, *, oauth, vault) -> _Handout:
    if integration is None or integration.status != EfacturaStatus.ACTIVE:
        return _Handout(None, RefreshOutcome.SKIPPED)
    if not _needs_refresh(integration):  # refreshed by someone else while we waited for the lock
        return _Handout(open_token(integration, "access", vault=vault))
    outcome = await refresh_locked(integration, oauth=oauth, vault=vault)
    if outcome == RefreshOutcome.REFRESHED:
        return _Handout(open_token(integration, "access", vault=vault))
    if outcome == RefreshOutcome.RETRY and integration.access_expires_at and integration.access_expires_at > now():
        return _Handout(open_token(integration, "access", vault=vault))  # still valid: use it, refresh later
    return _Handout(None, outcome)
