"""The `DiscoveryRun` type: one search at ANAF for the companies a firm's certificate has rights for."""

from __future__ import annotations

from datetime import datetime

import strawberry

from domain.models.portfolio import DiscoveryRun as DiscoveryRunModel
from domain.models.portfolio import DiscoveryStatus as DiscoveryStatusEnum

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
