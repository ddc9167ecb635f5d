"""Client for ANAF's public company lookup (PlatitorTvaRest): names, addresses and status by CUI.

ANAF allows at most 100 CUIs per request and one request per second per client, and punishes
overload, so one `RegistryClient` per process serializes every request and spaces them by
`min_interval`, measured from the end of the previous answer. Transient failures (429, 5xx,
timeouts, dropped connections) are retried with capped exponential backoff and jitter; when the
attempts run out the caller gets `AnafUnavailable`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
from stdnum.ro import cui as cui_rules

from anaf.errors import AnafError, AnafUnavailable
from anaf.retry import RetryableAnswer, retry_after_seconds, with_retries

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RegistryRecord:
    cui: str
    name: str
    address: str | None
    registration_number: str | None
    status: str  # "active" | "inactive" | "deregistered"
    registration_status_text: str  # ANAF's `stare_inregistrare`, e.g. "INREGISTRAT din data 21.03.2005"
    vat_payer: bool
    efactura: bool  # registered in the RO e-Factura registry
    county: str | None
    locality: str | None
    postal_code: str | None
    phone: str | None
    registered_on: date | None = None
    inactive_since: date | None = None
    deregistered_on: date | None = None
    caen: str | None = None
    legal_form: str | None = None
    efactura_registered_on: date | None = None  # `data_inreg_Reg_RO_e_Factura`


def normalize_cui(value: str) -> str:
    """Bare digits of a CUI ("RO 18547290" -> "18547290"); ValueError when it is not a number."""
    digits = cui_rules.compact(str(value))
    if not digits.isdigit() or digits.startswith("0") or not 2 <= len(digits) <= 10:
        raise ValueError(f"not a CUI: {value!r}")
    return digits


class RegistryClient:
    def __init__(
        self,
        http: httpx.AsyncClient,
        url: str,
        *,
        min_interval: float = 1.0,
        max_batch: int = 100,
        max_attempts: int = 5,
        backoff_initial: float = 1.0,
        backoff_max: float = 20.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._http = http
        self._url = url
        self._min_interval = min_interval
        self._max_batch = max_batch
        self._max_attempts = max_attempts
        self._backoff_initial = backoff_initial
        self._backoff_max = backoff_max
        self._clock = clock
        self._lock = asyncio.Lock()
        self._next_allowed: float | None = None

    async def lookup(self, cuis: Iterable[str], *, on_date: date | None = None) -> dict[str, RegistryRecord]:
        """Records for the CUIs ANAF knows, by CUI; CUIs ANAF does not know are absent."""
        wanted = list(dict.fromkeys(normalize_cui(c) for c in cuis))
        day = (on_date or date.today()).isoformat()
        records: dict[str, RegistryRecord] = {}
        for start in range(0, len(wanted), self._max_batch):
            batch = wanted[start : start + self._max_batch]
            answer = await self._post_with_retries([{"cui": int(c), "data": day} for c in batch])
            records.update(_parse_answer(answer))
        return records

    async def lookup_one(self, cui: str) -> RegistryRecord | None:
        cui = normalize_cui(cui)
        return (await self.lookup([cui])).get(cui)

    async def _post_with_retries(self, payload: list[dict[str, Any]]) -> Any:
        async def attempt() -> Any:  # a coroutine function: tenacity does not await what a lambda returns
            return await self._post_once(payload)

        return await with_retries(attempt, what="ANAF's company registry",
                                  max_attempts=self._max_attempts, backoff_initial=self._backoff_initial,
                                  backoff_max=self._backoff_max)

    async def _post_once(self, payload: list[dict[str, Any]]) -> Any:
        async with self._lock:
            if self._next_allowed is not None:
                delay = self._next_allowed - self._clock()
                if delay > 0:
                    await asyncio.sleep(delay)
            try:
                response = await self._http.post(self._url, json=payload)  # transport errors are retried
            finally:
                # Counted from the end of the answer, so ANAF never sees two requests closer than this.
                self._next_allowed = self._clock() + self._min_interval
        if response.status_code == 429 or response.status_code >= 500:
            raise RetryableAnswer(f"HTTP {response.status_code}", retry_after=retry_after_seconds(response))
        if response.status_code == 404:
            # ANAF's answer when no CUI of the batch is known: the usual body, everything in `notFound`.
            try:
                body = response.json()
            except ValueError:
                body = None
            if isinstance(body, dict) and isinstance(body.get("notFound"), list) and not body.get("found"):
                return body
        if response.status_code != 200:
            raise AnafError(f"ANAF's company registry refused the request (HTTP {response.status_code}): "
                            f"{response.text[:200]}")
        try:
            return response.json()
        except ValueError:
            raise AnafUnavailable("ANAF's company registry answered with something that is not JSON.") from None


def _parse_answer(answer: Any) -> dict[str, RegistryRecord]:
    if not isinstance(answer, dict) or not isinstance(answer.get("found", []), list):
        raise AnafUnavailable("ANAF's company registry answered in an unexpected format (no 'found' list).")
    if answer.get("cod", 200) != 200:
        raise AnafError(f"ANAF's company registry answered with an error: {answer.get('message', answer.get('cod'))}")
    records = {}
    for entry in answer.get("found", []):
        try:
            record = _record(entry)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise AnafUnavailable(
                f"ANAF's company registry answered in an unexpected format ({type(exc).__name__}: {exc})."
            ) from None
        records[record.cui] = record
    return records


def _date(value: Any) -> date | None:
    # ANAF writes missing dates as "".
    return date.fromisoformat(value) if value else None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return str(value).strip() or None


def _record(entry: dict[str, Any]) -> RegistryRecord:
    general = entry["date_generale"]
    inactive_part = entry.get("stare_inactiv") or {}
    seat = entry.get("adresa_sediu_social") or {}
    registration_text = str(general.get("stare_inregistrare") or "")
    deregistered_on = _date(inactive_part.get("dataRadiere"))
    if deregistered_on or registration_text.upper().startswith("RADIERE"):
        status = "deregistered"
    elif inactive_part.get("statusInactivi"):
        status = "inactive"
    else:
        status = "active"
    return RegistryRecord(
        cui=normalize_cui(str(general["cui"])),
        name=str(general["denumire"]).strip(),
        address=_text(general.get("adresa")),
        registration_number=_text(general.get("nrRegCom")),
        status=status,
        registration_status_text=registration_text,
        vat_payer=bool((entry.get("inregistrare_scop_Tva") or {}).get("scpTVA")),
        efactura=bool(general.get("statusRO_e_Factura")),
        county=_text(seat.get("sdenumire_Judet")),
        locality=_text(seat.get("sdenumire_Localitate")),
        postal_code=_text(general.get("codPostal")) or _text(seat.get("scod_Postal")),
        phone=_text(general.get("telefon")),
        registered_on=_date(general.get("data_inregistrare")),
        inactive_since=_date(inactive_part.get("dataInactivare")),
        deregistered_on=deregistered_on,
        caen=_text(general.get("cod_CAEN")),
        legal_form=_text(general.get("forma_juridica")),
        efactura_registered_on=_date(general.get("data_inreg_Reg_RO_e_Factura")),
    )
