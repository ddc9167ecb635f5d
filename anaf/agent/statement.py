"""The signed statement the token agent uploads: "ANAF lists these rights for my certificate".

The agent signs canonical JSON bytes with the token key (RSA-PSS, SHA-256, 32-byte salt); the
server verifies the signature with the certificate sent alongside, the certificate's validity and
that a trusted CA issued it (its signature, not just the names). The server's domain then checks
that the certificate serial is the one of the firm's OAuth token and that the pairing code is
the one it handed out: those rules are not here, the parsed fields are.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from anaf.certificates import certificate_serial_hex, common_name, same_serial

STATEMENT_VERSION = 1
ALGORITHM = "RSA-PSS-SHA256"
_SALT_LENGTH = 32

if TYPE_CHECKING:  # verifying statements on the server needs neither PKCS#11 nor TLS code
    from anaf.agent.spv_client import SpvRightsList
    from anaf.agent.token import TokenSigner
_FIELDS = {"version", "certificateSerial", "holderCnp", "cuis", "cnps", "fetchedAt", "pairingCode"}


class StatementError(Exception):
    """Why a statement was refused: a stable ``code`` and a message a person can act on."""

    code = "STATEMENT_INVALID"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class MalformedStatement(StatementError):
    code = "MALFORMED_STATEMENT"


class BadSignature(StatementError):
    code = "BAD_SIGNATURE"


class CertificateNotYetValid(StatementError):
    code = "CERTIFICATE_NOT_YET_VALID"


class CertificateExpired(StatementError):
    code = "CERTIFICATE_EXPIRED"


class UntrustedIssuer(StatementError):
    code = "UNTRUSTED_ISSUER"


@dataclass(frozen=True)
class Statement:
    certificate_serial: str
    holder_cnp: str
    cuis: tuple[str, ...]
    cnps: tuple[str, ...]
    fetched_at: dt.datetime
    pairing_code: str
    version: int = STATEMENT_VERSION

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "certificateSerial": self.certificate_serial,
            "holderCnp": self.holder_cnp,
            "cuis": list(self.cuis),
            "cnps": list(self.cnps),
            "fetchedAt": _iso_utc(self.fetched_at),
            "pairingCode": self.pairing_code,
        }

    def canonical_bytes(self) -> bytes:
        """Sorted keys, no spaces, UTF-8: the exact bytes that are signed."""
        return json.dumps(self.to_json(), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass(frozen=True)
class SignedStatement:
    statement_b64: str
    signature_b64: str
    certificate_pem: str
    algorithm: str = ALGORITHM

    def upload_body(self) -> dict[str, str]:
        """The JSON body of ``POST /agent/statements``."""
        return {
            "statement": self.statement_b64,
            "signature": self.signature_b64,
            "certificate": self.certificate_pem,
            "algorithm": self.algorithm,
        }


@dataclass(frozen=True)
class VerifiedStatement:
    statement: Statement
    certificate: x509.Certificate
    certificate_serial: str  # of the certificate that signed, as ANAF prints serials
    holder_name: str


def _iso_utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def build_statement(rights: SpvRightsList, *, pairing_code: str, certificate_serial: str) -> Statement:
    return Statement(
        certificate_serial=certificate_serial,
        holder_cnp=rights.cnp,
        cuis=tuple(rights.cuis),
        cnps=tuple(rights.cnps),
        fetched_at=rights.fetched_at,
        pairing_code=pairing_code,
    )


async def sign_statement(statement: Statement, signer: TokenSigner) -> SignedStatement:
    """Sign on the token with the key of the signer's certificate."""
    data = statement.canonical_bytes()
    signature = await signer.sign_statement(data)
    return SignedStatement(
        statement_b64=base64.b64encode(data).decode("ascii"),
        signature_b64=base64.b64encode(signature).decode("ascii"),
        certificate_pem=signer.certificate.pem,
    )


def _b64(value: str, what: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError, TypeError) as error:
        raise MalformedStatement(f"The {what} is not valid base64.") from error


def _check_issuer(certificate: x509.Certificate, trusted_cas: Sequence[x509.Certificate]) -> None:
    for ca in trusted_cas:
        if ca.subject != certificate.issuer:
            continue
        try:
            certificate.verify_directly_issued_by(ca)
        except (ValueError, TypeError, InvalidSignature):
            continue
        return
    raise UntrustedIssuer(
        f"The certificate was not issued by a trusted qualified CA (issuer: "
        f"{certificate.issuer.rfc4514_string()})."
    )


def _check_validity(certificate: x509.Certificate, now: dt.datetime) -> None:
    if now < certificate.not_valid_before_utc:
        raise CertificateNotYetValid(
            f"The certificate is valid only from {certificate.not_valid_before_utc:%Y-%m-%d %H:%M} UTC."
        )
    if now > certificate.not_valid_after_utc:
        raise CertificateExpired(
            f"The certificate expired on {certificate.not_valid_after_utc:%Y-%m-%d}; "
            "renew it with the certificate authority and run the agent again."
        )


def _check_signature(certificate: x509.Certificate, data: bytes, signature: bytes) -> None:
    public_key = certificate.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise BadSignature("Only RSA certificates can sign statements.")
    try:
        public_key.verify(
            signature, data, padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=_SALT_LENGTH),
            hashes.SHA256(),
        )
    except InvalidSignature as error:
        raise BadSignature(
            "The statement's signature does not match its certificate: it was changed after "
            "signing or signed with another key."
        ) from error


def _string_list(value: Any, name: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise MalformedStatement(f"'{name}' must be a list of strings.")
    return tuple(value)


def _parse(data: bytes) -> Statement:
    try:
        raw = json.loads(data)
    except ValueError as error:
        raise MalformedStatement("The statement is not JSON.") from error
    if not isinstance(raw, dict) or set(raw) != _FIELDS:
        raise MalformedStatement(f"The statement must have exactly the fields {sorted(_FIELDS)}.")
    if raw["version"] != STATEMENT_VERSION:
        raise MalformedStatement(f"Unsupported statement version {raw['version']!r}.")
    for name in ("certificateSerial", "holderCnp", "fetchedAt", "pairingCode"):
        if not isinstance(raw[name], str):
            raise MalformedStatement(f"'{name}' must be a string.")
    try:
        fetched_at = dt.datetime.fromisoformat(raw["fetchedAt"])
    except ValueError as error:
        raise MalformedStatement("'fetchedAt' is not an ISO-8601 time.") from error
    if fetched_at.tzinfo is None:
        raise MalformedStatement("'fetchedAt' must carry its time zone (UTC).")
    return Statement(
        certificate_serial=raw["certificateSerial"],
        holder_cnp=raw["holderCnp"],
        cuis=_string_list(raw["cuis"], "cuis"),
        cnps=_string_list(raw["cnps"], "cnps"),
        fetched_at=fetched_at,
        pairing_code=raw["pairingCode"],
    )


def verify_statement(
    statement_b64: str,
    signature_b64: str,
    certificate_pem: str,
    *,
    trusted_cas: Sequence[x509.Certificate],
    now: dt.datetime,
) -> VerifiedStatement:
    """Check issuer, validity and signature, then parse; raise a :class:`StatementError` subclass."""
    data = _b64(statement_b64, "statement")
    signature = _b64(signature_b64, "signature")
    try:
        certificate = x509.load_pem_x509_certificate(certificate_pem.encode("ascii"))
    except (ValueError, UnicodeEncodeError) as error:
        raise MalformedStatement("The certificate is not a PEM X.509 certificate.") from error
    _check_issuer(certificate, trusted_cas)
    _check_validity(certificate, now)
    _check_signature(certificate, data, signature)
    statement = _parse(data)
    serial = certificate_serial_hex(certificate)
    if not same_serial(statement.certificate_serial, certificate.serial_number):
        raise MalformedStatement(
            f"The statement names certificate {statement.certificate_serial} but was signed with {serial}."
        )
    return VerifiedStatement(
        statement=statement, certificate=certificate, certificate_serial=serial,
        holder_name=common_name(certificate),
    )
