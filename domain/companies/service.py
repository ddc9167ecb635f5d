"""Companies: creation from ANAF's public registry, membership rules, and what a viewer may see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Iterable, Protocol

from tortoise.exceptions import IntegrityError

from anaf.errors import AnafUnavailable
from domain.accounts.models import User
from domain.companies.models import Company, MemberRole, Membership, RegistryStatus
from domain.invitations.models import Collaboration, CollaborationStatus
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
    relationship: Relationship
    company: Company
    via: Company | None = None
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


async def add_company_with_owner(*, owner: User, record, provides_accounting_services: bool = False) -> Company:
    """Create a company from a registry record with `owner` as its owner, in the caller's transaction."""
    try:
        company = await Company.create(cui=record.cui, provides_accounting_services=provides_accounting_services,
                                       **company_fields_from_registry(record))
    except IntegrityError:
        raise _company_exists() from None
    await Membership.create(user=owner, company=company, role=MemberRole.OWNER)
    return company


async def create_company(*, actor: User, cui: str, provides_accounting_services: bool, registry: Registry) -> Company:
    cui = normalise_cui(cui)
    if await Company.filter(cui=cui).exists():
        raise _company_exists()
    record = await fetch_registry_record(registry, cui)
    async with unit_of_work():
        return await add_company_with_owner(owner=actor, record=record, provides_accounting_services=provides_accounting_services)


async def membership_of(user: User, company_id: int | str) -> Membership | None:
    try:
        company_id = int(company_id)
    except (TypeError, ValueError):
        return None
    return await Membership.filter(user_id=user.id, company_id=company_id).select_related("company").first()


async def can_see(user: User, company_id: int) -> bool:
    """Members see their companies; a firm's members see its clients; a client's members see its firm."""
    mine = Membership.filter(user_id=user.id).values_list("company_id", flat=True)
    ids = set(await mine)
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
    membership = await require_member(actor, company_id, roles=MANAGER_ROLES)
    company = membership.company
    company.provides_accounting_services = enabled
    await company.save(update_fields=["provides_accounting_services"])
    return company


async def list_companies(*, actor: User, relationship: Relationship | None = None) -> list[CompanyLink]:
    """"Administrare companii": own companies, then clients (via the firm), then accounting firms."""
    links: list[CompanyLink] = []
    memberships = await Membership.filter(user_id=actor.id).select_related("company").order_by("company__name")
    own = {m.company_id: m.company for m in memberships}
    if relationship in (None, Relationship.OWN):
        links += [CompanyLink(Relationship.OWN, m.company, since=m.created_at) for m in memberships]
    if not own:
        return links
    if relationship in (None, Relationship.CLIENT):
        clients = await Collaboration.filter(firm_id__in=list(own), status=CollaborationStatus.ACTIVE).select_related("client").order_by("client__name")
        links += [CompanyLink(Relationship.CLIENT, c.client, via=own[c.firm_id], since=c.since) for c in clients]
    if relationship in (None, Relationship.ACCOUNTANT):
        firms = await Collaboration.filter(client_id__in=list(own), status=CollaborationStatus.ACTIVE).select_related("firm").order_by("firm__name")
        links += [CompanyLink(Relationship.ACCOUNTANT, c.firm, via=own[c.client_id], since=c.since) for c in firms]
    return links


async def member_user_ids(company_id: int, *, roles: Iterable[MemberRole] | None = None) -> list[int]:
    query = Membership.filter(company_id=company_id)
    if roles is not None:
        query = query.filter(role__in=list(roles))
    return list(await query.values_list("user_id", flat=True))
