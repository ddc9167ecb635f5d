"""APScheduler wiring: every periodic job of the product, registered with fixed ids.

Jobs run in every process that has `JOBS_ENABLED=true`; their work is set-based and idempotent,
and on PostgreSQL guarded by advisory locks or row locks (see `jobs.locks`), so two processes never
double-act (APScheduler does not share job stores across processes by design).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

from apscheduler.schedulers.asyncio import AsyncIOScheduler

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PeriodicJob:
    id: str
    run: Callable[[Any], Awaitable[Any]]  # receives the process's Services
    seconds: float


JOBS: list[PeriodicJob] = []


def periodic(job_id: str, *, seconds: float) -> Callable:
    """Register `async def job(services)` to run every `seconds`."""

    def register(func):
        JOBS.append(PeriodicJob(id=job_id, run=func, seconds=seconds))
        return func

    return register


def load_jobs() -> list[PeriodicJob]:
    """Import the job modules (each registers itself) and return the registry."""
    import importlib
    import pkgutil

    import jobs

    for module in pkgutil.iter_modules(jobs.__path__):
        if module.name not in {"scheduler", "locks"}:
            importlib.import_module(f"jobs.{module.name}")
    return JOBS


def build_scheduler(services: Any) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone="UTC", job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 30})
    for job in load_jobs():
        scheduler.add_job(_guarded(job, services), "interval", seconds=job.seconds, id=job.id, replace_existing=True)
    return scheduler


def _guarded(job: PeriodicJob, services: Any):
    async def run() -> None:
        try:
            await job.run(services)
        except Exception:  # noqa: BLE001 - a failing run is logged; the next tick tries again
            log.exception("job %s failed", job.id)

    run.__name__ = job.id
    return run
