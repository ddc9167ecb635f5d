"""The agent's discovery run: ask ANAF's SPV with the token, sign the rights list, upload it.

Each step reports a progress line through ``report`` so the command line can show it; failures
are raised as :class:`DiscoveryFailed` with a message for the person at the keyboard.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from anaf.agent.modes import PRODUCTION
from anaf.agent.spv_client import DEFAULT_DAYS, SpvTransport, fetch_rights
from anaf.agent.statement import build_statement, sign_statement
from anaf.agent.token import TokenSigner

STATEMENTS_PATH = "/agent/statements"
_UPLOAD_TIMEOUT = httpx.Timeout(30.0, connect=10.0)


class DiscoveryFailed(Exception):
    pass


@dataclass(frozen=True)
class UploadResult:
    companies: int
    persons: int
    holder: str = ""


@dataclass(frozen=True)
class DiscoveryRequest:
    server_url: str
    pairing_code: str
    module_path: str
    token_label: str | None
    spv_url: str
    ca_bundle: Path | None = None  # None: the mode's trust (system store in production, sandbox CA)
    days: int = DEFAULT_DAYS
    mode: str = PRODUCTION

    def trusted_cas(self) -> Path | None:
        if self.ca_bundle is not None or self.mode == PRODUCTION:
            return self.ca_bundle
        from anaf.sandbox.ca import ca_certificate_path

        return ca_certificate_path()


async def upload_statement(server_url: str, body: dict[str, str]) -> UploadResult:
    url = server_url.rstrip("/") + STATEMENTS_PATH
    async with httpx.AsyncClient(timeout=_UPLOAD_TIMEOUT) as client:
        try:
            response = await client.post(url, json=body)
        except httpx.HTTPError as error:
            raise DiscoveryFailed(f"Could not reach the Portofoliu server at {url}: {error}") from error
    try:
        answer = response.json()
    except ValueError:
        answer = {}
    if response.status_code == 200 and answer.get("accepted"):
        return UploadResult(companies=int(answer.get("companies", 0)), persons=int(answer.get("persons", 0)))
    error = answer.get("error") if isinstance(answer, dict) else None
    if isinstance(error, dict) and error.get("message"):
        raise DiscoveryFailed(f"The server refused the list: {error['message']} ({error.get('code', '?')})")
    raise DiscoveryFailed(f"The server refused the list (HTTP {response.status_code}).")


async def run_discovery(
    request: DiscoveryRequest,
    pin: str,
    report: Callable[[str], None],
    *,
    transport: Callable[[TokenSigner], SpvTransport] | None = None,
) -> UploadResult:
    """Log in once (a wrong PIN raises ``WrongPin``, never retried), fetch, sign, upload.

    ``transport``: makes the SPV transport from the logged-in signer (default: the curl transport).
    """
    async with TokenSigner(request.module_path, request.token_label, pin) as signer:
        certificate = signer.certificate
        report(f"Certificate: {certificate.subject} (serial {certificate.serial_hex})")
        report(f"Asking ANAF's SPV for the rights of this certificate ({request.days} days)...")
        rights = await fetch_rights(
            request.spv_url, signer, certificate.certificate,
            days=request.days, ca_bundle=request.trusted_cas(),
            transport=transport(signer) if transport else None,
        )
        report(f"ANAF lists {len(rights.cuis)} companies and {len(rights.cnps)} persons.")
        statement = build_statement(
            rights, pairing_code=request.pairing_code, certificate_serial=certificate.serial_hex
        )
        signed = await sign_statement(statement, signer)
        report("List signed with the token.")
    report(f"Sending the signed list to {request.server_url} ...")
    result = await upload_statement(request.server_url, signed.upload_body())
    return UploadResult(companies=result.companies, persons=result.persons, holder=certificate.holder_name)
