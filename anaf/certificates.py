"""How the project reads qualified certificates: the serial as ANAF prints it, the holder's CNP.

Shared by the sandbox (which issues and checks certificates), the token agent (which presents
them) and the server side (which verifies the agent's statements), so all agree on one format.
"""

from __future__ import annotations

from cryptography import x509
from cryptography.x509.oid import NameOID

_CNP_PREFIX = "PNORO-"


def certificate_serial_hex(certificate: x509.Certificate) -> str:
    """Uppercase hexadecimal, at least 16 digits (the form of ANAF's ``serial`` field)."""
    return format(certificate.serial_number, "016X")


def common_name(certificate: x509.Certificate) -> str:
    names = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else certificate.subject.rfc4514_string()


def holder_cnp(certificate: x509.Certificate) -> str | None:
    """The CNP a qualified certificate carries in its subject ``serialNumber`` ("PNORO-<cnp>")."""
    for attribute in certificate.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER):
        value = str(attribute.value)
        if value.startswith(_CNP_PREFIX):
            return value[len(_CNP_PREFIX):]
    return None
