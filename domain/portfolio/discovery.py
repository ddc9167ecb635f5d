"""Portfolio discovery: starting a run, adding CUIs by hand (verified at ANAF), reading runs.

A run is a row first (RUNNING, with a `running_key` unique per firm, so two processes can never
both start one for the same firm) and work second: after the row commits, the process's
`DiscoveryRunner` (domain/portfolio/discovery_runner.py) carries it out in the background.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field

from tortoise.exceptions import IntegrityError

from anaf.efactura import RightsAnswer
from anaf.errors import AnafError
from domain.accounts.models import User
from domain.companies.service import MANAGER_ROLES, anaf_unavailable, require_member
from domain.efactura.service import access_token_for, require_ready_for_portfolio
from domain.kernel.clock import now
from domain.kernel.errors import DomainError, ErrorCode
from domain.kernel.events import company_channel, emit, unit_of_work
from domain.portfolio.models import DiscoveryRun, PortfolioEntry, RightsSource
from domain.portfolio.service import FoundCompany, attach_invitation_companies, normalise_cuis, upsert_entries

MAX_MANUAL_CUIS = 200
PROBE_CONCURRENCY = 8


async def create_run(*, firm_id: int, started_by_id: int | None, state: dict | None = None,
                     total: int = 0) -> tuple[DiscoveryRun, bool]:
    """A new RUNNING run for the firm, or the one already running: (run, created). `state` lets a
    run start past its collect phase (an imported list starts at probe, its candidates known)."""
    try:
        async with unit_of_work():
            run = await DiscoveryRun.create(firm_id=firm_id, started_by_id=started_by_id, running_key=str(firm_id),
                                            heartbeat_at=now(), state=state or {}, total=total)
            emit(company_channel(firm_id), "discovery", id=run.id)
        return run, True
    except IntegrityError:
        running = await DiscoveryRun.get_or_none(running_key=str(firm_id))
        if running is None:  # it ended between our insert and this read: try once more
            return await create_run(firm_id=firm_id, started_by_id=started_by_id, state=state, total=total)
        return running, False


async def start_portfolio_discovery(*, actor: User, company_id: int | str, runner) -> DiscoveryRun:
    """Start discovering the firm's portfolio (or return the run already going)."""
    membership = await require_member(actor, company_id, roles=MANAGER_ROLES)
    await require_ready_for_portfolio(membership.company)
    run, created = await create_run(firm_id=membership.company_id, started_by_id=actor.id)
    if created:
        runner.start(run.id)
    else:
        await runner.adopt_if_stale(run)
    return run


async def latest_run(*, actor: User, company_id: int | str) -> DiscoveryRun | None:
    membership = await require_member(actor, company_id)
    return await DiscoveryRun.filter(firm_id=membership.company_id).order_by("-id").first()


def _no_rights(cui: str) -> DomainError:
    return DomainError(ErrorCode.NO_EFACTURA_RIGHTS,
                       f"The certificate that authorized e-Factura has no SPV rights for CUI {cui} at ANAF, so it was not added.",
                       f"Certificatul care a autorizat e-Factura nu are drepturi SPV la ANAF pentru CUI {cui}; nu a fost adăugat.")


def _quota(cui: str) -> DomainError:
    return DomainError(ErrorCode.RATE_LIMITED,
                       f"ANAF's daily limit of checks for CUI {cui} is used up; try again tomorrow.",
                       f"Limita zilnică de verificări ANAF pentru CUI {cui} a fost atinsă; încercați mâine.")


@dataclass
class ManualAddResult:
    entries: list[PortfolioEntry] = field(default_factory=list)
    errors: list[DomainError] = field(default_factory=list)


async def add_portfolio_companies(*, actor: User, company_id: int | str, cuis: Sequence[str], efactura, registry,
                                  oauth) -> ManualAddResult:
    """Add CUIs typed or imported by the accountant, each verified by probing ANAF with the firm's
    token: with rights → an entry with source MANUAL; without → reported at `["cuis", i]`, not added.
    ANAF down → ANAF_UNAVAILABLE and nothing written."""
    membership = await require_member(actor, company_id, roles=MANAGER_ROLES)
    firm = membership.company
    await require_ready_for_portfolio(firm)
    if len(cuis) > MAX_MANUAL_CUIS:
        raise DomainError(ErrorCode.TOO_MANY_ITEMS, f"Add at most {MAX_MANUAL_CUIS} CUIs at a time.",
                          f"Adăugați cel mult {MAX_MANUAL_CUIS} CUI-uri o dată.", field=["cuis"])
    position, errors = normalise_cuis(cuis)
    valid = list(position)
    own = [c for c in valid if c == firm.cui]
    for cui in own:
        errors.append(DomainError(ErrorCode.INVALID_INPUT, "This is the firm's own CUI, not a client's.",
                                  "Acesta este CUI-ul firmei, nu al unui client.", field=["cuis", str(position[cui])]))
    to_check = [c for c in valid if c != firm.cui]
    if not to_check:
        return ManualAddResult(errors=errors)

    token = await access_token_for(firm.id, oauth=oauth)
    gate = asyncio.Semaphore(PROBE_CONCURRENCY)

    async def probe(cui: str):
        async with gate:
            return await efactura.probe(token, cui)

    try:
        answers = await asyncio.gather(*(probe(c) for c in to_check))
        with_rights = []
        for cui, answer in zip(to_check, answers):
            at = ["cuis", str(position[cui])]
            if answer.answer is RightsAnswer.HAS_RIGHTS:
                with_rights.append(cui)
            elif answer.answer is RightsAnswer.TOKEN_INVALID:
                raise DomainError(ErrorCode.EFACTURA_NOT_AUTHORIZED,
                                  "ANAF no longer accepts this company's e-Factura authorization; authorize again.",
                                  "ANAF nu mai acceptă autorizarea e-Factura a companiei; autorizați din nou.")
            elif answer.answer is RightsAnswer.QUOTA_EXCEEDED:
                errors.append(_quota(cui).at(*at))
            else:
                errors.append(_no_rights(cui).at(*at))
        records = await registry.lookup(with_rights) if with_rights else {}
    except AnafError:
        raise anaf_unavailable() from None
    found = [FoundCompany(cui, frozenset({RightsSource.MANUAL}), records.get(cui)) for cui in with_rights]
    async with unit_of_work():
        await upsert_entries(firm_id=firm.id, found=found, at=now())
        if found:
            emit(company_channel(firm.id), "portfolio", cuis=with_rights)
    entries = await PortfolioEntry.filter(firm_id=firm.id, cui__in=with_rights).order_by("name", "id").select_related("client_company", "invitation")
    await attach_invitation_companies(entries, firm=firm)
    return ManualAddResult(entries=list(entries), errors=errors)
