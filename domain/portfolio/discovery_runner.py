"""Carrying out discovery runs in the background, resumably.

A run goes through phases, saved in `DiscoveryRun.state` after every unit of work so that a run
cut short (process restart, ANAF down) resumes where it stopped:

- collect: list the firm's own messages (60 days) at e-Factura; when the answer's `cui` field lists several
  CUIs, that is the certificate's live rights list. Add the latest SPV list the token agent
  uploaded (for the same certificate), the CUIs added by hand, and the entries found before.
  CUIs on the live list need no further check; the others are probed one by one.
- probe: `listaMesajeFactura?zile=1&cif=...` per candidate (the client waits for the
  application's per-minute budget and the per-CUI daily quota); with rights → enrich; without →
  rights lost; daily quota spent → left for another day (the run ends PARTIAL).
- enrich: ANAF's public registry, ≤100 CUIs per request, ≤1 request a second (the registry client
  spaces them; the next batch is asked for while the previous one is written), upserting entries.
- finish: rights lost marked, `is_new` moved to this run's entries, the run closed, and a
  PORTFOLIO_DISCOVERED notification to the firm's members.

ANAF down or slow: the clients retry with backoff; when they give up, the runner pauses and tries
the same unit again a few times, then ends the run PARTIAL with what it has. Progress is published
on the firm's channel after each unit (every 100 items or 500 ms at most).
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from typing import Any, Awaitable

from anaf.certificates import same_serial
from anaf.efactura import RightsAnswer
from anaf.errors import AnafError, AnafUnavailable
from domain.companies.models import Company
from domain.companies.service import member_user_ids
from domain.efactura.models import EfacturaIntegration
from domain.efactura.service import access_token_for
from domain.kernel.clock import now
from domain.kernel.errors import DomainError, ErrorCode
from domain.kernel.events import company_channel, emit, unit_of_work
from domain.notifications.models import NotificationKind
from domain.notifications.service import Text, notify
from domain.portfolio.models import DiscoveryRun, DiscoveryStatus, PortfolioContact, PortfolioEntry, RightsSource, SpvRightsUpload
from domain.portfolio.service import FoundCompany, mark_rights_lost, upsert_entries

log = logging.getLogger(__name__)

REGISTRY_BATCH = 100
UNIT_ITEMS = 100
UNIT_SECONDS = 0.5
CNP_LENGTH = 13
LIST_DAYS = 60


class RunFailed(Exception):
    """The run cannot go on (e.g. ANAF refuses the firm's token): it ends FAILED with this message."""


@dataclass
class RunState:
    phase: str = "collect"  # collect → probe → enrich → done
    to_probe: dict[str, list[str]] = field(default_factory=dict)  # cui -> sources that name it
    to_enrich: dict[str, list[str]] = field(default_factory=dict)  # cui -> sources; rights confirmed
    no_rights: list[str] = field(default_factory=list)
    deferred: list[str] = field(default_factory=list)  # not checkable today (daily quota)

    @classmethod
    def load(cls, raw: dict[str, Any] | None) -> RunState:
        raw = raw or {}
        return cls(**{k: raw[k] for k in ("phase", "to_probe", "to_enrich", "no_rights", "deferred") if k in raw})

    def dump(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class RunnerOptions:
    pause_seconds: float = 30.0  # between tries of a unit when ANAF gave up answering
    attempts: int = 3  # tries of one unit before the run ends PARTIAL
    stale_after_seconds: float = 120.0  # a RUNNING run without a heartbeat this long is resumed
    heartbeat_seconds: float = 15.0
    probe_concurrency: int = 16
    resume_on_start: bool = True


def is_company_cui(value: str) -> bool:
    """CUIs are 2-10 digits; the 13-digit CNPs of natural persons are never companies."""
    return value.isdigit() and 2 <= len(value) <= 10 and not value.startswith("0")


def text_found(found: int, *, partial: bool) -> Text:
    if partial:
        return Text(ro=("Portofoliu descoperit parțial", f"{found} entități găsite până acum; ANAF nu a răspuns la tot. Reluați descoperirea mai târziu."),
                    en=("Portfolio partly discovered", f"{found} entities found so far; ANAF did not answer everything. Run discovery again later."))
    return Text(ro=("Portofoliu descoperit", f"{found} entități găsite"), en=("Portfolio discovered", f"{found} entities found"))


class DiscoveryRunner:
    """Owns this process's discovery tasks; `services` gives the ANAF clients (efactura, registry, oauth)."""

    def __init__(self, services: Any, **options: Any) -> None:
        self.services = services
        self.options = RunnerOptions(**options)
        self.tasks: dict[int, asyncio.Task] = {}
        self.writes: set[asyncio.Task] = set()

    # -- task management -------------------------------------------------------------------------

    def start(self, run_id: int) -> asyncio.Task:
        """Carry out the (committed, RUNNING) run in the background, once per process."""
        task = self.tasks.get(run_id)
        if task is None or task.done():
            task = asyncio.get_running_loop().create_task(self._guarded(run_id), name=f"discovery-{run_id}")
            self.tasks[run_id] = task
            task.add_done_callback(lambda t, rid=run_id: self.tasks.pop(rid, None) if self.tasks.get(rid) is t else None)
        return task

    async def wait(self, run_id: int) -> None:
        task = self.tasks.get(run_id)
        if task is not None:
            await asyncio.shield(task)

    async def protect(self, write: Awaitable[Any]) -> Any:
        """Run a database write to its end even if the run is cancelled meanwhile: a shutdown stops
        a run between its transactions, never inside one holding the run's row lock."""
        task = asyncio.ensure_future(write)
        self.writes.add(task)
        task.add_done_callback(self.writes.discard)
        return await asyncio.shield(task)

    async def stop(self) -> None:
        """Shutting down: cancel our runs and leave them RUNNING with no heartbeat, so the next
        process resumes them at once from their saved state."""
        tasks = list(self.tasks.items())
        for _, task in tasks:
            task.cancel()
        for _, task in tasks:
            try:
                await task
            except (asyncio.CancelledError, Exception):  # noqa: BLE001 - already logged by _guarded
                pass
        if self.writes:
            await asyncio.wait(list(self.writes), timeout=10)  # the writes the cancelled runs left going
        if tasks:
            try:
                await asyncio.wait_for(DiscoveryRun.filter(id__in=[rid for rid, _ in tasks], status=DiscoveryStatus.RUNNING)
                                       .update(heartbeat_at=None), timeout=10)
            except Exception:  # noqa: BLE001 - the database may be gone already; the stale check covers it
                log.warning("could not release discovery runs on shutdown", exc_info=True)

    async def _claim(self, run: DiscoveryRun) -> bool:
        """Take over a stale run: compare-and-set on its heartbeat, so one process wins."""
        query = DiscoveryRun.filter(id=run.id, status=DiscoveryStatus.RUNNING)
        query = query.filter(heartbeat_at__isnull=True) if run.heartbeat_at is None else query.filter(heartbeat_at=run.heartbeat_at)
        return await query.update(heartbeat_at=now()) == 1

    def _stale(self, run: DiscoveryRun) -> bool:
        limit = now() - timedelta(seconds=self.options.stale_after_seconds)
        return run.heartbeat_at is None or run.heartbeat_at < limit

    async def adopt_if_stale(self, run: DiscoveryRun) -> None:
        if run.id not in self.tasks and self._stale(run) and await self._claim(run):
            self.start(run.id)

    async def resume_stale(self) -> list[int]:
        """Resume RUNNING runs nobody is carrying out (their process stopped or died)."""
        limit = now() - timedelta(seconds=self.options.stale_after_seconds)
        from tortoise.expressions import Q

        runs = await DiscoveryRun.filter(status=DiscoveryStatus.RUNNING).filter(
            Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=limit))
        resumed = []
        for run in runs:
            if run.id not in self.tasks and await self._claim(run):
                self.start(run.id)
                resumed.append(run.id)
        return resumed

    async def _guarded(self, run_id: int) -> None:
        beat = asyncio.get_running_loop().create_task(self._heartbeat(run_id))
        try:
            await Execution(self, run_id).run()
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - a bug must not leave the run RUNNING forever
            log.exception("discovery run %s failed", run_id)
            await self.protect(close_run(run_id, DiscoveryStatus.FAILED, "Discovery stopped because of an internal error."))
        finally:
            beat.cancel()

    async def _heartbeat(self, run_id: int) -> None:
        while True:
            await asyncio.sleep(self.options.heartbeat_seconds)
            try:
                await DiscoveryRun.filter(id=run_id, status=DiscoveryStatus.RUNNING).update(heartbeat_at=now())
            except Exception:  # noqa: BLE001 - a missed beat is harmless
                log.warning("discovery heartbeat failed", exc_info=True)


async def close_run(run_id: int, status: DiscoveryStatus, error: str | None = None, *,
                    state: RunState | None = None, notify_found: bool = False) -> DiscoveryRun:
    """End a run: counters, `is_new`, the lost rights it established, the notification."""
    at = now()
    async with unit_of_work():
        run = await DiscoveryRun.select_for_update().get(id=run_id)
        if state is not None and state.no_rights:
            await mark_rights_lost(firm_id=run.firm_id, cuis=state.no_rights, at=at)
        run.new_count = await PortfolioEntry.filter(firm_id=run.firm_id, discovered_by_run_id=run.id).count()
        if status is not DiscoveryStatus.FAILED:
            await PortfolioEntry.filter(firm_id=run.firm_id, is_new=True).exclude(discovered_by_run_id=run.id).update(is_new=False)
        run.status, run.error, run.finished_at, run.running_key = status, error, at, None
        if state is not None:
            run.state = state.dump()
        await run.save(update_fields=["status", "error", "finished_at", "running_key", "new_count", "state"])
        emit(company_channel(run.firm_id), "discovery", id=run.id)
        if notify_found:
            await notify(user_ids=await member_user_ids(run.firm_id), kind=NotificationKind.PORTFOLIO_DISCOVERED,
                         text=text_found(run.found, partial=status is DiscoveryStatus.PARTIAL), company_id=run.firm_id,
                         data={"discoveryRunId": run.id, "found": run.found, "new": run.new_count})
    return run


class Execution:
    """One pass over one run, from its saved state."""

    def __init__(self, runner: DiscoveryRunner, run_id: int) -> None:
        self.runner = runner
        self.options = runner.options
        self.efactura = runner.services.efactura
        self.registry = runner.services.registry
        self.oauth = runner.services.oauth
        self.run_id = run_id
        self._token: str | None = None

    async def run(self) -> None:
        run = await DiscoveryRun.get(id=self.run_id)
        if run.status is not DiscoveryStatus.RUNNING:
            return
        self.firm = await Company.get(id=run.firm_id)
        state = RunState.load(run.state)
        try:
            if state.phase == "collect":
                await self._with_pauses(lambda: self._collect(state))
            if state.phase == "probe":
                while state.to_probe:
                    await self._with_pauses(lambda: self._probe_some(state))
                state.phase = "enrich"
            if state.phase == "enrich":
                await self._with_pauses(lambda: self._enrich(state))
                state.phase = "done"
        except RunFailed as failure:
            await self.runner.protect(close_run(self.run_id, DiscoveryStatus.FAILED, str(failure), state=state))
            return
        except AnafError as error:
            log.warning("discovery run %s ends partial: %s", self.run_id, error)
            await self.runner.protect(close_run(
                self.run_id, DiscoveryStatus.PARTIAL,
                "ANAF did not answer in time; what was found so far is kept. Start discovery again later to finish.",
                state=state, notify_found=True))
            return
        if state.deferred:
            await self.runner.protect(close_run(
                self.run_id, DiscoveryStatus.PARTIAL,
                f"ANAF's daily limit was reached for {len(state.deferred)} CUIs; they will be checked again tomorrow.",
                state=state, notify_found=True))
        else:
            await self.runner.protect(close_run(self.run_id, DiscoveryStatus.SUCCEEDED, state=state, notify_found=True))

    async def _with_pauses(self, unit) -> None:
        """Run a unit of work; when ANAF gave up answering, pause and try again, a few times."""
        for attempt in range(1, self.options.attempts + 1):
            try:
                return await unit()
            except AnafError:
                if attempt == self.options.attempts:
                    raise
                log.info("discovery run %s: ANAF unavailable, pausing (try %d)", self.run_id, attempt)
                await asyncio.sleep(self.options.pause_seconds * attempt)

    async def _access_token(self) -> str:
        if self._token is None:
            try:
                self._token = await access_token_for(self.firm.id, oauth=self.oauth)
            except DomainError as error:
                if error.code == ErrorCode.ANAF_UNAVAILABLE:
                    # A refresh that could not reach ANAF: pause like any other outage, the authorization stands.
                    raise AnafUnavailable(error.en) from None
                raise RunFailed(error.en) from None
        return self._token

    async def _save(self, state: RunState, **progress: Any) -> None:
        """One unit of work: entries, counters, state, heartbeat, and the progress event."""
        await self.runner.protect(self._save_now(state, **progress))

    async def _save_now(self, state: RunState, *, checked: int = 0, found: int = 0, total: int | None = None,
                        found_entries: list[FoundCompany] = (), spv_cuis: list[str] = ()) -> None:
        at = now()
        async with unit_of_work():
            await upsert_entries(firm_id=self.firm.id, found=list(found_entries), at=at, run_id=self.run_id)
            run = await DiscoveryRun.select_for_update().get(id=self.run_id)
            run.checked += checked
            run.found += found
            if total is not None:
                run.total = total
            run.state, run.heartbeat_at = state.dump(), at
            await run.save(update_fields=["checked", "found", "total", "state", "heartbeat_at"])
            emit(company_channel(self.firm.id), "discovery", id=self.run_id)

    # -- phases ----------------------------------------------------------------------------------

    async def _collect(self, state: RunState) -> None:
        firm = self.firm
        # The widest window: the `cui` field (the rights list) only comes with messages.
        own = await self.efactura.list_messages(await self._access_token(), firm.cui, days=LIST_DAYS)
        if own.answer is RightsAnswer.TOKEN_INVALID:
            raise RunFailed("ANAF refused the firm's e-Factura authorization; authorize RO e-Factura again.")
        live: set[str] = set()
        authoritative = own.answer is RightsAnswer.NO_RIGHTS_AT_ALL
        if own.answer is RightsAnswer.HAS_RIGHTS:
            live = {c for c in (own.rights_list or [firm.cui]) if is_company_cui(c)}
        integration = await EfacturaIntegration.get_or_none(company_id=firm.id)
        serial = integration.certificate_serial if integration else None
        # Serials are numbers: the authorization's may be written otherwise than the upload's.
        same = [upload_id for upload_id, written in await SpvRightsUpload.filter(company_id=firm.id).order_by("-id")
                .values_list("id", "certificate_serial") if same_serial(written, serial)] if serial else []
        upload = await SpvRightsUpload.get(id=same[0]) if same else None
        spv = {c for c in (upload.cuis if upload else []) if is_company_cui(c)}
        known = {cui: set(sources) for cui, sources in await PortfolioEntry.filter(firm_id=firm.id).values_list("cui", "sources")}
        # The accountant's imported list: its CUIs are candidates until ANAF confirms them.
        imported = set(await PortfolioContact.filter(firm_id=firm.id).values_list("cui", flat=True))

        candidates: dict[str, set[str]] = {}
        for cui in (*sorted(live), *sorted(spv), *sorted(known), *sorted(imported - set(known))):
            if cui == firm.cui:
                continue
            sources = candidates.setdefault(cui, set())
            if cui in live:
                sources.add(RightsSource.EFACTURA.value)
            if cui in spv:
                sources.add(RightsSource.SPV.value)
            if RightsSource.MANUAL.value in known.get(cui, ()):
                sources.add(RightsSource.MANUAL.value)
            if cui in imported:
                sources.add(RightsSource.IMPORT.value)
        for cui, sources in candidates.items():
            if cui in live:
                state.to_enrich[cui] = sorted(sources)
            elif authoritative:
                state.no_rights.append(cui)
            else:
                state.to_probe[cui] = sorted(sources)
        state.phase = "probe"
        await self._save(state, total=len(candidates), checked=len(state.no_rights))

    async def _probe_some(self, state: RunState) -> None:
        token = await self._access_token()
        gate = asyncio.Semaphore(self.options.probe_concurrency)
        chunk = list(state.to_probe)[:UNIT_ITEMS * 4]

        async def probe(cui: str):
            async with gate:
                return cui, await self.efactura.probe(token, cui)

        tasks = [asyncio.ensure_future(probe(cui)) for cui in chunk]
        done_count, last_flush = 0, time.monotonic()
        stop_all = False
        try:
            for next_done in asyncio.as_completed(tasks):
                cui, answer = await next_done
                sources = state.to_probe.pop(cui)
                if answer.answer is RightsAnswer.HAS_RIGHTS:
                    state.to_enrich[cui] = sources or [RightsSource.EFACTURA.value]
                elif answer.answer is RightsAnswer.QUOTA_EXCEEDED:
                    state.deferred.append(cui)
                    done_count += 1
                elif answer.answer is RightsAnswer.TOKEN_INVALID:
                    raise RunFailed("ANAF refused the firm's e-Factura authorization; authorize RO e-Factura again.")
                else:
                    state.no_rights.append(cui)
                    done_count += 1
                    stop_all = stop_all or answer.answer is RightsAnswer.NO_RIGHTS_AT_ALL
                if stop_all:
                    # The certificate has no rights at all any more: nothing else needs asking.
                    state.no_rights.extend(state.to_probe)
                    done_count += len(state.to_probe)
                    state.to_probe.clear()
                    break
                if done_count >= UNIT_ITEMS or time.monotonic() - last_flush >= UNIT_SECONDS:
                    await self._save(state, checked=done_count)
                    done_count, last_flush = 0, time.monotonic()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if done_count:
                await self._save(state, checked=done_count)

    async def _enrich(self, state: RunState) -> None:
        batches = [list(state.to_enrich)[i:i + REGISTRY_BATCH] for i in range(0, len(state.to_enrich), REGISTRY_BATCH)]
        if not batches:
            return
        lookup = asyncio.ensure_future(self.registry.lookup(batches[0]))
        try:
            for index, batch in enumerate(batches):
                records = await lookup
                if index + 1 < len(batches):
                    # Asked for now, answered while this batch is written: the registry's spacing
                    # is then the only wait.
                    lookup = asyncio.ensure_future(self.registry.lookup(batches[index + 1]))
                found = [FoundCompany(cui, frozenset(RightsSource(s) for s in state.to_enrich[cui]), records.get(cui)) for cui in batch]
                for cui in batch:
                    del state.to_enrich[cui]
                await self._save(state, checked=len(batch), found=len(batch), found_entries=found)
        finally:
            if not lookup.done():
                lookup.cancel()
                await asyncio.gather(lookup, return_exceptions=True)
