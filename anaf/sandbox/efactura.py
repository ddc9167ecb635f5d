"""The sandbox's RO e-Factura list endpoints (api.anaf.ro/{prod,test}/FCTEL/rest), with ANAF's limits.

Routes, relative to the sandbox mount (each under /prod/FCTEL/rest and /test/FCTEL/rest):
  GET listaMesajeFactura?zile=&cif=[&filtru=]
  GET listaMesajePaginatieFactura?startTime=&endTime=&cif=&pagina=[&filtru=]
Control routes (sandbox only):
  POST /rights            {"holder" or "serial": ..., "withdraw": [cuis], "restore": [cuis]}
  GET|PUT /efactura/config {"cui_field": "echo"|"list", "per_minute", "per_day_per_cui",
                           "rate_window_seconds"}; a PUT also resets the call counters

Answers follow ANAF.md §2, texts verbatim (ANAF's spelling, "petru" and "toatal" included): errors
come with HTTP 200 as {"eroare", "titlu": "Lista Mesaje"}; a simple list of more than 500 messages
answers the text sending clients to the paginated endpoint; missing or unconvertible parameters get
an HTTP 400 body with ANAF's `dd-MM-yyyy HH:mm:ss` timestamp; a missing, invalid or expired bearer
token gets 401; a path the service does not have gets 403; more than `per_minute` calls in the rate window (all list calls together,
sandbox-wide, shared through the store by every process) get 429; more than `per_day_per_cui`
simple-list calls for one CIF in a day get ANAF's `S-au facut deja ...` text.

The `cui` field echoes the queried CIF, as every capture of ANAF does; `cui_field: "list"` (the
certificate's rights, comma-separated) is an opt-in scenario that nobody has seen ANAF answer.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from anaf.sandbox.dataset import Holder
from anaf.sandbox.efactura_messages import ANAF_TIMEZONE, RETENTION, TYPES_BY_FILTER, anaf_timestamp, messages_between
from anaf.sandbox.faults import fault_middleware
from anaf.sandbox.store import SandboxStore
from anaf.sandbox.tokens import bearer_holder, unauthorized

if TYPE_CHECKING:
    from anaf.sandbox.state import SandboxState

SERVICE = "efactura"
PAGE_SIZE = 500
SIMPLE_LIST_MAX = 500
PAGINATED_PER_DAY_PER_CUI = 100_000
LIST_TITLE = "Lista Mesaje"
CUI_FIELD_MODES = ("echo", "list")
SETTINGS_KEY = "efactura_settings"

OVER_500 = ("Lista de mesaje este mai mare decat numarul de 500 elemente permise in pagina. "
            "Folositi endpoint-ul cu paginatie.")
NO_RIGHTS_AT_ALL = "Nu exista niciun CIF petru care sa aveti drept in SPV"


@dataclass
class EfacturaSettings:
    cui_field: str
    per_minute: int
    per_day_per_cui: int
    rate_window_seconds: float = 60.0  # shorter in tests, so a 429 clears in a second


class EfacturaStore:
    """Settings and call counters, kept in the sandbox's store (shared by processes, kept on restart)."""

    def __init__(self, store: SandboxStore, defaults: EfacturaSettings) -> None:
        self._store = store
        self._defaults = defaults
        self.rejected_429 = 0  # calls this process refused over the per-minute limit (benchmarks read it)

    @property
    def settings(self) -> EfacturaSettings:
        saved = self._store.get_json(SETTINGS_KEY)
        return EfacturaSettings(**saved) if saved else self._defaults

    @settings.setter
    def settings(self, value: EfacturaSettings) -> None:
        self._store.put_json(SETTINGS_KEY, asdict(value))

    @property
    def calls(self) -> list[float]:
        """Wall-clock times of the list calls in the current rate window."""
        return self._store.calls_since(time.time() - self.settings.rate_window_seconds)

    def reset_counters(self) -> None:
        self._store.reset_counters()

    def admit_call(self) -> bool:
        """Count one call against the sandbox-wide rate window; False when the window is full."""
        settings = self.settings
        return self._store.admit_call(now=time.time(), window=settings.rate_window_seconds, limit=settings.per_minute)

    def take_daily(self, method: str, cif: str, limit: int) -> bool:
        day = datetime.now(ANAF_TIMEZONE).date().isoformat()  # ANAF's day is Romania's
        return self._store.take_daily(day, method, cif, limit)


def _store(state: SandboxState) -> EfacturaStore:
    store = getattr(state, "efactura", None)
    if store is None:
        config = state.config
        store = state.efactura = EfacturaStore(state.store, EfacturaSettings(
            config.efactura_cui_field, config.efactura_per_minute, config.efactura_per_day_per_cui))
    return store


class BadRequest(Exception):
    """A parameter is missing or does not convert: Spring's HTTP 400."""


class ListError(Exception):
    """An ANAF list error: HTTP 200 with {"eroare": text, "titlu": "Lista Mesaje"}."""


def _bad_request(message: str) -> JSONResponse:
    return JSONResponse(
        {"timestamp": anaf_timestamp(), "status": 400, "error": "Bad Request", "message": message},
        status_code=400,
    )


def _require(request: Request, *names: str) -> None:
    """ANAF's 400 when a mandatory parameter is missing: "Parametrii zile si cif sunt obligatorii"."""
    if any(request.query_params.get(name) in (None, "") for name in names):
        listed = ", ".join(names[:-1]) + " si " + names[-1]
        raise BadRequest(f"Parametrii {listed} sunt obligatorii")


def _param(request: Request, name: str, java_type: str = "String") -> str:
    value = request.query_params.get(name)
    if value is None:
        raise BadRequest(f"Parametrul {name} este obligatoriu")
    return value


def _int_param(request: Request, name: str, java_type: str = "int") -> int:
    value = _param(request, name, java_type)
    try:
        return int(value)
    except ValueError:
        raise BadRequest(
            f"Failed to convert value of type 'java.lang.String' to required type '{java_type}'; "
            f'For input string: "{value}"'
        ) from None


def _numeric_cif(request: Request) -> str:
    cif = _param(request, "cif")
    if not cif.isdigit():
        raise ListError(f"CIF introdus= {cif} nu este un numar")
    return cif


def _filter_kind(request: Request) -> str | None:
    kind = request.query_params.get("filtru")
    if kind is None or kind == "":
        return None
    if kind not in TYPES_BY_FILTER:
        raise ListError("Valorile acceptate pentru parametrul filtru sunt E, T, P sau R")
    return kind


class EfacturaRoutes:
    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.store = _store(state)

    def _rights(self, holder: Holder) -> tuple[str, ...]:
        cuis, cnps = self.state.rights(holder.serial)
        return cuis + cnps

    def _check_rights(self, holder: Holder, cif: str) -> tuple[str, ...]:
        rights = self._rights(holder)
        if not rights:
            raise ListError(NO_RIGHTS_AT_ALL)
        if cif not in rights:
            raise ListError(f"Nu aveti drept in SPV pentru CIF={cif}")
        return rights

    def _envelope(self, holder: Holder, cif: str, rights: tuple[str, ...]) -> dict[str, Any]:
        cui = ",".join(rights) if self.store.settings.cui_field == "list" else cif  # "list": unconfirmed
        return {"serial": holder.serial, "cui": cui}

    async def _serve(self, request: Request, answer: Callable[[Request, Holder], dict[str, Any]]) -> Response:
        """Gateway checks (rate, bearer), then `answer(holder)`, mapping its errors to ANAF's shapes."""
        if not self.store.admit_call():
            self.store.rejected_429 += 1
            body = {
                "timestamp": anaf_timestamp(),
                "status": 429,
                "error": "Too Many Requests",
                "message": "Limita de apeluri pe minut a fost depasita",
            }
            return JSONResponse(body, status_code=429)
        holder = bearer_holder(self.state, request)
        if holder is None:
            return unauthorized()
        try:
            return JSONResponse(answer(request, holder))
        except BadRequest as exc:
            return _bad_request(str(exc))
        except ListError as exc:
            return JSONResponse({"eroare": str(exc), "titlu": LIST_TITLE})

    def _simple_list(self, request: Request, holder: Holder) -> dict[str, Any]:
        _require(request, "zile", "cif")
        days = _int_param(request, "zile", "Integer")
        cif = _numeric_cif(request)
        if not 1 <= days <= 60:
            raise ListError("Numarul de zile trebuie sa fie intre 1 si 60")
        kind = _filter_kind(request)
        limit = self.store.settings.per_day_per_cui
        if not self.store.take_daily("simple", cif, limit):
            raise ListError(f"S-au facut deja {limit} interogari de lista mesaje de catre utilizator in cursul zilei")
        rights = self._check_rights(holder, cif)
        now = datetime.now(UTC)
        messages = messages_between(cif, now - timedelta(days=days), now, kind)
        if not messages:
            raise ListError(f"Nu exista mesaje in ultimele {days} zile")
        if len(messages) > SIMPLE_LIST_MAX:
            raise ListError(OVER_500)
        return {
            "mesaje": messages,
            **self._envelope(holder, cif, rights),
            "titlu": f"Lista Mesaje disponibile din ultimele {days} zile",
        }

    def _paginated_list(self, request: Request, holder: Holder) -> dict[str, Any]:
        _require(request, "startTime", "endTime", "cif", "pagina")
        start_ms = _int_param(request, "startTime", "long")
        end_ms = _int_param(request, "endTime", "long")
        page = _int_param(request, "pagina", "long")
        cif = _numeric_cif(request)
        now = datetime.now(UTC)
        start = datetime.fromtimestamp(start_ms / 1000, UTC)
        end = datetime.fromtimestamp(end_ms / 1000, UTC)
        if start < now - RETENTION:
            raise ListError(f"startTime = {anaf_timestamp(start)} nu poate fi mai vechi de 60 de zile "
                            "fata de momentul requestului")
        if end <= start:
            raise ListError(f"endTime = {anaf_timestamp(end)} nu poate fi <= startTime = {anaf_timestamp(start)}")
        if end > now:  # not in ANAF.md: the sandbox's own wording
            raise ListError(f"endTime = {anaf_timestamp(end)} nu poate fi in viitor")
        kind = _filter_kind(request)
        if not self.store.take_daily("paginated", cif, PAGINATED_PER_DAY_PER_CUI):
            raise ListError(
                f"S-au facut deja {PAGINATED_PER_DAY_PER_CUI} interogari de lista mesaje paginata "
                "de catre utilizator in cursul zilei"
            )
        rights = self._check_rights(holder, cif)
        messages = messages_between(cif, start, end, kind)
        if not messages:
            raise ListError("Nu exista mesaje in intervalul selectat")
        pages = math.ceil(len(messages) / PAGE_SIZE)
        if not 1 <= page <= pages:
            raise ListError(f"Pagina solicitata {page} este mai mare decat numarul toatal de pagini {pages}")
        chunk = messages[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        return {
            "mesaje": chunk,
            "numar_inregistrari_in_pagina": len(chunk),
            "numar_total_inregistrari_per_pagina": PAGE_SIZE,
            "numar_total_inregistrari": len(messages),
            "numar_total_pagini": pages,
            "index_pagina_curenta": page,
            **self._envelope(holder, cif, rights),
            "titlu": f"Lista Mesaje disponibile din intervalul {anaf_timestamp(start)} - {anaf_timestamp(end)}",
        }

    async def simple_list(self, request: Request) -> Response:
        return await self._serve(request, self._simple_list)

    async def paginated_list(self, request: Request) -> Response:
        return await self._serve(request, self._paginated_list)

    # -- control ---------------------------------------------------------------------------------

    async def rights(self, request: Request) -> Response:
        try:
            body = json.loads(await request.body())
        except ValueError:
            return JSONResponse({"error": "the body must be JSON"}, status_code=400)
        if not isinstance(body, dict):
            return JSONResponse({"error": "the body must be a JSON object"}, status_code=400)
        dataset = self.state.dataset
        holder = dataset.holders.get(str(body.get("holder", ""))) or dataset.holder_by_serial(
            str(body.get("serial", ""))
        )
        if holder is None:
            return JSONResponse({"error": "no such holder"}, status_code=404)
        withdraw, restore = body.get("withdraw", []), body.get("restore", [])
        if not all(isinstance(v, list) and all(isinstance(c, str) for c in v) for v in (withdraw, restore)):
            return JSONResponse({"error": "withdraw and restore must be lists of CUI/CNP strings"}, status_code=400)
        gone = self.state.store.change_withdrawn(holder.serial, withdraw=withdraw, restore=restore)
        return JSONResponse({"serial": holder.serial, "withdrawn": sorted(gone), "rights": list(self._rights(holder))})

    async def config(self, request: Request) -> Response:
        settings = self.store.settings
        if request.method == "PUT":
            try:
                body = json.loads(await request.body())
                updated = EfacturaSettings(
                    cui_field=str(body.get("cui_field", settings.cui_field)),
                    per_minute=int(body.get("per_minute", settings.per_minute)),
                    per_day_per_cui=int(body.get("per_day_per_cui", settings.per_day_per_cui)),
                    rate_window_seconds=float(body.get("rate_window_seconds", settings.rate_window_seconds)),
                )
            except (ValueError, TypeError, AttributeError):
                return JSONResponse({"error": "expected a JSON object of settings"}, status_code=400)
            if updated.cui_field not in CUI_FIELD_MODES:
                return JSONResponse({"error": "cui_field must be 'echo' or 'list'"}, status_code=400)
            settings = self.store.settings = updated
            self.store.reset_counters()
        return JSONResponse(asdict(settings))


async def _not_granted(request: Request) -> Response:
    """ANAF's gateway answer to a path it does not serve (e.g. a missing /prod/FCTEL/rest part)."""
    return JSONResponse({"timestamp": anaf_timestamp(), "status": 403, "error": "Forbidden", "message": "Forbidden"},
                        status_code=403)


def routes(state: SandboxState) -> list[BaseRoute]:
    handlers = EfacturaRoutes(state)
    faults = fault_middleware(state, SERVICE)
    service_routes: list[BaseRoute] = []
    for environment in ("prod", "test"):
        base = f"/{environment}/FCTEL/rest"
        service_routes += [
            Route(f"{base}/listaMesajeFactura", handlers.simple_list, methods=["GET"], middleware=faults),
            Route(f"{base}/listaMesajePaginatieFactura", handlers.paginated_list, methods=["GET"], middleware=faults),
            Route(base + "/{other:path}", _not_granted, methods=["GET", "POST"]),
        ]
    return service_routes + [
        Route("/rights", handlers.rights, methods=["POST"]),
        Route("/efactura/config", handlers.config, methods=["GET", "PUT"]),
    ]
