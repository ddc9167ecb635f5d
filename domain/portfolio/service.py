"""A firm's portfolio entries: upserting what discovery found, and reading them back.

Entries are unique per (firm, CUI); every write is set-based (a fixed number of statements per
batch, whatever its size), and every read of a page costs the same few statements whatever the
page size (related rows are joined, never fetched per entry).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from tortoise.expressions import Q
from tortoise.functions import Count

from domain.accounts.models import User
from domain.companies.models import Company
from domain.companies.service import STANDING_MEMBERSHIP_SQL, require_member
from domain.invitations.models import Invitation
from domain.kernel import sql
from domain.kernel.contacts import normalise_cui
from domain.kernel.errors import DomainError, ErrorCode
from domain.kernel.text import fold
from domain.portfolio.models import PortfolioEntry, PortfolioStatus, RightsSource

MAX_PAGE = 200
DEFAULT_PAGE = 50
_UPDATED_FIELDS = ["name", "search_name", "address", "registration_number", "registry_status", "vat_payer", "sources",
                   "last_seen_at", "rights_verified_at", "rights_lost_at"]


@dataclass(frozen=True)
class FoundCompany:
    """A CUI the firm's certificate has rights for, how that was learnt, and ANAF's registry record
    (None when the registry does not know the CUI)."""

    cui: str
    sources: frozenset[RightsSource]
    record: object | None  # anaf.registry.RegistryRecord


def _ordered_sources(sources: Iterable[str]) -> list[str]:
    return [s.value for s in RightsSource if s.value in set(sources)]


def _registry_fields(found: FoundCompany) -> dict:
    record = found.record
    if record is None:
        return {"name": found.cui, "search_name": found.cui, "address": None, "registration_number": None,
                "registry_status": None, "vat_payer": False}
    return {"name": record.name, "search_name": fold(record.name)[:300], "address": record.address,
            "registration_number": record.registration_number, "registry_status": record.status, "vat_payer": record.vat_payer}


async def upsert_entries(*, firm_id: int, found: Sequence[FoundCompany], at: datetime, run_id: int | None = None) -> None:
    """Create or refresh one entry per CUI (inside the caller's unit of work): registry data,
    sources (added to those known), rights verified now. Three statements per batch."""
    if not found:
        return
    existing = {e.cui: e for e in await PortfolioEntry.filter(firm_id=firm_id, cui__in=[f.cui for f in found])}
    created, updated = [], []
    for item in found:
        fields = _registry_fields(item)
        entry = existing.get(item.cui)
        if entry is None:
            created.append(PortfolioEntry(firm_id=firm_id, cui=item.cui, sources=_ordered_sources(item.sources),
                                          last_seen_at=at, rights_verified_at=at, discovered_by_run_id=run_id,
                                          is_new=True, **fields))
            continue
        for name, value in fields.items():
            setattr(entry, name, value)
        entry.sources = _ordered_sources([*entry.sources, *item.sources])
        entry.last_seen_at = entry.rights_verified_at = at
        entry.rights_lost_at = None
        updated.append(entry)
    if created:
        # A hand-added CUI may land between the read above and this insert: keep the first row.
        await PortfolioEntry.bulk_create(created, ignore_conflicts=True)
    if updated:
        await PortfolioEntry.bulk_update(updated, fields=_UPDATED_FIELDS)


async def mark_rights_lost(*, firm_id: int, cuis: Iterable[str], at: datetime) -> int:
    cuis = list(cuis)
    if not cuis:
        return 0
    return await PortfolioEntry.filter(firm_id=firm_id, cui__in=cuis, rights_lost_at__isnull=True).update(rights_lost_at=at)


async def add_source(*, firm_id: int, cuis: Iterable[str], source: RightsSource) -> int:
    """Record that `source` also lists these CUIs (on entries that exist); returns how many changed."""
    entries = [e for e in await PortfolioEntry.filter(firm_id=firm_id, cui__in=list(cuis)) if source.value not in e.sources]
    for entry in entries:
        entry.sources = _ordered_sources([*entry.sources, source.value])
    if entries:
        await PortfolioEntry.bulk_update(entries, fields=["sources"])
    return len(entries)


# -- reading --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PortfolioPage:
    entries: list[PortfolioEntry]
    has_next: bool
    total: int

    def cursor(self, entry: PortfolioEntry) -> str:
        return encode_cursor(entry)


def encode_cursor(entry: PortfolioEntry) -> str:
    return base64.urlsafe_b64encode(f"{entry.id}:{entry.name}".encode()).decode()


def _decode_cursor(cursor: str) -> tuple[int, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor.encode()).decode()
        entry_id, _, name = raw.partition(":")
        return int(entry_id), name
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise DomainError(ErrorCode.INVALID_INPUT, "The page cursor is not one this list gave out.",
                          "Cursorul de pagină nu provine din această listă.", field=["after"]) from None


def _search_filter(search: str) -> Q | None:
    text = " ".join(search.split())
    if not text:
        return None
    condition = Q(search_name__contains=fold(text))
    compact = text.upper().removeprefix("RO").strip().replace(" ", "")
    if compact.isdigit():
        condition |= Q(cui__startswith=compact)
    return condition


async def portfolio_page(*, actor: User, company_id: int | str, status: PortfolioStatus | None = None,
                         search: str | None = None, first: int | None = None, after: str | None = None) -> PortfolioPage:
    """Entries by name (then id), `first` at a time after the cursor `after`: two statements a page
    (the membership with the count, then the page with its client companies and invitations)."""
    if " ".join((search or "").split()):
        return await _searched_page(actor=actor, company_id=company_id, status=status, search=search, first=first, after=after)
    try:
        firm_id = int(company_id)
    except (TypeError, ValueError):
        firm_id = None
    if firm_id is not None and not -2**63 <= firm_id < 2**63:  # not an id a row can have
        firm_id = None
    status_value = status.value if status is not None else None
    found = await sql.fetch(_MEMBER_AND_COUNT[status is not None], actor.id, firm_id, status_value) if firm_id is not None else []
    if not found:  # not a member: require_member says NOT_FOUND or FORBIDDEN
        await require_member(actor, company_id)
        return await _searched_page(actor=actor, company_id=company_id, status=status, search=search, first=first, after=after)
    size = _page_size(first)
    firm = sql.model(Company, found[0], "c__")
    params: list = [firm_id, status_value, None, None, size + 1]
    if after:
        params[2:4] = _decode_cursor(after)
    rows = await sql.fetch(_PAGE[(status is not None, bool(after))], *params)
    entries = []
    for row in rows[:size]:
        entry = sql.model(PortfolioEntry, row, "e__")
        sql.attach(entry, "client_company", sql.model(Company, row, "k__"))
        sql.attach(entry, "invitation", sql.model(Invitation, row, "i__"))
        entries.append(entry)
    await attach_invitation_companies(entries, firm=firm)
    return PortfolioPage(entries=entries, has_next=len(rows) > size, total=found[0]["total"])


def _page_size(first: int | None) -> int:
    size = DEFAULT_PAGE if first is None else first
    if not 0 < size <= MAX_PAGE:
        raise DomainError(ErrorCode.INVALID_INPUT, f"Ask for 1 to {MAX_PAGE} entries at a time.",
                          f"Cereți între 1 și {MAX_PAGE} intrări o dată.", field=["first"])
    return size


# $1 user, $2 firm, $3 status
_MEMBER_AND_COUNT = sql.Statements(lambda by_status: (
    f"SELECT {sql.columns(Company, 'c', 'c__')}, (SELECT count(*) FROM portfolio_entries e WHERE e.firm_id = m.company_id"
    f"{' AND e.status = $3' if by_status else ''}) AS total "
    f"FROM memberships m JOIN companies c ON c.id = m.company_id WHERE m.user_id = $1 AND m.company_id = $2 AND {STANDING_MEMBERSHIP_SQL}"))
# $1 firm, $2 status, $3 after id, $4 after name, $5 limit
_PAGE = sql.Statements(lambda by_status, after: (
    f"SELECT {sql.columns(PortfolioEntry, 'e', 'e__')}, {sql.columns(Company, 'k', 'k__')}, {sql.columns(Invitation, 'i', 'i__')} "
    "FROM portfolio_entries e LEFT JOIN companies k ON k.id = e.client_company_id LEFT JOIN invitations i ON i.id = e.invitation_id "
    f"WHERE e.firm_id = $1{' AND e.status = $2' if by_status else ''}"
    f"{' AND (e.name > $4 OR (e.name = $4 AND e.id > $3))' if after else ''} ORDER BY e.name, e.id LIMIT $5"))


async def _searched_page(*, actor: User, company_id: int | str, status: PortfolioStatus | None, search: str | None,
                         first: int | None, after: str | None) -> PortfolioPage:
    membership = await require_member(actor, company_id)
    size = _page_size(first)
    query = PortfolioEntry.filter(firm_id=membership.company_id)
    if status is not None:
        query = query.filter(status=status)
    condition = _search_filter(search or "")
    if condition is not None:
        query = query.filter(condition)
    total = await query.count()
    if after:
        after_id, after_name = _decode_cursor(after)
        query = query.filter(Q(name__gt=after_name) | Q(name=after_name, id__gt=after_id))
    rows = await query.order_by("name", "id").limit(size + 1).select_related("client_company", "invitation")
    entries = rows[:size]
    await attach_invitation_companies(entries, firm=membership.company)
    return PortfolioPage(entries=entries, has_next=len(rows) > size, total=total)


async def attach_invitation_companies(entries: list[PortfolioEntry], *, firm: Company) -> None:
    """Give each entry's invitation its firm and client company with one query for the whole page.

    (Joining the companies through `select_related("invitation__firm", ...)` beside the entry's own
    `client_company` mixes up the columns of the two joined `companies` tables on PostgreSQL.)"""
    invitations = [e.invitation for e in entries if e.invitation_id is not None]
    client_ids = {i.client_company_id for i in invitations if i.client_company_id is not None}
    clients = {c.id: c for c in await Company.filter(id__in=client_ids)} if client_ids else {}
    for invitation in invitations:
        invitation.firm = firm
        invitation.client_company = clients.get(invitation.client_company_id)


@dataclass(frozen=True)
class PortfolioSummary:
    total: int
    by_status: dict[PortfolioStatus, int]
    rights_lost: int
    new: int

    def count(self, status: PortfolioStatus) -> int:
        return self.by_status.get(status, 0)


async def portfolio_summary(*, actor: User, company_id: int | str) -> PortfolioSummary:
    membership = await require_member(actor, company_id)
    query = PortfolioEntry.filter(firm_id=membership.company_id)
    rows = await query.annotate(n=Count("id")).group_by("status").values("status", "n")
    by_status = {PortfolioStatus(r["status"]): r["n"] for r in rows}
    return PortfolioSummary(total=sum(by_status.values()), by_status=by_status,
                            rights_lost=await query.filter(rights_lost_at__isnull=False).count(),
                            new=await query.filter(is_new=True).count())


def normalise_cuis(raw: Sequence[str], *, field: str = "cuis") -> tuple[dict[str, int], list[DomainError]]:
    """Valid CUIs (each with the input index it first appeared at, in input order), and an
    INVALID_CUI error at `[field, i]` per bad one."""
    cuis: dict[str, int] = {}
    errors: list[DomainError] = []
    for index, value in enumerate(raw):
        try:
            cui = normalise_cui(value)
        except DomainError as error:
            errors.append(DomainError(error.code, error.en, error.ro, field=[field, str(index)]))
            continue
        cuis.setdefault(cui, index)
    return cuis, errors
