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
    return format_serial(certificate.serial_number)


def format_serial(serial: int) -> str:
    return format(serial, "016X")


def parse_serial(text: str | int) -> int:
    """A certificate serial as written anywhere (hex in any case, with or without leading zeros,
    ``0x``, colons or spaces between the bytes) as the integer it is. ``ValueError`` when it is none."""
    if isinstance(text, int):
        return text
    digits = "".join(ch for ch in text.strip() if ch not in ": -")
    if digits[:2].lower() == "0x":
        digits = digits[2:]
    if not digits:
        raise ValueError(f"not a certificate serial: {text!r}")
    return int(digits, 16)


def same_serial(a: str | int | None, b: str | int | None) -> bool:
    """Whether two serials name the same certificate (compared as integers, never as strings)."""
    if a is None or b is None:
        return False
    try:
        return parse_serial(a) == parse_serial(b)
    except ValueError:
        return False


def canonical_serial(text: str) -> str:
    """The project's one written form of a serial (uppercase hex, at least 16 digits); text that is
    not a serial is returned unchanged."""
    try:
        return format_serial(parse_serial(text))
    except ValueError:
        return text


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


def load_certificate_bundle(pem: bytes) -> list[x509.Certificate]:
    """Every certificate of a PEM bundle (e.g. the qualified CAs the server trusts)."""
    return x509.load_pem_x509_certificates(pem)
