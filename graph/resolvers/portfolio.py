"""Portfolio discovery: runs, entries, hand-added CUIs, and pairing the token agent."""

from __future__ import annotations

from typing import AsyncGenerator

import strawberry
from strawberry.file_uploads import Upload

from domain.companies.service import require_member
from domain.kernel.errors import DomainError, ErrorCode
from domain.portfolio import discovery, importer, spv_rights
from domain.portfolio import service as portfolio
from domain.portfolio.imports import FILE, MAX_FILE_BYTES, file_too_large
from domain.portfolio.models import PortfolioStatus as DomainPortfolioStatus
from graph import streams
from graph.context import Info
from graph.schema.errors import returns_payload, user_error
from graph.schema.portfolio import (
    AgentPairing,
    AgentPairingPayload,
    DiscoveryPayload,
    DiscoveryRun,
    ImportedColumn,
    ImportPayload,
    PortfolioConnection,
    PortfolioEntry,
    PortfolioStatus,
    PortfolioSummary,
)


async def read_upload(file: object) -> bytes:
    """The uploaded file's bytes, at most one byte past the import limit (so an oversize file is
    refused without reading all of it)."""
    read = getattr(file, "read", None)
    if read is None:
        raise DomainError(ErrorCode.INVALID_INPUT, "Send the file as a multipart upload (the GraphQL multipart request spec).",
                          "Trimiteți fișierul ca încărcare multipart (specificația GraphQL multipart request).", field=[FILE])
    try:
        content = await read(MAX_FILE_BYTES + 1)
    finally:
        await file.close()  # a large upload is spooled to a temporary file: gone now
    if len(content) > MAX_FILE_BYTES:
        raise file_too_large(getattr(file, "size", None) or len(content))
    return content


@strawberry.type
class Query:
    @strawberry.field(description="The firm's portfolio by name; `search` matches the name or the CUI.")
    async def portfolio(self, info: Info, company_id: strawberry.ID, status: PortfolioStatus | None = None,
                        search: str | None = None, first: int | None = None, after: str | None = None) -> PortfolioConnection:
        page = await portfolio.portfolio_page(actor=info.context.require_viewer(), company_id=company_id,
                                              status=DomainPortfolioStatus(status) if status else None,
                                              search=search, first=first, after=after)
        return PortfolioConnection.of(page)

    @strawberry.field
    async def portfolio_summary(self, info: Info, company_id: strawberry.ID) -> PortfolioSummary:
        return PortfolioSummary.of(await portfolio.portfolio_summary(actor=info.context.require_viewer(), company_id=company_id))

    @strawberry.field
    async def latest_discovery_run(self, info: Info, company_id: strawberry.ID) -> DiscoveryRun | None:
        run = await discovery.latest_run(actor=info.context.require_viewer(), company_id=company_id)
        return DiscoveryRun.of(run) if run else None


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Discover every company the firm's certificate has rights for at ANAF; runs in the background.")
    @returns_payload(DiscoveryPayload)
    async def start_portfolio_discovery(self, info: Info, company_id: strawberry.ID) -> DiscoveryPayload:
        services = info.context.services
        run = await discovery.start_portfolio_discovery(actor=info.context.require_viewer(), company_id=company_id,
                                                        runner=services.discovery)
        return DiscoveryPayload(run=DiscoveryRun.of(run))

    @strawberry.mutation(description="Add CUIs by hand; each is verified at ANAF (rights of the firm's certificate) before it is added.")
    @returns_payload(DiscoveryPayload)
    async def add_portfolio_companies(self, info: Info, company_id: strawberry.ID, cuis: list[str]) -> DiscoveryPayload:
        services = info.context.services
        result = await discovery.add_portfolio_companies(actor=info.context.require_viewer(), company_id=company_id, cuis=cuis,
                                                         efactura=services.efactura, registry=services.registry,
                                                         oauth=services.oauth)
        return DiscoveryPayload(entries=[PortfolioEntry.of(e) for e in result.entries],
                                errors=[user_error(e, info.context.lang) for e in result.errors])

    @strawberry.mutation(description="Import the firm's client list (CSV or XLSX, up to 5,000 rows, as a GraphQL multipart "
                                     "upload): the contacts are kept for the invitations and each CUI is verified at ANAF.")
    @returns_payload(ImportPayload)
    async def import_portfolio_candidates(self, info: Info, company_id: strawberry.ID, file: Upload) -> ImportPayload:
        content = await read_upload(file)
        result = await importer.import_client_list(actor=info.context.require_viewer(), company_id=company_id,
                                                   content=content, runner=info.context.services.discovery)
        return ImportPayload(entries=[PortfolioEntry.of(e) for e in result.entries],
                             errors=[user_error(e, info.context.lang) for e in result.errors],
                             run=DiscoveryRun.of(result.run) if result.run else None, rows_read=result.rows_read,
                             imported=result.imported, verifying=result.verifying,
                             columns=[ImportedColumn(field=f, header=h) for f, h in result.columns.items()])

    @strawberry.mutation(description="A one-time code (10 minutes) for `portofoliu agent discover`, and the command line to run.")
    @returns_payload(AgentPairingPayload)
    async def create_agent_pairing(self, info: Info, company_id: strawberry.ID) -> AgentPairingPayload:
        settings = info.context.settings
        pairing = await spv_rights.create_agent_pairing(actor=info.context.require_viewer(), company_id=company_id,
                                                        server_url=settings.app_url, mode=settings.anaf_mode,
                                                        spv_url=settings.anaf_spv_url)
        return AgentPairingPayload(pairing=AgentPairing.of(pairing))


@strawberry.type
class Subscription:
    @strawberry.subscription(description="The firm's latest discovery run now (if any), then each time it progresses.")
    async def discovery_progress(self, info: Info, company_id: strawberry.ID) -> AsyncGenerator[DiscoveryRun, None]:
        membership = await require_member(info.context.require_viewer(), company_id)
        async for run in streams.discovery_runs(info.context.services.broadcast, company_id=membership.company_id):
            yield DiscoveryRun.of(run)
