"""The sandbox certificate authority: fictional qualified certificates for the sandbox holders.

ANAF's SPV service trusts certificates from Romania's qualified CAs. The sandbox plays both sides
with one fictional CA ("Portofoliu Sandbox Qualified CA"):

- its key and self-signed certificate, and a TLS server certificate for ``localhost`` /
  ``127.0.0.1`` issued by it, are generated once and shipped as PEM files in ``anaf/sandbox/ca/``
  so the SPV service, the tests and the token agent all agree on them across processes;
- :func:`issue_holder_certificate` issues a holder's certificate the way a qualified CA does:
  the holder's name as CN, the CNP in the ``serialNumber`` attribute ("PNORO-<cnp>"), and the
  certificate serial number that ANAF reports as ``serial``.

These keys are public, sandbox-only and protect nothing. Regenerate them with
``python -m anaf.sandbox.ca --write anaf/sandbox/ca`` (every certificate issued before then
stops being trusted).
"""

from __future__ import annotations

import argparse
import datetime as dt
import ipaddress
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPublicKeyTypes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_DIR = Path(__file__).resolve().parent / "ca"
CA_CERT_FILE = "ca-cert.pem"
CA_KEY_FILE = "ca-key.pem"
SERVER_CERT_FILE = "server-cert.pem"
SERVER_KEY_FILE = "server-key.pem"

CA_NAME = "Portofoliu Sandbox Qualified CA"
_ORGANIZATION = "Portofoliu Sandbox (fictional, not a real CA)"
# Fixed dates keep the shipped files valid for decades without regeneration.
_LONG_NOT_BEFORE = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
_LONG_NOT_AFTER = dt.datetime(2054, 1, 1, tzinfo=dt.timezone.utc)
_README = """\
SANDBOX ONLY. Fictional certificate authority of the Portofoliu ANAF sandbox.
These keys are deliberately public and protect nothing; never trust this CA outside tests
and local demos. Regenerate with: python -m anaf.sandbox.ca --write anaf/sandbox/ca
"""


class CertificateHolder(Protocol):
    """What a certificate is issued to (the sandbox data set's ``Holder`` fits)."""

    name: str
    cnp: str
    serial: str


@dataclass(frozen=True)
class SandboxCA:
    certificate: x509.Certificate
    private_key: rsa.RSAPrivateKey


def load_ca(ca_dir: Path | None = None) -> SandboxCA:
    directory = ca_dir or CA_DIR
    certificate = x509.load_pem_x509_certificate((directory / CA_CERT_FILE).read_bytes())
    key = serialization.load_pem_private_key((directory / CA_KEY_FILE).read_bytes(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return SandboxCA(certificate=certificate, private_key=key)


def ca_certificate_path(ca_dir: Path | None = None) -> Path:
    """The CA bundle a client uses to trust the sandbox SPV server."""
    return (ca_dir or CA_DIR) / CA_CERT_FILE


def server_credentials_paths(ca_dir: Path | None = None) -> tuple[Path, Path]:
    directory = ca_dir or CA_DIR
    return directory / SERVER_CERT_FILE, directory / SERVER_KEY_FILE


def issue_holder_certificate(
    public_key: CertificateIssuerPublicKeyTypes,
    holder: CertificateHolder,
    *,
    not_before: dt.datetime | None = None,
    not_after: dt.datetime | None = None,
    ca: SandboxCA | None = None,
) -> x509.Certificate:
    """A qualified-style client certificate for ``holder`` (default validity: one year from now)."""
    authority = ca or load_ca()
    start = not_before or dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=5)
    end = not_after or start + dt.timedelta(days=365)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "RO"),
            x509.NameAttribute(NameOID.COMMON_NAME, holder.name),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, f"PNORO-{holder.cnp}"),
        ]
    )
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(authority.certificate.subject)
        .public_key(public_key)
        .serial_number(int(holder.serial, 16))
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(digital_signature=True), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(authority.private_key.public_key()),
            critical=False,
        )
        .sign(authority.private_key, hashes.SHA256())
    )


def _key_usage(*, digital_signature: bool = False, key_cert_sign: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital_signature,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=key_cert_sign,
        crl_sign=key_cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _generate_ca() -> SandboxCA:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "RO"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, _ORGANIZATION),
            x509.NameAttribute(NameOID.COMMON_NAME, CA_NAME),
        ]
    )
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(_LONG_NOT_BEFORE)
        .not_valid_after(_LONG_NOT_AFTER)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(key_cert_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return SandboxCA(certificate=certificate, private_key=key)


def _issue_server_certificate(ca: SandboxCA) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(
            x509.Name(
                [
                    x509.NameAttribute(NameOID.ORGANIZATION_NAME, _ORGANIZATION),
                    x509.NameAttribute(NameOID.COMMON_NAME, "localhost"),
                ]
            )
        )
        .issuer_name(ca.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(_LONG_NOT_BEFORE)
        .not_valid_after(_LONG_NOT_AFTER)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName("localhost"),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                ]
            ),
            critical=False,
        )
        .add_extension(_key_usage(digital_signature=True), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.private_key.public_key()),
            critical=False,
        )
        .sign(ca.private_key, hashes.SHA256())
    )
    return certificate, key


def write_ca_files(ca_dir: Path) -> None:
    """Generate a fresh sandbox CA and server certificate into ``ca_dir``."""
    ca = _generate_ca()
    server_certificate, server_key = _issue_server_certificate(ca)
    ca_dir.mkdir(parents=True, exist_ok=True)
    pem = serialization.Encoding.PEM
    unencrypted = serialization.NoEncryption()
    pkcs8 = serialization.PrivateFormat.PKCS8
    (ca_dir / CA_CERT_FILE).write_bytes(ca.certificate.public_bytes(pem))
    (ca_dir / CA_KEY_FILE).write_bytes(ca.private_key.private_bytes(pem, pkcs8, unencrypted))
    (ca_dir / SERVER_CERT_FILE).write_bytes(server_certificate.public_bytes(pem))
    (ca_dir / SERVER_KEY_FILE).write_bytes(server_key.private_bytes(pem, pkcs8, unencrypted))
    (ca_dir / "README.txt").write_text(_README)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Generate the sandbox CA files (sandbox only).")
    parser.add_argument("--write", type=Path, required=True, metavar="DIR")
    write_ca_files(parser.parse_args().write)
