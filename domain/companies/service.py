"""Companies: creation from ANAF's public registry, membership rules, and what a viewer may see.

Ownership is proven, not claimed (ARCHITECTURE.md). Each membership says how it is proven
(`CompanyVerification`): by its holder's e-Factura authorization showing rights on the CUI, by an
invitation link from a firm whose certificate has rights on it, or not at all (UNVERIFIED, a claim:
anyone may register any CUI). A claim never blocks anyone: while nobody is verified for a company,
another person may register the same CUI as a second claim. Once someone is verified, the company is
theirs: the unverified claims are suspended (their holders see and receive nothing of the company, as
if they were not members) until a verified owner or administrator removes them, and nobody else may
register the CUI.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Iterable, Protocol

from tortoise.exceptions import IntegrityError

from anaf.errors import AnafUnavailable
from domain.accounts.models import User
from domain.companies.models import LISTED_FIELDS, Company, CompanyVerification, MemberRole, Membership, RegistryStatus
from domain.invitations.models import Collaboration, CollaborationStatus
from domain.kernel import sql
from domain.kernel.clock import now
from domain.kernel.contacts import normalise_cui
from domain.kernel.errors import DomainError, ErrorCode, Forbidden, NotFound
from domain.kernel.events import unit_of_work

MANAGER_ROLES = (MemberRole.OWNER, MemberRole.ADMIN)


class Registry(Protocol):
    """What the domain needs of ANAF's public registry (implemented by `anaf.registry.RegistryClient`)."""

    async def lookup_one(self, cui: str): ...

    async def lookup(self, cuis: Iterable[str]): ...


class Relationship(StrEnum):
    OWN = "OWN"
    CLIENT = "CLIENT"
    ACCOUNTANT = "ACCOUNTANT"


@dataclass(frozen=True)
class CompanyLink:
    """A company of the list, and for a client or accounting firm the viewer's company it comes through;
    both are records of the company's `LISTED_FIELDS`."""

    relationship: Relationship
    company: sql.Record
    via: sql.Record | None = None
    since: datetime | None = None


def anaf_unavailable() -> DomainError:
    return DomainError(ErrorCode.ANAF_UNAVAILABLE, "ANAF is not answering right now. Try again in a few minutes.",
                       "ANAF nu răspunde momentan. Încercați din nou peste câteva minute.")


async def registry_lookup(registry: Registry, raw_cui: str, *, user_id: int | None = None):
    """ANAF's public data for a CUI, or None when the registry does not know it. With a
    `RegistryLookups` (domain/companies/registry_lookups.py) the look-up counts against `user_id`'s budget."""
    cui = normalise_cui(raw_cui)
    try:
        return await (registry.lookup_one(cui) if user_id is None else registry.lookup_one(cui, user_id=user_id))
    except AnafUnavailable:
        raise anaf_unavailable() from None


def _company_exists() -> DomainError:
    # Deliberately silent on who owns it.
    return DomainError(ErrorCode.COMPANY_EXISTS, "This company is already on the platform. Ask one of its administrators to add you.",
                       "Compania este deja pe platformă. Cereți unuia dintre administratorii ei să vă adauge.", field=["cui"])


def company_fields_from_registry(record) -> dict:
    return {
        "name": record.name,
        "address": record.address,
        "registration_number": record.registration_number,
        "registry_status": RegistryStatus(record.status),
        "vat_payer": record.vat_payer,
        "registry_checked_at": now(),
    }


async def fetch_registry_record(registry: Registry, cui: str):
    try:
        record = await registry.lookup_one(cui)
    except AnafUnavailable:
        raise anaf_unavailable() from None
    if record is None:
        raise DomainError(ErrorCode.COMPANY_NOT_FOUND_IN_REGISTRY, f"ANAF's public registry has no company with CUI {cui}. Check the number.",
                          f"Registrul public ANAF nu conține nicio companie cu CUI {cui}. Verificați numărul.", field=["cui"])
    return record


async def add_company_with_owner(*, owner: User, record, provides_accounting_services: bool = False,
                                 verification: CompanyVerification = CompanyVerification.UNVERIFIED) -> Company:
    """Create a company from a registry record with `owner` as its owner, in the caller's transaction."""
    try:
        company = await Company.create(cui=record.cui, provides_accounting_services=provides_accounting_services,
                                       **company_fields_from_registry(record))
    except IntegrityError:
        raise _company_exists() from None
    await Membership.create(user=owner, company=company, role=MemberRole.OWNER, verification=verification)
    return company


async def create_company(*, actor: User, cui: str, provides_accounting_services: bool, registry: Registry) -> Company:
    """Register a company by CUI: the creator's claim (UNVERIFIED) until e-Factura or an invitation proves it.
    A CUI already registered only by unverified claims takes this one as another claim."""
    cui = normalise_cui(cui)
    existing = await Company.get_or_none(cui=cui)
    if existing is not None:
        return await _claim_existing(actor, existing)
    record = await fetch_registry_record(registry, cui)
    async with unit_of_work():
        return await add_company_with_owner(owner=actor, record=record, provides_accounting_services=provides_accounting_services)


async def _claim_existing(actor: User, company: Company) -> Company:
    async with unit_of_work():
        if await has_verified_member(company.id) or await Membership.filter(user_id=actor.id, company_id=company.id).exists():
            raise _company_exists()
        try:
            await Membership.create(user=actor, company=company, role=MemberRole.OWNER)
        except IntegrityError:
            raise _company_exists() from None
    return company


# -- verification --------------------------------------------------------------------------------

async def has_verified_member(company_id: int) -> bool:
    return await Membership.filter(company_id=company_id).exclude(verification=CompanyVerification.UNVERIFIED).exists()


async def standing_memberships(user_id: int) -> list[Membership]:
    """The user's memberships that count (companies loaded, by name): all but claims suspended by
    someone verified for the same company."""
    rows = await Membership.filter(user_id=user_id).select_related("company").order_by("company__name")
    claims = [m.company_id for m in rows if m.verification == CompanyVerification.UNVERIFIED]
    if claims:
        taken = set(await Membership.filter(company_id__in=claims).exclude(verification=CompanyVerification.UNVERIFIED)
                    .values_list("company_id", flat=True))
        rows = [m for m in rows if not (m.verification == CompanyVerification.UNVERIFIED and m.company_id in taken)]
    return rows


async def verifications_for(user_id: int, company_ids: Iterable[int]) -> dict[int, CompanyVerification]:
    """How the user's standing memberships among these companies are proven (two queries at most)."""
    rows = dict(await Membership.filter(user_id=user_id, company_id__in=list(company_ids)).values_list("company_id", "verification"))
    claims = [cid for cid, v in rows.items() if v == CompanyVerification.UNVERIFIED]
    if claims:
        for cid in await Membership.filter(company_id__in=claims).exclude(verification=CompanyVerification.UNVERIFIED).values_list("company_id", flat=True):
            rows.pop(cid, None)
    return {cid: CompanyVerification(v) for cid, v in rows.items()}


async def verified_manager_ids(company_id: int) -> list[int]:
    """Who answers for the company (collaboration requests): its verified owners and administrators."""
    return list(await Membership.filter(company_id=company_id, role__in=list(MANAGER_ROLES))
                .exclude(verification=CompanyVerification.UNVERIFIED).values_list("user_id", flat=True))


async def verify_by_invitation(*, user_id: int, company_id: int) -> None:
    """The holder of an invitation link becomes a verified owner (in the caller's transaction):
    joining the company, or upgrading their claim. Unverified claims of others are thereby suspended."""
    membership = await Membership.filter(user_id=user_id, company_id=company_id).select_for_update().first()
    if membership is None:
        await Membership.create(user_id=user_id, company_id=company_id, role=MemberRole.OWNER,
                                verification=CompanyVerification.VERIFIED_BY_INVITATION)
        return
    membership.role = MemberRole.OWNER
    if membership.verification == CompanyVerification.UNVERIFIED:
        membership.verification = CompanyVerification.VERIFIED_BY_INVITATION
    await membership.save(update_fields=["role", "verification"])


async def claimants(*, actor: User, company: Company) -> list[tuple[User, datetime]]:
    """The unverified claims on a company, for its verified owners and administrators (empty for anyone else)."""
    mine = await Membership.get_or_none(user_id=actor.id, company_id=company.id)
    if mine is None or mine.role not in MANAGER_ROLES or mine.verification == CompanyVerification.UNVERIFIED:
        return []
    rows = await Membership.filter(company_id=company.id, verification=CompanyVerification.UNVERIFIED).order_by("id").select_related("user")
    return [(m.user, m.created_at) for m in rows]


async def remove_claimant(*, actor: User, company_id: int | str, user_id: int | str) -> Company:
    """A verified owner or administrator ends someone's unverified claim on the company."""
    membership = await require_member(actor, company_id, roles=MANAGER_ROLES)
    if membership.verification == CompanyVerification.UNVERIFIED:
        raise Forbidden("Only an owner or administrator verified for the company (by e-Factura or an invitation) can remove claims.")
    try:
        target = int(user_id)
    except (TypeError, ValueError):
        target = None
    if target is not None and not 0 < target < 2**63:
        target = None  # no such row can exist (and the database would refuse the number)
    removed = await Membership.filter(company_id=membership.company_id, user_id=target,
                                      verification=CompanyVerification.UNVERIFIED).delete() if target is not None else 0
    if not removed:
        raise NotFound("No claimant with that id.")
    return membership.company


async def membership_of(user: User, company_id: int | str) -> Membership | None:
    """The user's membership of the company, None when there is none or it is a suspended claim."""
    try:
        company_id = int(company_id)
    except (TypeError, ValueError):
        return None
    membership = await Membership.filter(user_id=user.id, company_id=company_id).select_related("company").first()
    if membership is not None and membership.verification == CompanyVerification.UNVERIFIED and await has_verified_member(company_id):
        return None
    return membership


async def can_see(user: User, company_id: int) -> bool:
    """Members see their companies; a firm's members see its clients; a client's members see its firm."""
    ids = {m.company_id for m in await standing_memberships(user.id)}
    if company_id in ids:
        return True
    return await Collaboration.filter(status=CollaborationStatus.ACTIVE).filter(
        firm_id__in=list(ids), client_id=company_id).exists() or await Collaboration.filter(
        status=CollaborationStatus.ACTIVE, client_id__in=list(ids), firm_id=company_id).exists()


async def require_member(user: User, company_id: int | str, *, roles: Iterable[MemberRole] | None = None) -> Membership:
    """The viewer's membership, or NOT_FOUND for a company they may not see, FORBIDDEN otherwise."""
    membership = await membership_of(user, company_id)
    if membership is None:
        try:
            visible = await can_see(user, int(company_id))
        except (TypeError, ValueError):
            visible = False
        raise Forbidden() if visible else NotFound("No company with that id.")
    if roles is not None and membership.role not in tuple(roles):
        raise Forbidden("Only the company's owners and administrators can do this.")
    return membership


async def get_visible_company(user: User, company_id: int | str) -> Company:
    membership = await membership_of(user, company_id)
    if membership is not None:
        return membership.company
    try:
        cid = int(company_id)
    except (TypeError, ValueError):
        raise NotFound("No company with that id.") from None
    if await can_see(user, cid):
        return await Company.get(id=cid)
    raise NotFound("No company with that id.")


async def set_provides_accounting_services(*, actor: User, company_id: int | str, enabled: bool) -> Company:
    return await _set_setting(actor, company_id, "provides_accounting_services", enabled)


async def _set_setting(actor: User, company_id: int | str, field: str, value: bool) -> Company:
    """One of the company's settings, changed by an owner or administrator."""
    membership = await require_member(actor, company_id, roles=MANAGER_ROLES)
    company = membership.company
    setattr(company, field, value)
    await company.save(update_fields=[field])
    return company


async def list_companies(*, actor: User, relationship: Relationship | None = None) -> list[CompanyLink]:
    """"Administrare companii": own companies, then clients (via the firm), then accounting firms, each
    by name. One statement: the memberships' companies, then the active collaborations asked for.
    The companies are records of `LISTED_FIELDS` (`sql.reader`), not models."""
    kinds = () if relationship == Relationship.OWN else (
        (Relationship.CLIENT, Relationship.ACCOUNTANT) if relationship is None else (relationship,))
    read = sql.reader(Company, LISTED_FIELDS, "x__")
    member_since, collaboration_since = sql.converter(Membership, "created_at"), sql.converter(Collaboration, "since")
    own: dict[int, sql.Record] = {}
    links: list[CompanyLink] = []
    for row in await sql.fetch(_COMPANIES[kinds], actor.id):
        company = read(row)
        if row["kind"] == _OWN_ROW:  # first in the order: the `via` of the rows after them
            own[company.id] = company
            if relationship in (None, Relationship.OWN):
                links.append(CompanyLink(Relationship.OWN, company, since=member_since(row["since"])))
        else:
            links.append(CompanyLink(_KINDS[row["kind"]], company, via=own[row["via_id"]], since=collaboration_since(row["since"])))
    return links


_OWN_ROW = -1
_KINDS = {0: Relationship.CLIENT, 1: Relationship.ACCOUNTANT}


# A membership `m` that counts (as `standing_memberships` and `membership_of` decide): anything but a
# claim suspended by someone verified for the same company.
STANDING_MEMBERSHIP_SQL = (f"NOT (m.verification = '{CompanyVerification.UNVERIFIED.value}' AND EXISTS (SELECT 1 FROM memberships v "
                           f"WHERE v.company_id = m.company_id AND v.verification <> '{CompanyVerification.UNVERIFIED.value}'))")


def _companies(kinds: tuple[Relationship, ...]) -> str:
    """$1 the user."""
    mine = f"(SELECT m.company_id FROM memberships m WHERE m.user_id = $1 AND {STANDING_MEMBERSHIP_SQL})"
    company = sql.columns(Company, "x", "x__", LISTED_FIELDS)
    parts = [f"SELECT {_OWN_ROW} AS kind, m.company_id AS via_id, m.created_at AS since, {company} FROM memberships m "
             f"JOIN companies x ON x.id = m.company_id WHERE m.user_id = $1 AND {STANDING_MEMBERSHIP_SQL}"]
    if Relationship.CLIENT in kinds:
        parts.append(f"SELECT 0 AS kind, k.firm_id AS via_id, k.since AS since, {company} FROM collaborations k "
                     f"JOIN companies x ON x.id = k.client_id WHERE k.status = 'ACTIVE' AND k.firm_id IN {mine}")
    if Relationship.ACCOUNTANT in kinds:
        parts.append(f"SELECT 1 AS kind, k.client_id AS via_id, k.since AS since, {company} FROM collaborations k "
                     f"JOIN companies x ON x.id = k.firm_id WHERE k.status = 'ACTIVE' AND k.client_id IN {mine}")
    return " UNION ALL ".join(parts) + " ORDER BY kind, x__name"


_COMPANIES = sql.Statements(lambda *kinds: _companies(kinds))


async def member_user_ids(company_id: int, *, roles: Iterable[MemberRole] | None = None) -> list[int]:
    """The company's members (those with `roles`), leaving out claims suspended by a verified member."""
    rows = await Membership.filter(company_id=company_id).values_list("user_id", "role", "verification")
    verified = any(v != CompanyVerification.UNVERIFIED for _, _, v in rows)
    wanted = None if roles is None else set(roles)
    return [user_id for user_id, role, verification in rows
            if (wanted is None or role in wanted) and not (verified and verification == CompanyVerification.UNVERIFIED)]


async def set_members_may_invite(*, actor: User, company_id: int | str, enabled: bool) -> Company:
    """Owners and administrators decide whether plain members may send, resend and revoke invitations."""
    return await _set_setting(actor, company_id, "members_may_invite", enabled)


async def require_inviter(actor: User, company_id: int | str) -> Membership:
    """A member who may send, resend and revoke the company's invitations: an owner or administrator,
    or any member when the company allows it (`members_may_invite`)."""
    membership = await require_member(actor, company_id)
    if membership.role not in MANAGER_ROLES and not membership.company.members_may_invite:
        raise Forbidden("Only the company's owners and administrators can send, resend or revoke invitations "
                        "(an owner can allow every member to).")
    return membership
