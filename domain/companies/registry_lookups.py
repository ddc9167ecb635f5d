"""ANAF's public registry as people look it up: answers reused, a budget per person, a bounded wait.

ANAF allows one registry request a second for the whole application (`anaf.registry`), so one
person must not be able to hold that budget for everyone else:

- an answer (found or not) is stored and reused for `cache_seconds`; only older ones go to ANAF;
- look-ups that do reach ANAF are coalesced: those asked meanwhile, by anyone, share one request
  (ANAF takes up to 100 CUIs in one);
- each person has a budget of look-ups reaching ANAF (`per_user` a minute, a throttle counter in
  the database shared by every process); past it the answer is RATE_LIMITED at once instead of a
  place in the queue;
- no look-up waits for ANAF longer than `max_wait_seconds`: it is answered ANAF_UNAVAILABLE (try
  again) rather than holding the request open.
"""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import date, timedelta
from typing import Any, Iterable, Sequence

from anaf.registry import RegistryRecord, normalize_cui
from domain.companies.models import RegistryAnswer
from domain.kernel import throttle
from domain.kernel.batching import Coalescer
from domain.kernel.clock import now
from domain.kernel.errors import DomainError, ErrorCode

_MINUTE = timedelta(minutes=1)
_DATE_FIELDS = tuple(f.name for f in dataclasses.fields(RegistryRecord) if f.type in ("date | None", date))


def _to_json(record: RegistryRecord) -> dict[str, Any]:
    data = dataclasses.asdict(record)
    for name in _DATE_FIELDS:
        data[name] = data[name].isoformat() if data[name] else None
    return data


def _from_json(data: dict[str, Any]) -> RegistryRecord:
    values = {f.name: data.get(f.name) for f in dataclasses.fields(RegistryRecord)}
    for name in _DATE_FIELDS:
        values[name] = date.fromisoformat(values[name]) if values[name] else None
    return RegistryRecord(**values)


def too_many_lookups() -> DomainError:
    return DomainError(ErrorCode.RATE_LIMITED, "You looked up many companies in a short time. Wait a minute and try again.",
                       "Ați căutat multe companii într-un timp scurt. Așteptați un minut și încercați din nou.")


def registry_busy() -> DomainError:
    return DomainError(ErrorCode.ANAF_UNAVAILABLE, "ANAF's registry is busy right now. Try again in a few seconds.",
                       "Registrul ANAF este ocupat momentan. Încercați din nou peste câteva secunde.")


class RegistryLookups:
    """Wraps the process's `RegistryClient`; `lookup_one(cui, user_id=...)` as the domain asks it."""

    def __init__(self, registry: Any, *, cache_seconds: int = 24 * 3600, per_user: int = 20,
                 max_wait_seconds: float = 5.0) -> None:
        self.registry = registry
        self.cache_age = timedelta(seconds=cache_seconds)
        self.per_user = per_user
        self.max_wait = max_wait_seconds
        self._coalescer: Coalescer[str, RegistryRecord | None] = Coalescer(self._fetch)

    async def _fetch(self, cuis: Sequence[str]) -> list[RegistryRecord | None]:
        found = await self.registry.lookup(cuis)
        await self.remember({cui: found.get(cui) for cui in cuis})
        return [found.get(cui) for cui in cuis]

    async def remember(self, answers: dict[str, RegistryRecord | None]) -> None:
        """Store fresh answers, one statement for the batch (a newer answer replaces an older one)."""
        at = now()
        rows = [RegistryAnswer(cui=cui, record=_to_json(record) if record else None, fetched_at=at) for cui, record in answers.items()]
        if rows:
            await RegistryAnswer.bulk_create(rows, on_conflict=["cui"], update_fields=["record", "fetched_at"])

    async def cached(self, cui: str) -> tuple[bool, RegistryRecord | None]:
        answer = await RegistryAnswer.get_or_none(cui=cui, fetched_at__gte=now() - self.cache_age)
        if answer is None:
            return False, None
        return True, _from_json(answer.record) if answer.record else None

    async def _spend(self, user_id: int | None) -> None:
        """One look-up from the person's budget (kept in the database, so every process shares it)."""
        if user_id is None:
            return
        if not await throttle.take(f"registry:lookup:user:{user_id}", limit=self.per_user, window=_MINUTE):
            raise too_many_lookups()

    async def lookup_one(self, cui: str, *, user_id: int | None = None) -> RegistryRecord | None:
        cui = normalize_cui(cui)
        hit, record = await self.cached(cui)
        if hit:
            return record
        await self._spend(user_id)
        # Shielded: the answer that comes after the caller gave up is still stored for the next one.
        answer = asyncio.ensure_future(self._coalescer.load(cui))
        try:
            return await asyncio.wait_for(asyncio.shield(answer), timeout=self.max_wait)
        except asyncio.TimeoutError:
            answer.add_done_callback(lambda done: done.cancelled() or done.exception())  # nobody awaits it now
            raise registry_busy() from None

    async def lookup(self, cuis: Iterable[str]) -> dict[str, RegistryRecord]:
        """Many CUIs at once (no per-person budget: callers are the system's own jobs)."""
        return await self.registry.lookup(cuis)
