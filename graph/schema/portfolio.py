"""Types of the portfolio: entries, their connection and summary, discovery runs, agent pairing."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.dataloader import DataLoader

from domain.portfolio import importer
from domain.portfolio.models import DiscoveryRun as DiscoveryRunModel
from domain.portfolio.models import DiscoveryStatus as DiscoveryStatusEnum
from domain.portfolio.models import PortfolioContact as PortfolioContactModel
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


@strawberry.type(description="A client's contact as the firm's imported list gives it (e-mail and phone already "
                              "normalised), to pre-fill its invitation.")
class Contact:
    representative_name: str | None
    email: str | None
    phone: str | None

    @staticmethod
    def of(row: PortfolioContactModel) -> "Contact | None":
        if not (row.representative_name or row.email or row.phone):
            return None
        return Contact(representative_name=row.representative_name, email=row.email, phone=row.phone)


def contact_loader(context) -> DataLoader[tuple[int, str], Contact | None]:
    """Per operation: the imported contacts of every entry shown, in one statement per firm."""
    loader = context.loaders.get("portfolio_contacts")
    if loader is None:
        async def load(keys: list[tuple[int, str]]) -> list[Contact | None]:
            found = await importer.contacts_for(keys)
            return [Contact.of(found[key]) if key in found else None for key in keys]

        loader = context.loaders["portfolio_contacts"] = DataLoader(load_fn=load)
    return loader


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
    firm_id: strawberry.Private[int | None] = None

    @strawberry.field(description="The representative, e-mail and phone from the firm's imported client list, "
                                  "to pre-fill this company's invitation; null when no list named them.")
    async def suggested_contact(self, info: strawberry.Info) -> Contact | None:
        if self.firm_id is None:
            return None
        return await contact_loader(info.context).load((self.firm_id, self.cui))

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
            firm_id=entry.firm_id,
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


@strawberry.type(description="A column of the imported file the import recognised.")
class ImportedColumn:
    field: str = strawberry.field(description="cui, name, representativeName, email or phone: the column's name in error paths.")
    header: str = strawberry.field(description="The header as the file writes it, e.g. “Cod fiscal (CUI)”.")


@strawberry.type
class ImportPayload:
    entries: list[PortfolioEntry] = strawberry.field(
        default_factory=list, description="Imported companies already in the portfolio (now also with the source IMPORT).")
    errors: list[UserError] = strawberry.field(
        default_factory=list,
        description='Problems at ["file", "<row>", "<column>"] (Excel row numbers; column is cui, name, '
                    'representativeName, email or phone). A row with a problem at `cui` was skipped; a problem in '
                    'another column only drops that value. ["file"] alone: the file as a whole.')
    run: DiscoveryRun | None = strawberry.field(
        default=None, description="The run verifying the other imported CUIs at ANAF; progress by `discoveryProgress`.")
    rows_read: int = strawberry.field(default=0, description="Client rows in the file (empty rows not counted).")
    imported: int = strawberry.field(default=0, description="Distinct valid CUIs kept, with their contacts.")
    verifying: int = strawberry.field(default=0, description="Of those, the ones not yet in the portfolio, being verified at ANAF.")
    columns: list[ImportedColumn] = strawberry.field(
        default_factory=list, description="The columns read, so the accountant sees which header was taken for what; "
                                          "a column not listed was not recognised and not imported.")
