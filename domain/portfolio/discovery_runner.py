"""Carrying out discovery runs in the background, resumably.

A run goes through phases, saved in `DiscoveryRun.state` after every unit of work so that a run
cut short (process restart, ANAF down) resumes where it stopped:

- collect: read the firm's own sent invoices (`FACTURA TRIMISA`, 60 days: the simple list, or every
  page of the paginated one when ANAF says there are over 500) and take their buyers from `detalii`
  (both wordings; CNPs and foreign buyers are not companies): source INVOICED. Add the latest SPV
  list the token agent uploaded (for the same certificate), the CUIs added by hand or imported, and
  the entries found before. If the answer's `cui` field ever lists several CUIs (never seen at
  ANAF), that is a live rights list and needs no further check. Entries whose rights were verified
  within `verified_fresh_seconds` are not probed again (ANAF allows 1,500 simple lists per CUI a
  day); the other candidates are probed one by one.
  The first answer also tells whether the certificate has rights on the firm's own CUI: without
  them the INVOICED source is out of reach and the run says what to do at ANAF (PARTIAL, or FAILED
  when nothing else was found); without rights at all the run FAILS with what to do. Either is
  recorded on the integration (`rights_problem`), for the set-up checklist, and rung on the bell.
- probe: `listaMesajeFactura?zile=1&cif=...` per candidate (the client waits for the
  application's per-minute budget and the per-CUI daily quota); with rights → enrich; without →
  rights lost; daily quota spent → left for another day (the run ends PARTIAL).
- enrich: ANAF's public registry, ≤100 CUIs per request, ≤1 request a second (the registry client
  spaces them; the next batch is asked for while the previous one is written), upserting entries.
  Full batches are looked up between probe chunks already, while ANAF's per-minute window moves.
- finish: rights lost marked, `is_new` moved to this run's entries (only when the run SUCCEEDED: a
  partial run leaves it as it was), the run closed, and a PORTFOLIO_DISCOVERED notification to the
  firm's members.

ANAF refusing the firm's token on any call (HTTP 401/403) ends the integration at once
(`refused_by_anaf`: EXPIRED, `last_error`, checklist, bell, e-mail) and the run FAILS.

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
from anaf.efactura import SENT_INVOICE, RightsAnswer, invoice_parties
from anaf.errors import AnafError, AnafUnavailable
from stdnum.ro import cui as ro_cui
from domain.companies.models import Company
from domain.companies.service import member_user_ids
from domain.efactura.models import EfacturaIntegration
from domain.efactura.service import access_token_for
from domain.efactura.status import RIGHTS_ANY, RIGHTS_OWN_CUI, rights_problem_text
from domain.efactura.tokens import refused_by_anaf
from domain.kernel.clock import now
from domain.kernel.errors import DomainError, ErrorCode
from domain.kernel.events import company_channel, emit, unit_of_work
from domain.notifications.models import NotificationKind
from domain.notifications.service import Text, notify
from domain.portfolio.models import DiscoveryRun, DiscoveryStatus, PortfolioContact, PortfolioEntry, RightsSource, SpvRightsUpload
from domain.portfolio.run_liveness import RunLiveness
from domain.portfolio.service import FoundCompany, add_source, mark_rights_lost, upsert_entries

log = logging.getLogger(__name__)

REGISTRY_BATCH = 100
UNIT_ITEMS = 100
UNIT_SECONDS = 0.5
CNP_LENGTH = 13
LIST_DAYS = 60


class RunFailed(Exception):
    """The run cannot go on (e.g. ANAF refuses the firm's token): it ends FAILED with this message."""


TOKEN_REFUSED = "ANAF refused the firm's e-Factura authorization; authorize RO e-Factura again."


@dataclass
class RunState:
    phase: str = "collect"  # collect → probe → enrich → done
    to_probe: dict[str, list[str]] = field(default_factory=dict)  # cui -> sources that name it
    to_enrich: dict[str, list[str]] = field(default_factory=dict)  # cui -> sources; rights confirmed
    no_rights: list[str] = field(default_factory=list)
    deferred: list[str] = field(default_factory=list)  # not checkable today (daily quota)
    rights_problem: str | None = None  # RIGHTS_OWN_CUI / RIGHTS_ANY, as the firm's own list said
    invoiced: int = 0  # buyers of the firm's sent invoices that are companies (INVOICED candidates)

    @classmethod
    def load(cls, raw: dict[str, Any] | None) -> RunState:
        raw = raw or {}
        names = ("phase", "to_probe", "to_enrich", "no_rights", "deferred", "rights_problem", "invoiced")
        return cls(**{k: raw[k] for k in names if k in raw})

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
    # An entry whose rights were verified this recently is not probed again (RIGHTS_VERIFIED_FRESH_HOURS).
    verified_fresh_seconds: float = 6 * 3600


def is_company_cui(value: str) -> bool:
    """CUIs are 2-10 digits; the 13-digit CNPs of natural persons are never companies."""
    return value.isdigit() and 2 <= len(value) <= 10 and not value.startswith("0")


def is_invoiced_company(buyer: str) -> bool:
    """A buyer worth probing: a valid Romanian CUI (not a CNP, not a foreign VAT number)."""
    return is_company_cui(buyer) and ro_cui.is_valid(buyer)


def text_rights_problem(problem: str, cui: str) -> Text:
    reason = rights_problem_text(problem, cui)
    return Text(ro=("Portofoliul nu poate fi descoperit complet", reason.ro),
                en=("The portfolio cannot be fully discovered", reason.en))


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
        settings = getattr(services, "settings", None)
        self.liveness = RunLiveness(getattr(settings, "database_url", None))

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
        await self.liveness.close()

    async def _claim(self, run: DiscoveryRun) -> bool:
        """Take over a stale run: compare-and-set on its heartbeat, so one process wins."""
        query = DiscoveryRun.filter(id=run.id, status=DiscoveryStatus.RUNNING)
        query = query.filter(heartbeat_at__isnull=True) if run.heartbeat_at is None else query.filter(heartbeat_at=run.heartbeat_at)
        return await query.update(heartbeat_at=now()) == 1

    def _stale(self, run: DiscoveryRun) -> bool:
        limit = now() - timedelta(seconds=self.options.stale_after_seconds)
        return run.heartbeat_at is None or run.heartbeat_at < limit

    async def _abandoned(self, run: DiscoveryRun) -> bool:
        """Nobody carries the run out: its process stopped (no heartbeat), went silent, or died
        (see run_liveness: known at once, not after `stale_after_seconds`)."""
        return run.id not in self.tasks and (self._stale(run) or await self.liveness.orphaned(run))

    async def adopt_if_stale(self, run: DiscoveryRun) -> None:
        if await self._abandoned(run) and await self._claim(run):
            self.start(run.id)

    async def resume_stale(self) -> list[int]:
        """Resume RUNNING runs nobody is carrying out (their process stopped or died)."""
        resumed = []
        for run in await DiscoveryRun.filter(status=DiscoveryStatus.RUNNING):
            if await self._abandoned(run) and await self._claim(run):
                self.start(run.id)
                resumed.append(run.id)
        return resumed

    async def _guarded(self, run_id: int) -> None:
        beat = asyncio.get_running_loop().create_task(self._heartbeat(run_id))
        held = False
        try:
            held = await self.liveness.hold(run_id)
            if not held:
                log.warning("discovery run %s is carried out by another process", run_id)
                return
            await Execution(self, run_id).run()
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - a bug must not leave the run RUNNING forever
            log.exception("discovery run %s failed", run_id)
            await self.protect(close_run(run_id, DiscoveryStatus.FAILED, "Discovery stopped because of an internal error."))
        finally:
            beat.cancel()
            if held:
                await asyncio.shield(self.liveness.release(run_id))

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
        if status is DiscoveryStatus.SUCCEEDED:
            # Only a complete run says what is no longer new; a partial or failed one leaves it as it was.
            await PortfolioEntry.filter(firm_id=run.firm_id, is_new=True).exclude(discovered_by_run_id=run.id).update(is_new=False)
        run.status, run.error, run.finished_at, run.running_key = status, error, at, None
        if state is not None:
            run.state = state.dump()
        await run.save(update_fields=["status", "error", "finished_at", "running_key", "new_count", "state"])
        emit(company_channel(run.firm_id), "discovery", id=run.id)
        problem = state.rights_problem if state is not None else None
        known_problem = None
        if problem is not None or (state is not None and state.phase == "done"):
            # What the firm's own list said about the certificate's rights, for the set-up checklist.
            integration = await EfacturaIntegration.get_or_none(company_id=run.firm_id)
            known_problem = integration.rights_problem if integration else None
            await EfacturaIntegration.filter(company_id=run.firm_id).update(rights_problem=problem)
        # The bell rings for a problem when it is new, or when a person started the run; the daily
        # re-discovery does not ring it again every day (the checklist keeps showing it).
        if problem is not None and (problem != known_problem or run.started_by_id is not None):
            firm = await Company.get(id=run.firm_id)
            await notify(user_ids=await member_user_ids(run.firm_id), kind=NotificationKind.PORTFOLIO_DISCOVERED,
                         text=text_rights_problem(problem, firm.cui), company_id=run.firm_id,
                         data={"discoveryRunId": run.id, "found": run.found, "new": run.new_count, "problem": problem})
        elif notify_found:
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
                    if len(state.to_enrich) >= REGISTRY_BATCH:
                        # Registry lookups between probe chunks: they take the time the probes
                        # would otherwise spend waiting for ANAF's per-minute window to move.
                        await self._with_pauses(lambda: self._enrich(state, full_batches_only=True))
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
        if state.rights_problem is not None:
            found = (await DiscoveryRun.get(id=self.run_id)).found
            await self.runner.protect(close_run(
                self.run_id, DiscoveryStatus.PARTIAL if found else DiscoveryStatus.FAILED,
                rights_problem_text(state.rights_problem, self.firm.cui).en, state=state))
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

    async def _token_refused(self) -> RunFailed:
        await self.runner.protect(refused_by_anaf(self.firm.id))
        return RunFailed(TOKEN_REFUSED)

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
                        found_entries: list[FoundCompany] = (), spv_cuis: list[str] = (),
                        fresh: dict[str, set[str]] | None = None) -> None:
        at = now()
        async with unit_of_work():
            await upsert_entries(firm_id=self.firm.id, found=list(found_entries), at=at, run_id=self.run_id)
            for source in RightsSource:  # entries verified moments ago keep their check, and learn new sources
                named = [cui for cui, sources in (fresh or {}).items() if source.value in sources]
                if named:
                    await add_source(firm_id=self.firm.id, cuis=named, source=source)
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
        own = await self.efactura.messages(await self._access_token(), firm.cui, days=LIST_DAYS, filter="T")
        if own.answer is RightsAnswer.TOKEN_INVALID:
            raise await self._token_refused()
        if own.answer is RightsAnswer.NO_RIGHTS_AT_ALL:
            state.rights_problem = RIGHTS_ANY
            raise RunFailed(rights_problem_text(RIGHTS_ANY, firm.cui).en)
        state.rights_problem = RIGHTS_OWN_CUI if own.answer is RightsAnswer.NO_RIGHTS_FOR_CIF else None
        if own.answer is RightsAnswer.QUOTA_EXCEEDED:
            state.deferred.append(firm.cui)  # the firm's own list, for another day
        live: set[str] = set()
        invoiced: set[str] = set()
        if own.answer is RightsAnswer.HAS_RIGHTS:
            live = {c for c in (own.rights_list or []) if is_company_cui(c)}
            for message in own.messages:
                parties = invoice_parties(str(message.get("detalii", ""))) if message.get("tip") == SENT_INVOICE else None
                if parties is not None and parties.seller == firm.cui and is_invoiced_company(parties.buyer):
                    invoiced.add(parties.buyer)
        state.invoiced = len(invoiced - {firm.cui})
        integration = await EfacturaIntegration.get_or_none(company_id=firm.id)
        serial = integration.certificate_serial if integration else None
        # Serials are numbers: the authorization's may be written otherwise than the upload's.
        same = [upload_id for upload_id, written in await SpvRightsUpload.filter(company_id=firm.id).order_by("-id")
                .values_list("id", "certificate_serial") if same_serial(written, serial)] if serial else []
        upload = await SpvRightsUpload.get(id=same[0]) if same else None
        spv = {c for c in (upload.cuis if upload else []) if is_company_cui(c)}
        claimed = (RightsSource.MANUAL.value, RightsSource.IMPORT.value)
        known = {cui: (set(sources), verified, lost) for cui, sources, verified, lost in await PortfolioEntry.filter(
            firm_id=firm.id).values_list("cui", "sources", "rights_verified_at", "rights_lost_at")}
        # The accountant's imported list: its CUIs are candidates until ANAF confirms them.
        imported = set(await PortfolioContact.filter(firm_id=firm.id).values_list("cui", flat=True))

        candidates: dict[str, set[str]] = {}
        for cui in (*sorted(live), *sorted(invoiced), *sorted(spv), *sorted(known), *sorted(imported - set(known))):
            if cui == firm.cui:
                continue
            sources = candidates.setdefault(cui, set())
            if cui in live:
                sources.add(RightsSource.EFACTURA.value)
            if cui in invoiced:
                sources.add(RightsSource.INVOICED.value)
            if cui in spv:
                sources.add(RightsSource.SPV.value)
            sources.update(s for s in known.get(cui, (set(),))[0] if s in claimed)
            if cui in imported:
                sources.add(RightsSource.IMPORT.value)
        fresh_since = now() - timedelta(seconds=self.options.verified_fresh_seconds)
        fresh: dict[str, set[str]] = {}
        for cui, sources in candidates.items():
            _, verified, lost = known.get(cui, (None, None, None))
            if cui in live:
                state.to_enrich[cui] = sorted(sources)
            elif verified is not None and lost is None and verified >= fresh_since:
                fresh[cui] = sources  # checked at ANAF moments ago: not asked again
            else:
                state.to_probe[cui] = sorted(sources)
        state.phase = "probe"
        await self._save(state, total=len(candidates), checked=len(fresh), found=len(fresh), fresh=fresh)

    async def _probe_some(self, state: RunState) -> None:
        token = await self._access_token()
        gate = asyncio.Semaphore(self.options.probe_concurrency)
        chunk = list(state.to_probe)[:UNIT_ITEMS * 2]

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
                    state.to_enrich[cui] = sources  # none new: the entry keeps the sources it had
                elif answer.answer is RightsAnswer.QUOTA_EXCEEDED:
                    state.deferred.append(cui)
                    done_count += 1
                elif answer.answer is RightsAnswer.TOKEN_INVALID:
                    raise await self._token_refused()
                else:
                    state.no_rights.append(cui)
                    done_count += 1
                    if answer.answer is RightsAnswer.NO_RIGHTS_AT_ALL:
                        stop_all, state.rights_problem = True, RIGHTS_ANY
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

    async def _enrich(self, state: RunState, *, full_batches_only: bool = False) -> None:
        batches = [list(state.to_enrich)[i:i + REGISTRY_BATCH] for i in range(0, len(state.to_enrich), REGISTRY_BATCH)]
        if full_batches_only:
            batches = [batch for batch in batches if len(batch) == REGISTRY_BATCH]
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
