"""Client for RO e-Factura's message lists, and the rights they reveal.

Owns the two list calls (`listaMesajeFactura`, `listaMesajePaginatieFactura`) and their
classification. ANAF sends most errors with HTTP 200 and a Romanian text in `eroare`, so answers
are classified by those texts, never by the status code alone:

- `mesaje`, or `Nu exista mesaje ...`            → HAS_RIGHTS (no messages is not an error)
- `Lista de mesaje este mai mare decat numarul de 500 ...` → HAS_RIGHTS with `over_limit`: the
  rights are confirmed; the messages themselves are read from the paginated endpoint
- `Nu aveti drept in SPV pentru CIF=...`        → NO_RIGHTS_FOR_CIF
- `Nu exista niciun CIF ...` (ANAF writes "petru") → NO_RIGHTS_AT_ALL (stop asking for other CIFs)
- `S-au facut deja ...` (daily quota)           → QUOTA_EXCEEDED (do not insist today)
- HTTP 401/403                                  → TOKEN_INVALID
- HTTP 429, 5xx, timeouts                       → retried with backoff, then AnafUnavailable
- other `eroare` texts (bad CIF, bad `zile`)    → EfacturaRequestError (our request was wrong)

Every call first waits for the `CallLimiter` (ANAF's per-minute budget); simple-list calls also take
one unit of the per-CUI `DailyQuota` when one is given, so the application stops itself before ANAF's
1,500-a-day limit instead of hammering it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import Enum

import httpx
from stdnum.ro import cui as ro_cui

from anaf.errors import AnafError
from anaf import metrics as anaf_metrics
from anaf.limits import CallLimiter, DailyQuota
from anaf.retry import RetryableAnswer, retry_after_seconds, with_retries

ANAF_API_BASE = "https://api.anaf.ro"
MAX_WINDOW = timedelta(days=60) - timedelta(minutes=5)

NO_MESSAGES = "Nu exista mesaje"
NO_RIGHTS_FOR_CIF = "Nu aveti drept in SPV pentru CIF="
# ANAF writes "Nu exista niciun CIF petru care sa aveti drept in SPV" (sic): match the prefix only.
NO_RIGHTS_AT_ALL = "Nu exista niciun CIF"
OVER_500 = "Lista de mesaje este mai mare decat numarul de 500"
QUOTA_EXCEEDED = "S-au facut deja"
SENT_INVOICE = "FACTURA TRIMISA"

# `detalii` of an invoice, in its two wordings (production puts two spaces before "ca autofactura").
_ISSUED = re.compile(r"emisa\s+de\s+cif_emitent=(?P<seller>\w+)\s+pentru\s+cif_beneficiar=(?P<buyer>\w+)")
_SELF_BILLED = re.compile(r"transmisa\s+de\s+cif=(?P<buyer>\w+)\s+ca\s+autofactura\s+in\s+numele\s+cif=(?P<seller>\w+)")


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
    over_limit: bool = False  # the simple list has more than 500 messages: ask the paginated endpoint


@dataclass(frozen=True)
class InvoiceParties:
    seller: str
    buyer: str
    self_billed: bool


def invoice_parties(detalii: str) -> InvoiceParties | None:
    """Seller and buyer of an invoice message, from `detalii` in either wording; None otherwise.

    `... emisa de cif_emitent=<seller> pentru cif_beneficiar=<buyer>`, or for self-billing
    `... transmisa de cif=<buyer>  ca autofactura in numele cif=<seller>`. The identifiers are as
    ANAF wrote them: CUIs, CNPs or foreign VAT numbers.
    """
    for pattern, self_billed in ((_SELF_BILLED, True), (_ISSUED, False)):
        found = pattern.search(detalii or "")
        if found:
            return InvoiceParties(found["seller"], found["buyer"], self_billed)
    return None


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

    async def messages(
        self, access_token: str, cif: str, *, days: int = 60, filter: str | None = None, now: datetime | None = None
    ) -> ListResult:
        """Every message of the last `days` days: the simple list, or — when it answers that there are
        more than 500 — every page of `listaMesajePaginatieFactura` over the same window. The result's
        `answer` is the first call's; its `messages` are all of them."""
        first = await self.list_messages(access_token, cif, days=days, filter=filter)
        if first.answer is not RightsAnswer.HAS_RIGHTS or not first.over_limit:
            return first
        end = (now or datetime.now(UTC)) - timedelta(seconds=1)
        # ANAF refuses a startTime older than 60 days "from the moment of the request": keep a margin.
        start = end - min(timedelta(days=days), MAX_WINDOW)
        messages: list[dict] = []
        page, pages = 1, 1
        result = first
        while page <= pages:
            result = await self.list_messages_page(access_token, cif, start=start, end=end, page=page, filter=filter)
            if result.answer is not RightsAnswer.HAS_RIGHTS:
                return result
            messages += result.messages
            pages = result.page.total_pages if result.page else page
            page += 1
        return ListResult(RightsAnswer.HAS_RIGHTS, cif, messages=messages, rights_list=first.rights_list or result.rights_list,
                          serial=result.serial or first.serial, page=result.page)

    async def probe(self, access_token: str, cif: str) -> ListResult:
        """Does the token's certificate have SPV rights for `cif`? (ANAF.md §2, "Probing rights")."""
        return await self.list_messages(access_token, cif, days=1)

    async def _list(self, method: str, access_token: str, cif: str, params: dict[str, str]) -> ListResult:
        completed = getattr(self._limiter, "completed", None)

        async def attempt() -> ListResult:
            slot = await self._limiter.acquire()
            try:
                response = await self._http.get(
                    f"{self._rest}/{method}",
                    params=params,
                    headers={"Authorization": f"Bearer {access_token}"},
                    timeout=self._timeout,
                )
            finally:
                if completed is not None:
                    completed(slot)  # ANAF counted the call by now: its minute starts no later
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
        return ListResult(answer, cif, serial=serial, error_text=error, over_limit=error.startswith(OVER_500))
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
    if text.startswith(NO_MESSAGES) or text.startswith(OVER_500):
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
