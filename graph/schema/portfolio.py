"""Types of the portfolio: entries, their connection and summary, discovery runs, agent pairing."""

from __future__ import annotations

from datetime import datetime

import strawberry

from domain.portfolio.models import DiscoveryRun as DiscoveryRunModel
from domain.portfolio.models import DiscoveryStatus as DiscoveryStatusEnum
from domain.portfolio.models import PortfolioEntry as PortfolioEntryModel
from domain.portfolio.models import PortfolioStatus as DomainPortfolioStatus
from domain.portfolio.models import RightsSource as DomainRightsSource
from domain.portfolio.service import PortfolioPage
from domain.portfolio.service import PortfolioSummary as DomainSummary
from domain.portfolio.spv_rights import AgentPairingCode
from graph.schema.companies import Company
from graph.schema.errors import UserError
from graph.schema.invitations import Invitation
from graph.schema.pagination import PageInfo

PortfolioStatus = strawberry.enum(DomainPortfolioStatus, name="PortfolioStatus")
RightsSource = strawberry.enum(DomainRightsSource, name="RightsSource")
DiscoveryStatus = strawberry.enum(DiscoveryStatusEnum, name="DiscoveryStatus")


@strawberry.type
class DiscoveryRun:
    id: strawberry.ID
    status: DiscoveryStatus
    total: int
    checked: int
    found: int
    new_count: int
    started_at: datetime
    finished_at: datetime | None
    error: str | None

    @staticmethod
    def of(row: DiscoveryRunModel) -> "DiscoveryRun":
        return DiscoveryRun(id=strawberry.ID(str(row.id)), status=row.status, total=row.total, checked=row.checked,
                            found=row.found, new_count=row.new_count, started_at=row.started_at,
                            finished_at=row.finished_at, error=row.error)


@strawberry.type
class PortfolioEntry:
    id: strawberry.ID
    cui: str
    name: str
    address: str | None
    registration_number: str | None
    registry_status: str | None = strawberry.field(description="active, inactive or deregistered, per ANAF's registry")
    status: PortfolioStatus
    sources: list[RightsSource]
    discovered_at: datetime
    last_seen_at: datetime | None
    rights_verified_at: datetime | None
    rights_lost_at: datetime | None = strawberry.field(description="Set when ANAF no longer lists rights for this CUI.")
    is_new: bool = strawberry.field(description="Found by the latest discovery run.")
    client_company: Company | None
    invitation: Invitation | None = strawberry.field(description="The latest invitation sent to this company, if any.")

    @staticmethod
    def of(entry: PortfolioEntryModel) -> "PortfolioEntry":
        # `client_company` and the invitation (with its firm and client) are joined by the page
        # query: no statement per entry.
        client = entry.client_company if entry.client_company_id else None
        invitation = entry.invitation if entry.invitation_id else None
        return PortfolioEntry(
            id=strawberry.ID(str(entry.id)), cui=entry.cui, name=entry.name, address=entry.address,
            registration_number=entry.registration_number, registry_status=entry.registry_status,
            status=entry.status, sources=[DomainRightsSource(s) for s in entry.sources],
            discovered_at=entry.discovered_at, last_seen_at=entry.last_seen_at,
            rights_verified_at=entry.rights_verified_at, rights_lost_at=entry.rights_lost_at, is_new=entry.is_new,
            client_company=Company.of(client) if client is not None else None,
            invitation=Invitation.of(invitation) if invitation is not None else None,
        )


@strawberry.type
class PortfolioEdge:
    cursor: str
    node: PortfolioEntry


@strawberry.type
class PortfolioConnection:
    edges: list[PortfolioEdge]
    page_info: PageInfo
    total_count: int

    @staticmethod
    def of(page: PortfolioPage) -> "PortfolioConnection":
        edges = [PortfolioEdge(cursor=page.cursor(e), node=PortfolioEntry.of(e)) for e in page.entries]
        return PortfolioConnection(edges=edges, total_count=page.total,
                                   page_info=PageInfo(has_next_page=page.has_next, end_cursor=edges[-1].cursor if edges else None))


@strawberry.type
class PortfolioSummary:
    total: int
    discovered: int
    invited: int
    account_created: int
    collaborating: int
    declined: int
    expired: int
    revoked: int
    rights_lost: int
    new: int

    @staticmethod
    def of(summary: DomainSummary) -> "PortfolioSummary":
        s = DomainPortfolioStatus
        return PortfolioSummary(total=summary.total, discovered=summary.count(s.DISCOVERED), invited=summary.count(s.INVITED),
                                account_created=summary.count(s.ACCOUNT_CREATED), collaborating=summary.count(s.COLLABORATING),
                                declined=summary.count(s.DECLINED), expired=summary.count(s.EXPIRED), revoked=summary.count(s.REVOKED),
                                rights_lost=summary.rights_lost, new=summary.new)


@strawberry.type
class DiscoveryPayload:
    run: DiscoveryRun | None = None
    entries: list[PortfolioEntry] = strawberry.field(default_factory=list, description="Entries added or confirmed by this call.")
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class AgentPairing:
    code: str = strawberry.field(description="One-time code for the token agent, e.g. K7QM-2XT9.")
    expires_at: datetime
    command: str = strawberry.field(description="The command line to run on the computer with the USB token.")

    @staticmethod
    def of(pairing: AgentPairingCode) -> "AgentPairing":
        return AgentPairing(code=pairing.code, expires_at=pairing.expires_at, command=pairing.command)


@strawberry.type
class AgentPairingPayload:
    pairing: AgentPairing | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)
