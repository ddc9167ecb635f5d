"""Sandbox-only control routes: what data there is to try, and which faults apply (rights are
withdrawn and restored with `POST /rights`, beside the e-Factura service that honours them).

  GET /            a small HTML index
  GET /fixtures    companies and certificate holders (`?holder=small`, `?status=active`, `?limit=`, `?offset=`)
  GET|PUT|DELETE /faults     faults in force, by service ({"registry": {"latency_ms": 200}, ...})
"""

from __future__ import annotations

import html
import json
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from anaf.sandbox.dataset import Holder, SandboxCompany
from anaf.sandbox.faults import FaultConfig

if TYPE_CHECKING:
    from anaf.sandbox.state import SandboxState

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
STATUSES = ("active", "inactive", "deregistered")


def _status(company: SandboxCompany) -> str:
    if company.deregistered:
        return "deregistered"
    return "inactive" if company.inactive else "active"


def _company_json(company: SandboxCompany) -> dict[str, Any]:
    return {
        "cui": company.cui,
        "name": company.name,
        "county": company.county,
        "status": _status(company),
        "vat_payer": company.vat_payer,
        "inactive": company.inactive,
        "deregistered": company.deregistered,
        "efactura": company.efactura,
    }


def _holder_json(holder: Holder, state: SandboxState) -> dict[str, Any]:
    return {
        "key": holder.key,
        "name": holder.name,
        "cnp": holder.cnp,
        "serial": holder.serial,
        "pin": holder.pin,
        "firm_cui": holder.firm_cui,
        "firm_rights": holder.firm_rights,  # False: the certificate has no SPV rights on its own firm
        "cuis": len(holder.cuis),
        "cnps": len(holder.cnps),
        "withdrawn": sorted(state.withdrawn_for(holder.serial)),
    }


def _int_param(request: Request, name: str, default: int, maximum: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not raw.isdigit():
        raise ValueError(f"{name} must be a non-negative integer")
    return min(int(raw), maximum)


def _error(message: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def _json_body(request: Request) -> Any:
    try:
        return json.loads(await request.body())
    except ValueError:
        raise ValueError("the body must be JSON") from None


def routes(state: SandboxState) -> list[BaseRoute]:
    dataset = state.dataset

    def find_holder(key_or_serial: str) -> Holder | None:
        return dataset.holders.get(key_or_serial) or dataset.holder_by_serial(key_or_serial)

    async def index(request: Request) -> HTMLResponse:
        rows = "".join(
            f"<li><a href=\"{request.url_for('sandbox_fixtures')}?holder={html.escape(h.key)}\">{html.escape(h.key)}</a>: "
            f"{html.escape(h.name)}, PIN {html.escape(h.pin)}, {len(h.cuis)} companies</li>"
            for h in dataset.holders.values()
        )
        return HTMLResponse(
            "<!doctype html><html lang=\"ro\"><head><meta charset=\"utf-8\"><title>ANAF sandbox</title></head>"
            "<body><h1>ANAF sandbox</h1>"
            f"<p>{len(dataset.companies)} fictional companies. "
            f"<a href=\"{request.url_for('sandbox_fixtures')}\">Fixtures (JSON)</a> · "
            f"<a href=\"{request.url_for('sandbox_faults')}\">Faults in force</a></p>"
            f"<h2>Certificate holders</h2><ul>{rows}</ul></body></html>"
        )

    async def fixtures(request: Request) -> JSONResponse:
        try:
            limit = _int_param(request, "limit", DEFAULT_LIMIT, MAX_LIMIT)
            offset = _int_param(request, "offset", 0, len(dataset.companies))
        except ValueError as exc:
            return _error(str(exc))
        status = request.query_params.get("status")
        if status is not None and status not in STATUSES:
            return _error(f"status must be one of {', '.join(STATUSES)}")
        holder_key = request.query_params.get("holder")
        holder = find_holder(holder_key) if holder_key else None
        if holder_key and holder is None:
            return _error(f"no holder {holder_key!r}; holders: {', '.join(dataset.holders)}", 404)

        cuis = holder.cuis if holder else tuple(dataset.companies)
        companies = [dataset.companies[c] for c in cuis]
        if status:
            companies = [c for c in companies if _status(c) == status]
        answer: dict[str, Any] = {
            "companies": {
                "total": len(companies),
                "offset": offset,
                "limit": limit,
                "items": [_company_json(c) for c in companies[offset : offset + limit]],
            },
            "holders": [_holder_json(h, state) for h in dataset.holders.values()],
        }
        if holder:
            answer["holder"] = {**_holder_json(holder, state), "cnps": list(holder.cnps)}
        return JSONResponse(answer)

    async def faults(request: Request) -> Response:
        if request.method == "PUT":
            try:
                body = await _json_body(request)
                if not isinstance(body, dict):
                    raise ValueError("the body must be a JSON object keyed by service name")
                parsed = {service: FaultConfig.from_json(value) for service, value in body.items()}
            except ValueError as exc:
                return _error(str(exc))
            state.faults.update(parsed)
        elif request.method == "DELETE":
            state.faults.clear()
        return JSONResponse(state.faults.to_json())

    return [
        Route("/", index, name="sandbox_index"),
        Route("/fixtures", fixtures, name="sandbox_fixtures"),
        Route("/faults", faults, methods=["GET", "PUT", "DELETE"], name="sandbox_faults"),
    ]
