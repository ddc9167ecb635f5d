"""Client for RO e-Factura's message lists, and the rights they reveal.

Owns the two list calls (`listaMesajeFactura`, `listaMesajePaginatieFactura`) and their
classification. ANAF sends most errors with HTTP 200 and a Romanian text in `eroare`, so answers
are classified by those texts, never by the status code alone:

- `mesaje`, or `Nu exista mesaje ...`            → HAS_RIGHTS (no messages is not an error)
- `Nu aveti drept in SPV pentru CIF=...`        → NO_RIGHTS_FOR_CIF
- `Nu exista niciun CIF pentru care ...`        → NO_RIGHTS_AT_ALL (stop asking for other CIFs)
- `S-au facut deja ...` (daily quota)           → QUOTA_EXCEEDED (do not insist today)
- HTTP 401/403                                  → TOKEN_INVALID
- HTTP 429, 5xx, timeouts                       → retried with backoff, then AnafUnavailable
- other `eroare` texts (bad CIF, bad `zile`)    → EfacturaRequestError (our request was wrong)

Every call first waits for the `CallLimiter` (ANAF's per-minute budget); simple-list calls also take
one unit of the per-CUI `DailyQuota` when one is given, so the application stops itself before ANAF's
1,500-a-day limit instead of hammering it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum

import httpx
from stdnum.ro import cui as ro_cui

from anaf.errors import AnafError
from anaf import metrics as anaf_metrics
from anaf.limits import CallLimiter, DailyQuota
from anaf.retry import RetryableAnswer, retry_after_seconds, with_retries

ANAF_API_BASE = "https://api.anaf.ro"

NO_MESSAGES = "Nu exista mesaje"
NO_RIGHTS_FOR_CIF = "Nu aveti drept in SPV pentru CIF="
NO_RIGHTS_AT_ALL = "Nu exista niciun CIF pentru care sa aveti drept in SPV"
QUOTA_EXCEEDED = "S-au facut deja"


class RightsAnswer(Enum):
    HAS_RIGHTS = "has_rights"
    NO_RIGHTS_FOR_CIF = "no_rights_for_cif"
    NO_RIGHTS_AT_ALL = "no_rights_at_all"
    QUOTA_EXCEEDED = "quota_exceeded"
    TOKEN_INVALID = "token_invalid"


@dataclass(frozen=True)
class PageInfo:
    records_in_page: int
    records_per_page: int
    total_records: int
    total_pages: int
    current_page: int


@dataclass(frozen=True)
class ListResult:
    answer: RightsAnswer
    cif: str
    messages: list[dict] = field(default_factory=list)
    # The `cui` field split on commas, when it names several CUIs/CNPs (the certificate's rights);
    # None when it is absent or only echoes the queried CIF (ANAF.md §2, unconfirmed which it does).
    rights_list: list[str] | None = None
    serial: str | None = None
    error_text: str | None = None
    page: PageInfo | None = None


class EfacturaRequestError(AnafError):
    """ANAF rejected the request itself (bad CIF, bad day count, missing parameter)."""


def bare_cif(cif: str) -> str:
    """The CIF as ANAF's APIs want it: digits only, without `RO` or spaces (`cif=RO...` gets a 403)."""
    return ro_cui.compact(cif)


def _epoch_ms(moment: datetime) -> str:
    return str(int(moment.timestamp() * 1000))


class EfacturaClient:
    """Calls `{api_base}/{environment}/FCTEL/rest/...` with the firm's OAuth access token."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        api_base: str = ANAF_API_BASE,
        *,
        limiter: CallLimiter,
        daily_quota: DailyQuota | None = None,
        environment: str = "prod",
        timeout: float = 20.0,
        max_attempts: int = 5,
        backoff_initial: float = 1.0,
        backoff_max: float = 30.0,
    ) -> None:
        self._http = http
        self._rest = f"{api_base.rstrip('/')}/{environment}/FCTEL/rest"
        self._limiter = limiter
        self._daily_quota = daily_quota
        self._timeout = timeout
        self._max_attempts = max_attempts
        self._backoff_initial = backoff_initial
        self._backoff_max = backoff_max

    async def list_messages(
        self, access_token: str, cif: str, *, days: int = 1, filter: str | None = None
    ) -> ListResult:
        cif = bare_cif(cif)
        if self._daily_quota is not None and not await self._daily_quota.take(cif):
            anaf_metrics.limit_hit("efactura", "own_quota")
            return ListResult(RightsAnswer.QUOTA_EXCEEDED, cif, error_text="daily list budget for this CIF is spent")
        params = {"zile": str(days), "cif": cif} | ({"filtru": filter} if filter else {})
        return await self._list("listaMesajeFactura", access_token, cif, params)

    async def list_messages_page(
        self,
        access_token: str,
        cif: str,
        *,
        start: datetime,
        end: datetime,
        page: int = 1,
        filter: str | None = None,
    ) -> ListResult:
        cif = bare_cif(cif)
        params = {"startTime": _epoch_ms(start), "endTime": _epoch_ms(end), "cif": cif, "pagina": str(page)}
        params |= {"filtru": filter} if filter else {}
        return await self._list("listaMesajePaginatieFactura", access_token, cif, params)

    async def probe(self, access_token: str, cif: str) -> ListResult:
        """Does the token's certificate have SPV rights for `cif`? (ANAF.md §2, "Probing rights")."""
        return await self.list_messages(access_token, cif, days=1)

    async def _list(self, method: str, access_token: str, cif: str, params: dict[str, str]) -> ListResult:
        async def attempt() -> ListResult:
            await self._limiter.acquire()
            response = await self._http.get(
                f"{self._rest}/{method}",
                params=params,
                headers={"Authorization": f"Bearer {access_token}"},
                timeout=self._timeout,
            )
            return _classify(response, cif)

        return await with_retries(
            attempt,
            what=f"e-Factura {method}",
            max_attempts=self._max_attempts,
            backoff_initial=self._backoff_initial,
            backoff_max=self._backoff_max,
        )


def _classify(response: httpx.Response, cif: str) -> ListResult:
    status = response.status_code
    if status == 429 or status >= 500:
        raise RetryableAnswer(f"HTTP {status}", retry_after=retry_after_seconds(response))
    if status in (401, 403):
        return ListResult(RightsAnswer.TOKEN_INVALID, cif, error_text=f"HTTP {status}")
    try:
        body = response.json()
    except ValueError:
        body = None
    if status == 400:
        message = body.get("message") if isinstance(body, dict) else None
        raise EfacturaRequestError(f"e-Factura rejected the request: {message or response.text[:200]}")
    if status != 200 or not isinstance(body, dict):
        # A proxy's HTML page or a truncated answer: nothing to classify, ask again.
        raise RetryableAnswer(f"HTTP {status} with an unreadable body")

    serial = body.get("serial") if isinstance(body.get("serial"), str) else None
    error = body.get("eroare")
    if isinstance(error, str):
        answer = _answer_for_error(error)
        if answer is None:
            raise EfacturaRequestError(f"e-Factura: {error}")
        return ListResult(answer, cif, serial=serial, error_text=error)
    messages = body.get("mesaje")
    return ListResult(
        RightsAnswer.HAS_RIGHTS,
        cif,
        messages=messages if isinstance(messages, list) else [],
        rights_list=_rights_list(body.get("cui")),
        serial=serial,
        page=_page_info(body),
    )


def _answer_for_error(text: str) -> RightsAnswer | None:
    if text.startswith(NO_MESSAGES):
        return RightsAnswer.HAS_RIGHTS
    if text.startswith(NO_RIGHTS_FOR_CIF):
        return RightsAnswer.NO_RIGHTS_FOR_CIF
    if text.startswith(NO_RIGHTS_AT_ALL):
        return RightsAnswer.NO_RIGHTS_AT_ALL
    if text.startswith(QUOTA_EXCEEDED):
        anaf_metrics.limit_hit("efactura", "anaf_quota")
        return RightsAnswer.QUOTA_EXCEEDED
    return None


def _rights_list(cui_field: object) -> list[str] | None:
    if not isinstance(cui_field, str):
        return None
    values = [value.strip() for value in cui_field.split(",") if value.strip()]
    return values if len(values) > 1 else None


def _page_info(body: dict) -> PageInfo | None:
    try:
        return PageInfo(
            records_in_page=int(body["numar_inregistrari_in_pagina"]),
            records_per_page=int(body["numar_total_inregistrari_per_pagina"]),
            total_records=int(body["numar_total_inregistrari"]),
            total_pages=int(body["numar_total_pagini"]),
            current_page=int(body["index_pagina_curenta"]),
        )
    except (KeyError, TypeError, ValueError):
        return None
