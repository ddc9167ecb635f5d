"""The sandbox's public company lookup, answering like ANAF's PlatitorTvaRest (v9, and the older v8 path).

Limits as ANAF publishes them: at most `registry_max_batch` CUIs per request (HTTP 400 above) and at
most one request per `registry_min_interval` seconds (HTTP 429 sooner). ANAF counts per client IP;
the sandbox counts globally, since everything reaching it comes from loopback.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from anaf.sandbox.dataset import SandboxCompany
from anaf.sandbox.faults import fault_middleware

if TYPE_CHECKING:
    from anaf.sandbox.state import SandboxState

PATHS = ("/api/PlatitorTvaRest/v9/tva", "/PlatitorTvaRest/api/v8/ws/tva")


@dataclass
class RegistryState:
    last_accepted: float | None = None
    # Monotonic arrival time and CUI count of every accepted request (tests read the spacing from it).
    accepted: list[tuple[float, int]] = field(default_factory=list)
    rejected_429: int = 0


class BadRequest(ValueError):
    pass


def _ro_date(day: date | None) -> str:
    return day.strftime("%d.%m.%Y") if day else ""


def _iso(day: date | None) -> str:
    return day.isoformat() if day else ""


def _parse_body(raw: bytes, max_batch: int) -> list[tuple[int, date]]:
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("Cererea nu este un JSON valid") from None
    if not isinstance(body, list) or not body:
        raise BadRequest("Cererea trebuie sa fie o lista de forma [{\"cui\": numar, \"data\": \"AAAA-LL-ZZ\"}]")
    if len(body) > max_batch:
        raise BadRequest(f"Numarul maxim de CUI-uri pe cerere este {max_batch}")
    queries = []
    for item in body:
        if not isinstance(item, dict) or "cui" not in item or "data" not in item:
            raise BadRequest("Fiecare element trebuie sa contina campurile cui si data")
        cui = item["cui"]
        if isinstance(cui, str) and cui.isdigit():
            cui = int(cui)
        if not isinstance(cui, int) or isinstance(cui, bool) or cui <= 0:
            raise BadRequest(f"CUI invalid: {item['cui']!r}")
        try:
            on = date.fromisoformat(str(item["data"]))
        except ValueError:
            raise BadRequest(f"Data invalida: {item['data']!r} (format AAAA-LL-ZZ)") from None
        queries.append((cui, on))
    return queries


def _address(prefix: str, company: SandboxCompany) -> dict[str, str]:
    # `adresa_sediu_social` uses "s" before every key, `adresa_domiciliu_fiscal` uses "d".
    values = {
        "denumire_Strada": company.street,
        "numar_Strada": company.number,
        "denumire_Localitate": company.locality,
        "cod_Localitate": company.locality_code,
        "denumire_Judet": company.county,
        "cod_Judet": str(company.county_code),
        "cod_JudetAuto": company.county_auto,
        "tara": "",
        "detalii_Adresa": "",
        "cod_Postal": company.postal_code,
    }
    return {prefix + key: value for key, value in values.items()}


def efactura_registered_on(company: SandboxCompany) -> date | None:
    """When the company entered the RO e-Factura registry (it opened in 2022), or None."""
    if not company.efactura:
        return None
    return max(company.registered_on, date(2022, 1, 3) + timedelta(days=int(company.cui) % 700))


def found_entry(company: SandboxCompany, on: date) -> dict[str, Any]:
    """One `found` element, describing `company` as it stood on day `on`."""
    deregistered = company.deregistered_on is not None and company.deregistered_on <= on
    inactive = company.inactive_since is not None and company.inactive_since <= on
    vat = company.vat_since is not None and company.vat_since <= on
    if deregistered:
        registration_text = f"RADIERE din data {_ro_date(company.deregistered_on)}"
    else:
        registration_text = f"INREGISTRAT din data {_ro_date(company.registered_on)}"
    county_title = company.county.title()
    efactura_since = efactura_registered_on(company)
    return {
        "date_generale": {
            "cui": int(company.cui),
            "data": on.isoformat(),
            "denumire": company.name.upper(),
            "adresa": company.address,
            "nrRegCom": company.registration_number,
            "telefon": company.phone,
            "fax": "",
            "codPostal": company.postal_code,
            "act": "",
            "stare_inregistrare": registration_text,
            "data_inregistrare": company.registered_on.isoformat(),
            "cod_CAEN": company.caen,
            "iban": "",
            "statusRO_e_Factura": company.efactura and not deregistered,
            "data_inreg_Reg_RO_e_Factura": _iso(efactura_since) if efactura_since and efactura_since <= on and not deregistered else "",
            "organFiscalCompetent": f"Administraţia Judeţeană a Finanţelor Publice {county_title}",
            "forma_de_proprietate": "PROPR.PRIVATA-CAPITAL PRIVAT AUTOHTON",
            "forma_organizare": "PERSOANA JURIDICA",
            "forma_juridica": company.legal_form,
        },
        "inregistrare_scop_Tva": {
            "scpTVA": vat,
            "perioade_TVA": [
                {
                    "data_inceput_ScpTVA": _iso(company.vat_since),
                    "data_sfarsit_ScpTVA": "",
                    "data_anul_imp_ScpTVA": "",
                    "mesaj_ScpTVA": "",
                }
            ]
            if vat
            else [],
        },
        "inregistrare_RTVAI": {
            "dataInceputTvaInc": "",
            "dataSfarsitTvaInc": "",
            "dataActualizareTvaInc": "",
            "dataPublicareTvaInc": "",
            "tipActTvaInc": "",
            "statusTvaIncasare": False,
        },
        "stare_inactiv": {
            "dataInactivare": _iso(company.inactive_since) if inactive else "",
            "dataReactivare": "",
            "dataPublicare": _iso(company.inactive_since) if inactive else "",
            "dataRadiere": _iso(company.deregistered_on) if deregistered else "",
            "statusInactivi": inactive or deregistered,
        },
        "inregistrare_SplitTVA": {"dataInceputSplitTVA": "", "dataAnulareSplitTVA": "", "statusSplitTVA": False},
        "adresa_sediu_social": _address("s", company),
        "adresa_domiciliu_fiscal": _address("d", company),
    }


def routes(state: SandboxState) -> list[BaseRoute]:
    registry = RegistryState()
    state.registry = registry  # type: ignore[attr-defined]
    config = state.config

    async def tva(request: Request) -> JSONResponse:
        now = time.monotonic()
        if registry.last_accepted is not None and now - registry.last_accepted < config.registry_min_interval:
            registry.rejected_429 += 1
            return JSONResponse(
                {"cod": 429, "message": "Prea multe cereri. Limita este de o cerere pe secunda."},
                status_code=429,
                headers={"Retry-After": str(max(1, round(config.registry_min_interval)))},
            )
        registry.last_accepted = now
        try:
            queries = _parse_body(await request.body(), config.registry_max_batch)
        except BadRequest as exc:
            return JSONResponse({"cod": 400, "message": str(exc)}, status_code=400)
        registry.accepted.append((now, len(queries)))
        found, not_found = [], []
        for cui, on in queries:
            company = state.dataset.companies.get(str(cui))
            if company is None or company.registered_on > on:
                not_found.append(cui)
            else:
                found.append(found_entry(company, on))
        # When no CUI of the batch is known, ANAF answers HTTP 404 with the same body (three clients report it).
        return JSONResponse({"cod": 200, "message": "SUCCESS", "found": found, "notFound": not_found},
                            status_code=200 if found else 404)

    middleware = fault_middleware(state, "registry")
    return [Route(path, tva, methods=["POST"], middleware=middleware) for path in PATHS]
