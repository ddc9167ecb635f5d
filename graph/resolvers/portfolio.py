"""Portfolio discovery: runs, entries, hand-added CUIs, and pairing the token agent."""

from __future__ import annotations

from typing import AsyncGenerator

import strawberry

from domain.companies.service import require_member
from domain.portfolio import discovery, spv_rights
from domain.portfolio import service as portfolio
from domain.portfolio.models import PortfolioStatus as DomainPortfolioStatus
from graph import streams
from graph.context import Info
from graph.schema.errors import returns_payload, user_error
from graph.schema.portfolio import (
    AgentPairing,
    AgentPairingPayload,
    DiscoveryPayload,
    DiscoveryRun,
    PortfolioConnection,
    PortfolioEntry,
    PortfolioStatus,
    PortfolioSummary,
)


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

    @strawberry.mutation(description="A one-time code (10 minutes) for `portofoliu agent discover`, and the command line to run.")
    @returns_payload(AgentPairingPayload)
    async def create_agent_pairing(self, info: Info, company_id: strawberry.ID) -> AgentPairingPayload:
        settings = info.context.settings
        pairing = await spv_rights.create_agent_pairing(actor=info.context.require_viewer(), company_id=company_id,
                                                        server_url=settings.app_url,
                                                        spv_url=settings.anaf_spv_url)
        return AgentPairingPayload(pairing=AgentPairing.of(pairing))


@strawberry.type
class Subscription:
    @strawberry.subscription(description="The firm's latest discovery run now (if any), then each time it progresses.")
    async def discovery_progress(self, info: Info, company_id: strawberry.ID) -> AsyncGenerator[DiscoveryRun, None]:
        membership = await require_member(info.context.require_viewer(), company_id)
        async for run in streams.discovery_runs(info.context.services.broadcast, company_id=membership.company_id):
            yield DiscoveryRun.of(run)
