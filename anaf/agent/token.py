"""PKCS#11 access to the accountant's USB token: list its certificates, log in, sign with its key.

The private key never leaves the token: everything that needs it (the TLS handshake with ANAF's
SPV service, the signed statement uploaded to the server) asks the token to sign.

The PKCS#11 module is the vendor's library; the usual ones for Romanian qualified certificates:

==============================================  ==============================================
token                                           module (Linux; Windows: the same name as .dll)
==============================================  ==============================================
SafeNet eToken 5110 (many CAs)                  ``libeTPkcs11.so``
Gemalto/Thales IDPrime (certSIGN, DigiSign...)  ``libIDPrimePKCS11.so``
certSIGN / Bit4id tokens                        ``libbit4xpki.so``
Trans Sped (SafeNet or Bit4id hardware)         one of the above, as shipped with its kit
OpenSC-supported cards                          ``opensc-pkcs11.so``
SoftHSM2 (tests and the sandbox)                ``/usr/lib/softhsm/libsofthsm2.so``
==============================================  ==============================================

PKCS#11 calls block, so the async API runs them in a thread; one logged-in session per token is
kept behind a lock because tokens serialise operations anyway and some refuse a second login.

A wrong PIN raises :class:`WrongPin` and is never retried here: tokens lock themselves after a
few wrong tries (often 3), and unlocking needs the PUK or a trip to the CA.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pkcs11
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pkcs11 import Attribute, CertificateType, KeyType, Mechanism, MGF, ObjectClass, TokenFlag
from pkcs11 import exceptions as p11
from cryptography.x509.oid import NameOID
from pkcs11.util import biginteger

from anaf.certificates import certificate_serial_hex, common_name

SOFTHSM_MODULE = "/usr/lib/softhsm/libsofthsm2.so"

_HASH_MECHANISMS = {
    "sha1": (Mechanism.SHA_1, MGF.SHA1),
    "sha224": (Mechanism.SHA224, MGF.SHA224),
    "sha256": (Mechanism.SHA256, MGF.SHA256),
    "sha384": (Mechanism.SHA384, MGF.SHA384),
    "sha512": (Mechanism.SHA512, MGF.SHA512),
}
# What the signed statement uses: RSA-PSS, SHA-256, MGF1-SHA-256, 32-byte salt.
# Qualified certificates carry the CNP in serialNumber, which RFC 4514 prints as a bare OID.
_NAME_LABELS = {NameOID.SERIAL_NUMBER: "serialNumber"}
STATEMENT_MECHANISM = Mechanism.SHA256_RSA_PKCS_PSS
STATEMENT_MECHANISM_PARAM = (Mechanism.SHA256, MGF.SHA256, 32)


class TokenError(Exception):
    """A token problem, with a message meant for the person at the keyboard."""


class TokenNotFound(TokenError):
    pass


class WrongPin(TokenError):
    def __init__(self, flags: int = 0) -> None:
        self.tries_note = pin_tries_note(flags)
        super().__init__(
            "Wrong PIN for the token. It was not tried again: tokens lock after a few wrong "
            f"PINs. {self.tries_note} Check the PIN and run the command once more."
        )


def pin_tries_note(flags: int) -> str:
    """What the token's PKCS#11 flags say about the PIN tries left (tokens give no exact number)."""
    if flags & TokenFlag.USER_PIN_FINAL_TRY:
        return "The token says ONE try is left: one more wrong PIN locks it."
    if flags & TokenFlag.USER_PIN_COUNT_LOW:
        return ("The token says wrong PINs were entered since its last right one, so few tries "
                "are left before it locks.")
    return "The token does not say how many tries are left (many lock after 3)."


class PinLocked(TokenError):
    def __init__(self) -> None:
        super().__init__(
            "The token's PIN is locked after too many wrong tries. Unlock it with the PUK "
            "(the token's management tool) or ask the certificate authority."
        )


class KeyNotFound(TokenError):
    pass


@dataclass(frozen=True)
class CertificateInfo:
    """A certificate found on the token (certificates are public objects: no PIN needed)."""

    label: str
    subject: str
    serial_hex: str
    issuer: str
    not_before: dt.datetime
    not_after: dt.datetime
    key_id: str  # hex of CKA_ID, shared with the matching private key
    token_label: str
    der: bytes = field(repr=False)

    @property
    def certificate(self) -> x509.Certificate:
        return x509.load_der_x509_certificate(self.der)

    @property
    def holder_name(self) -> str:
        return common_name(self.certificate)

    @property
    def pem(self) -> str:
        return self.certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")

    @classmethod
    def from_der(cls, der: bytes, *, label: str, key_id: bytes, token_label: str) -> CertificateInfo:
        certificate = x509.load_der_x509_certificate(der)
        return cls(
            label=label,
            subject=certificate.subject.rfc4514_string(_NAME_LABELS),
            serial_hex=certificate_serial_hex(certificate),
            issuer=certificate.issuer.rfc4514_string(_NAME_LABELS),
            not_before=certificate.not_valid_before_utc,
            not_after=certificate.not_valid_after_utc,
            key_id=key_id.hex(),
            token_label=token_label,
            der=der,
        )


_libraries: dict[str, pkcs11.lib] = {}
_libraries_lock = threading.Lock()


def load_module(module_path: str) -> pkcs11.lib:
    """The PKCS#11 module, loaded once per process.

    Every ``pkcs11.lib`` instance finalizes the module when collected, which would close the
    sessions of any other instance of the same module: so there is exactly one per path.
    """
    with _libraries_lock:
        library = _libraries.get(module_path)
        if library is None:
            try:
                library = pkcs11.lib(module_path)
            except RuntimeError as error:
                raise TokenError(f"Cannot load the PKCS#11 module {module_path}: {error}") from error
            _libraries[module_path] = library
        return library


def _present_tokens(library: pkcs11.lib) -> list[pkcs11.Token]:
    return [t for t in library.get_tokens() if t.flags & TokenFlag.TOKEN_INITIALIZED]


def open_token(module_path: str, token_label: str | None = None) -> pkcs11.Token:
    """The token with ``token_label``, or the only one plugged in when no label is given."""
    tokens = _present_tokens(load_module(module_path))
    if token_label is not None:
        tokens = [t for t in tokens if t.label == token_label]
        if not tokens:
            raise TokenNotFound(f"No token labelled {token_label!r} is plugged in.")
    if not tokens:
        raise TokenNotFound("No token is plugged in (or the PKCS#11 module sees none).")
    if len(tokens) > 1:
        labels = ", ".join(repr(t.label) for t in tokens)
        raise TokenNotFound(f"Several tokens are plugged in ({labels}): choose one by its label.")
    return tokens[0]


def _current_flags(token: pkcs11.Token) -> int:
    """The token's flags read again now (a ``Token`` keeps the ones from when it was listed)."""
    try:
        return int(token.slot.get_token().flags)
    except p11.PKCS11Error:
        return int(token.flags)


def _login(token: pkcs11.Token, pin: str | None, *, rw: bool = False) -> pkcs11.Session:
    try:
        return token.open(rw=rw, user_pin=pin)
    except (p11.PinIncorrect, p11.PinInvalid, p11.PinLenRange) as error:
        flags = _current_flags(token)
        if flags & TokenFlag.USER_PIN_LOCKED:
            raise PinLocked() from error
        raise WrongPin(flags) from error
    except p11.PinLocked as error:
        raise PinLocked() from error


def _certificates_in(session: pkcs11.Session, token_label: str) -> list[CertificateInfo]:
    found = []
    for obj in session.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE}):
        if obj[Attribute.CERTIFICATE_TYPE] != CertificateType.X_509:
            continue
        found.append(
            CertificateInfo.from_der(
                bytes(obj[Attribute.VALUE]),
                label=obj[Attribute.LABEL],
                key_id=bytes(obj[Attribute.ID]),
                token_label=token_label,
            )
        )
    return found


def list_certificates(
    module_path: str, token_label: str | None = None, pin: str | None = None
) -> list[CertificateInfo]:
    """Certificates on one token (by label) or on every token the module sees."""
    library = load_module(module_path)
    if token_label is not None:
        tokens = [open_token(module_path, token_label)]
    else:
        tokens = _present_tokens(library)
    found: list[CertificateInfo] = []
    for token in tokens:
        with _login(token, pin) as session:
            found.extend(_certificates_in(session, token.label))
    return found


class TokenSigner:
    """One logged-in session on a token, signing with the private key of one certificate.

    Use as a context manager (``with`` or ``async with``). Signing methods ending in ``_sync``
    block and are meant for code already running in a worker thread (the TLS handshake); the
    async ones run in a thread themselves.
    """

    def __init__(
        self, module_path: str, token_label: str | None, pin: str, *, key_id: str | None = None
    ) -> None:
        self._module_path = module_path
        self._token_label = token_label
        self._pin = pin
        self._key_id = key_id
        self._lock = threading.Lock()
        self._session: pkcs11.Session | None = None
        self._private_key: Any = None
        self._certificate: CertificateInfo | None = None

    def open(self) -> TokenSigner:
        """Log in (raises :class:`WrongPin` once, no retry) and find the certificate and key."""
        token = open_token(self._module_path, self._token_label)
        session = _login(token, self._pin)
        try:
            self._certificate, self._private_key = self._choose_key(session, token.label)
        except BaseException:
            session.close()
            raise
        self._session = session
        return self

    def _choose_key(self, session: pkcs11.Session, token_label: str) -> tuple[CertificateInfo, Any]:
        candidates = _certificates_in(session, token_label)
        if self._key_id is not None:
            candidates = [c for c in candidates if c.key_id == self._key_id.lower()]
        # Several certificates: prefer the one that expires last (usually the current one).
        for info in sorted(candidates, key=lambda c: c.not_after, reverse=True):
            try:
                key = session.get_key(
                    object_class=ObjectClass.PRIVATE_KEY,
                    key_type=KeyType.RSA,
                    id=bytes.fromhex(info.key_id),
                )
            except (p11.NoSuchKey, p11.MultipleObjectsReturned):
                continue
            return info, key
        raise KeyNotFound(
            f"Token {token_label!r} holds no RSA certificate with a matching private key."
        )

    def close(self) -> None:
        with self._lock:
            if self._session is not None:
                self._session.close()
                self._session = None
                self._private_key = None

    def __enter__(self) -> TokenSigner:
        return self.open()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    async def __aenter__(self) -> TokenSigner:
        return await asyncio.to_thread(self.open)

    async def __aexit__(self, *exc_info: object) -> None:
        await asyncio.to_thread(self.close)

    @property
    def module_path(self) -> str:
        return self._module_path

    @property
    def pin(self) -> str:
        """Kept in memory for the run: a second program on the token (the TLS engine) logs in with it."""
        return self._pin

    @property
    def certificate(self) -> CertificateInfo:
        if self._certificate is None:
            raise TokenError("The token session is not open.")
        return self._certificate

    def _sign(self, data: bytes, mechanism: Mechanism, param: Any = None) -> bytes:
        with self._lock:
            if self._private_key is None:
                raise TokenError("The token session is not open.")
            # bytes, never bytearray: python-pkcs11 treats any other iterable as chunks.
            return bytes(self._private_key.sign(bytes(data), mechanism=mechanism, mechanism_param=param))

    def sign_statement_sync(self, data: bytes) -> bytes:
        """RSA-PSS over SHA-256 of ``data`` (the token hashes)."""
        return self._sign(data, STATEMENT_MECHANISM, STATEMENT_MECHANISM_PARAM)

    async def sign_statement(self, data: bytes) -> bytes:
        return await asyncio.to_thread(self.sign_statement_sync, data)

    def sign_digest_pss_sync(self, digest: bytes, hash_name: str, salt_length: int) -> bytes:
        """RSA-PSS over an already computed digest (what a TLS handshake needs)."""
        hash_mechanism, mgf = _HASH_MECHANISMS[hash_name.lower()]
        return self._sign(digest, Mechanism.RSA_PKCS_PSS, (hash_mechanism, mgf, salt_length))

    def sign_pkcs1_sync(self, digest_info: bytes) -> bytes:
        """Raw PKCS#1 v1.5 signature of a DigestInfo the caller built."""
        return self._sign(digest_info, Mechanism.RSA_PKCS)


def create_key_and_certificate(
    module_path: str,
    token_label: str,
    pin: str,
    issue: Callable[[rsa.RSAPublicKey], x509.Certificate],
    *,
    label: str,
) -> CertificateInfo:
    """Generate an RSA-2048 key pair on the token, have ``issue`` certify it, store the certificate.

    The private key is sensitive and non-extractable; key pair and certificate share one
    CKA_ID and label, which is how applications pair them.
    """
    token = open_token(module_path, token_label)
    key_id = secrets.token_bytes(8)
    with _login(token, pin, rw=True) as session:
        public, _private = session.generate_keypair(
            KeyType.RSA,
            2048,
            id=key_id,
            label=label,
            store=True,
            public_template={Attribute.VERIFY: True, Attribute.ENCRYPT: False, Attribute.WRAP: False},
            private_template={
                Attribute.SENSITIVE: True,
                Attribute.EXTRACTABLE: False,
                Attribute.PRIVATE: True,
                Attribute.SIGN: True,
                Attribute.DECRYPT: False,
                Attribute.UNWRAP: False,
            },
        )
        public_key = rsa.RSAPublicNumbers(
            int.from_bytes(public[Attribute.PUBLIC_EXPONENT], "big"),
            int.from_bytes(public[Attribute.MODULUS], "big"),
        ).public_key()
        certificate = issue(public_key)
        der = certificate.public_bytes(serialization.Encoding.DER)
        session.create_object(
            {
                Attribute.CLASS: ObjectClass.CERTIFICATE,
                Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
                Attribute.TOKEN: True,
                Attribute.PRIVATE: False,
                Attribute.LABEL: label,
                Attribute.ID: key_id,
                Attribute.SUBJECT: certificate.subject.public_bytes(),
                Attribute.ISSUER: certificate.issuer.public_bytes(),
                Attribute.SERIAL_NUMBER: _der_integer(certificate.serial_number),
                Attribute.VALUE: der,
            }
        )
    return CertificateInfo.from_der(der, label=label, key_id=key_id, token_label=token.label)


def _der_integer(value: int) -> bytes:
    """CKA_SERIAL_NUMBER holds the DER encoding of the serial INTEGER."""
    body = biginteger(value)
    if body[0] & 0x80:
        body = b"\x00" + body
    return bytes([0x02, len(body)]) + body
