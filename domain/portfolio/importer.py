"""Importing the accountant's own client list: the rights source IMPORT.

The file is read at once (domain/portfolio/imports.py), and in one transaction every valid row's
contacts are kept (`portfolio_contacts`, per firm and CUI) and the companies already in the
portfolio gain the source IMPORT: the answer lists them, with their pre-filled contacts, and every
problem at its row and column.

The other CUIs still have to be verified at ANAF (a probe each with the firm's token, then the
registry). ANAF allows 1,000 calls a minute, so a list of thousands cannot be verified inside one
request: a discovery run does it in the background, starting at its probe phase, with the usual
progress (`discoveryProgress`), resumption after a restart and notification at the end; each
company with rights enters the portfolio with the source IMPORT and its contacts already there.
When a discovery is already running for the firm, the list is kept and the next discovery
(started by hand or by the periodic re-discovery) verifies it: every discovery probes the imported
CUIs that are not yet in the portfolio.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field

from domain.accounts.models import User
from domain.companies.service import MANAGER_ROLES, require_member
from domain.efactura.service import require_ready_for_portfolio
from domain.kernel.clock import now
from domain.kernel.errors import DomainError, ErrorCode
from domain.kernel.events import company_channel, emit, unit_of_work
from domain.portfolio.discovery import create_run
from domain.portfolio.discovery_runner import RunState
from domain.portfolio.imports import FILE, ImportRow, parse_client_list
from domain.portfolio.models import DiscoveryRun, PortfolioContact, PortfolioEntry, RightsSource
from domain.portfolio.service import add_source, attach_invitation_companies

CHUNK = 500  # rows per statement (SQLite's limit on bound parameters)
_CONTACT_FIELDS = ("company_name", "representative_name", "email", "phone")


@dataclass
class ImportResult:
    entries: list[PortfolioEntry] = field(default_factory=list)  # already in the portfolio, now also IMPORT
    errors: list[DomainError] = field(default_factory=list)
    run: DiscoveryRun | None = None  # verifying the other CUIs at ANAF
    rows_read: int = 0
    imported: int = 0  # distinct valid CUIs kept
    verifying: int = 0  # of those, how many wait for ANAF's answer
    columns: dict[str, str] = field(default_factory=dict)  # canonical column -> the header as written


def _chunks(items: Sequence, size: int = CHUNK):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _discovery_running(count: int) -> DomainError:
    return DomainError(ErrorCode.INVALID_STATE,
                       f"A discovery is already running, so the {count} imported companies not yet in the portfolio will be "
                       "verified at ANAF by the next one: start discovery again when this one ends.",
                       f"O descoperire rulează deja, așa că cele {count} companii importate care nu sunt încă în portofoliu vor fi "
                       "verificate la ANAF de următoarea: porniți din nou descoperirea după ce se termină aceasta.",
                       field=[FILE])


async def import_client_list(*, actor: User, company_id: int | str, content: bytes, runner) -> ImportResult:
    membership = await require_member(actor, company_id, roles=MANAGER_ROLES)
    firm = membership.company
    await require_ready_for_portfolio(firm)
    # Reading 5,000 rows (XLSX, e-mail and phone checks) takes seconds of CPU: off the event loop.
    parsed = await asyncio.to_thread(parse_client_list, content)
    errors = list(parsed.errors)
    rows: list[ImportRow] = []
    for row in parsed.rows:
        if row.cui == firm.cui:
            errors.append(DomainError(ErrorCode.INVALID_INPUT, f"Row {row.row}: this is the firm's own CUI, not a client's; the row was skipped.",
                                      f"Rândul {row.row}: acesta este CUI-ul firmei, nu al unui client; rândul a fost omis.",
                                      field=[FILE, str(row.row), "cui"]))
        else:
            rows.append(row)
    errors.sort(key=lambda e: int(e.field[1]) if e.field and len(e.field) > 1 else 0)
    result = ImportResult(errors=errors, rows_read=len(parsed.rows) + len(parsed.rejected_rows), imported=len(rows),
                          columns=parsed.columns)
    if not rows:
        return result

    cuis = [r.cui for r in rows]
    async with unit_of_work():
        await _keep_contacts(firm_id=firm.id, rows=rows, actor=actor)
        in_portfolio: set[str] = set()
        for chunk in _chunks(cuis):
            in_portfolio.update(await PortfolioEntry.filter(firm_id=firm.id, cui__in=chunk, rights_lost_at__isnull=True)
                                .values_list("cui", flat=True))
        if in_portfolio:
            await add_source(firm_id=firm.id, cuis=in_portfolio, source=RightsSource.IMPORT)
            emit(company_channel(firm.id), "portfolio", cuis=sorted(in_portfolio))

    to_verify = [c for c in cuis if c not in in_portfolio]
    result.verifying = len(to_verify)
    if to_verify:
        state = RunState(phase="probe", to_probe={cui: [RightsSource.IMPORT.value] for cui in to_verify})
        run, created = await create_run(firm_id=firm.id, started_by_id=actor.id, state=state.dump(), total=len(to_verify))
        if created:
            runner.start(run.id)
        else:
            await runner.adopt_if_stale(run)
            errors.append(_discovery_running(len(to_verify)))
        result.run = run
    if in_portfolio:
        entries = []
        for chunk in _chunks(sorted(in_portfolio)):
            entries += await PortfolioEntry.filter(firm_id=firm.id, cui__in=chunk).select_related("client_company", "invitation")
        entries.sort(key=lambda e: (e.name, e.id))
        await attach_invitation_companies(entries, firm=firm)
        result.entries = entries
    return result


async def _keep_contacts(*, firm_id: int, rows: Sequence[ImportRow], actor: User) -> None:
    """One row per (firm, CUI): the file's values replace the kept ones; a blank cell keeps them."""
    at = now()
    existing: dict[str, PortfolioContact] = {}
    for chunk in _chunks([r.cui for r in rows]):
        existing.update({c.cui: c for c in await PortfolioContact.filter(firm_id=firm_id, cui__in=chunk)})
    created, updated = [], []
    for row in rows:
        values = {"company_name": row.name, "representative_name": row.representative_name,
                  "email": row.email, "phone": row.phone}
        contact = existing.get(row.cui)
        if contact is None:
            created.append(PortfolioContact(firm_id=firm_id, cui=row.cui, row_number=row.row, imported_by_id=actor.id,
                                            imported_at=at, **values))
            continue
        for name, value in values.items():
            if value is not None:
                setattr(contact, name, value)
        contact.row_number, contact.imported_by_id, contact.imported_at = row.row, actor.id, at
        updated.append(contact)
    if created:
        # A concurrent import of the same CUI may land first: keep its row.
        await PortfolioContact.bulk_create(created, batch_size=CHUNK, ignore_conflicts=True)
    if updated:
        await PortfolioContact.bulk_update(updated, fields=[*_CONTACT_FIELDS, "row_number", "imported_by_id", "imported_at"],
                                           batch_size=CHUNK)


async def contacts_for(keys: Sequence[tuple[int, str]]) -> dict[tuple[int, str], PortfolioContact]:
    """The kept contacts of many (firm id, CUI) pairs, a statement per firm (and per CHUNK CUIs)."""
    by_firm: dict[int, list[str]] = {}
    for firm_id, cui in keys:
        by_firm.setdefault(firm_id, []).append(cui)
    found: dict[tuple[int, str], PortfolioContact] = {}
    for firm_id, firm_cuis in by_firm.items():
        for chunk in _chunks(sorted(set(firm_cuis))):
            for contact in await PortfolioContact.filter(firm_id=firm_id, cui__in=chunk):
                found[(firm_id, contact.cui)] = contact
    return found
