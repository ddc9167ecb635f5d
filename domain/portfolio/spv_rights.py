"""The token agent's side of discovery: one-time pairing codes, and accepting the SPV rights list
it uploads as a statement signed with the accountant's qualified certificate.

A statement is accepted only when all of these hold, each refused with its own code:
the signature is the certificate's (BAD_SIGNATURE), the certificate is valid now
(CERTIFICATE_EXPIRED / CERTIFICATE_NOT_YET_VALID) and issued by a trusted CA (UNTRUSTED_ISSUER),
the pairing code is one we handed out (PAIRING_INVALID), not expired (PAIRING_EXPIRED) and not used
(PAIRING_USED), and the certificate is the one that authorized the firm's e-Factura OAuth token
(SERIAL_MISMATCH). 13-digit CNPs are natural persons: kept apart, never turned into companies.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cryptography import x509

from anaf.agent.modes import discover_command
from anaf.agent.statement import StatementError, verify_statement
from anaf.certificates import same_serial
from domain.accounts.models import User
from domain.companies.models import Company
from domain.companies.service import MANAGER_ROLES, require_member
from domain.efactura.models import EfacturaIntegration, EfacturaStatus
from domain.efactura.service import require_ready_for_portfolio
from domain.kernel.clock import now
from domain.kernel.events import company_channel, emit, unit_of_work
from domain.kernel.secrets import hash_secret
from domain.portfolio.discovery import create_run
from domain.portfolio.models import AgentPairing, RightsSource, SpvRightsUpload
from domain.portfolio.service import add_source

PAIRING_TTL = dt.timedelta(minutes=10)
# No 0/O, 1/I/L: read aloud or copied from a screen without mistakes.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8


class StatementRejected(Exception):
    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


@dataclass(frozen=True)
class AgentPairingCode:
    code: str
    expires_at: dt.datetime
    command: str


@dataclass(frozen=True)
class AcceptedStatement:
    company_id: int
    upload_id: int
    companies: int
    persons: int
    run_id: int | None


def new_pairing_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return f"{raw[:4]}-{raw[4:]}"


def code_hash(code: str) -> str:
    """Typed in any case, with or without the dash or spaces: the same code."""
    return hash_secret("".join(ch for ch in code.upper() if ch.isalnum()))


def agent_command(server_url: str, code: str, *, mode: str = "sandbox", spv_url: str | None = None) -> str:
    """The agent's command line for this server's ANAF mode (which SPV, whose CAs it trusts)."""
    return discover_command(server_url, code, mode=mode, spv_url=spv_url)


async def create_agent_pairing(*, actor: User, company_id: int | str, server_url: str, mode: str = "sandbox",
                               spv_url: str | None = None) -> AgentPairingCode:
    """A one-time code (10 minutes) the token agent sends back with its statement; only its hash is kept."""
    membership = await require_member(actor, company_id, roles=MANAGER_ROLES)
    await require_ready_for_portfolio(membership.company)
    code = new_pairing_code()
    expires_at = now() + PAIRING_TTL
    await AgentPairing.create(company_id=membership.company_id, created_by_id=actor.id, code_hash=code_hash(code),
                              expires_at=expires_at)
    return AgentPairingCode(code=code, expires_at=expires_at, command=agent_command(server_url, code, mode=mode, spv_url=spv_url))


def _split_rights(cuis: Sequence[str], cnps: Sequence[str]) -> tuple[list[str], list[str]]:
    """Companies and persons, whichever list ANAF's SPV put them in (13 digits: a CNP)."""
    from domain.portfolio.discovery_runner import CNP_LENGTH, is_company_cui

    companies, persons = [], []
    for value in (*cuis, *cnps):
        value = value.strip()
        if len(value) == CNP_LENGTH and value.isdigit():
            persons.append(value)
        elif is_company_cui(value):
            companies.append(value)
    return list(dict.fromkeys(companies)), list(dict.fromkeys(persons))


def _field(payload: Any, name: str) -> str:
    value = payload.get(name) if isinstance(payload, dict) else None
    if not isinstance(value, str) or not value:
        raise StatementRejected("MALFORMED_STATEMENT", f"The upload must carry '{name}' as a string.")
    return value


async def accept_statement(payload: Any, *, trusted_cas: Sequence[x509.Certificate], runner) -> AcceptedStatement:
    """Verify an uploaded statement, store the rights list, mark entries SPV, start discovery."""
    algorithm = payload.get("algorithm", "RSA-PSS-SHA256") if isinstance(payload, dict) else None
    if algorithm != "RSA-PSS-SHA256":
        raise StatementRejected("MALFORMED_STATEMENT", f"Unsupported signature algorithm {algorithm!r}.")
    at = now()
    try:
        verified = verify_statement(_field(payload, "statement"), _field(payload, "signature"),
                                    _field(payload, "certificate"), trusted_cas=trusted_cas, now=at)
    except StatementError as error:
        raise StatementRejected(error.code, error.message) from None
    statement = verified.statement

    pairing = await AgentPairing.get_or_none(code_hash=code_hash(statement.pairing_code))
    if pairing is None:
        raise StatementRejected("PAIRING_INVALID", "The pairing code is unknown. Create a new one in Portofoliu and run the agent again.")
    if pairing.used_at is not None:
        raise StatementRejected("PAIRING_USED", "The pairing code was already used. Create a new one in Portofoliu.")
    if pairing.expires_at <= at:
        raise StatementRejected("PAIRING_EXPIRED", "The pairing code expired (codes last 10 minutes). Create a new one in Portofoliu.")
    integration = await EfacturaIntegration.get_or_none(company_id=pairing.company_id)
    if integration is None or integration.status != EfacturaStatus.ACTIVE or not integration.certificate_serial:
        raise StatementRejected("EFACTURA_NOT_AUTHORIZED", "Authorize RO e-Factura for the firm before running the agent.")
    if not same_serial(integration.certificate_serial, verified.certificate.serial_number):
        raise StatementRejected(
            "SERIAL_MISMATCH",
            f"The list was signed with certificate {verified.certificate_serial}, but the firm's e-Factura "
            f"authorization was made with certificate {integration.certificate_serial}. Use the same token.")

    companies, persons = _split_rights(statement.cuis, statement.cnps)
    async with unit_of_work():
        # Spend the code first: of two uploads racing with one code, only one passes this line.
        spent = await AgentPairing.filter(id=pairing.id, used_at__isnull=True).update(used_at=at)
        if spent != 1:
            raise StatementRejected("PAIRING_USED", "The pairing code was already used. Create a new one in Portofoliu.")
        upload = await SpvRightsUpload.create(company_id=pairing.company_id, certificate_serial=verified.certificate_serial,
                                              holder_name=verified.holder_name, holder_cnp=statement.holder_cnp or None,
                                              cuis=companies, cnps=persons, fetched_at=statement.fetched_at)
        await add_source(firm_id=pairing.company_id, cuis=companies, source=RightsSource.SPV)
        emit(company_channel(pairing.company_id), "spv_rights", id=upload.id)
    run_id = None
    firm = await Company.get(id=pairing.company_id)
    if firm.provides_accounting_services:
        run, created = await create_run(firm_id=firm.id, started_by_id=pairing.created_by_id)
        if created:
            runner.start(run.id)
        run_id = run.id
    return AcceptedStatement(company_id=firm.id, upload_id=upload.id, companies=len(companies), persons=len(persons),
                             run_id=run_id)
