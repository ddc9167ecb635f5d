"""The token agent's call to ANAF's SPV ``listaMesaje``: TLS client authentication with the token key.

The SPV web service knows the caller only by the certificate in the TLS handshake, so the
handshake's signature must come from the token. Python's ``ssl`` module needs the private key
in a file, which a qualified token never gives out.

The transport is replaceable (:class:`SpvTransport`):

- :class:`CurlTransport` (the default) is libcurl on the system's OpenSSL with the PKCS#11 engine
  (see :mod:`anaf.agent.curl_transport`). ANAF's live front end asks for the client certificate by
  a TLS 1.2 renegotiation after the first request, keeps a session cookie and answers with 302s
  first: this transport renegotiates, keeps the cookie and follows the redirects.
- :class:`TlsliteTransport` (``tlslite-ng``, the signature delegated to the token through
  :class:`TokenRSAKey`) works only with a server that asks for the certificate in the first
  handshake, as the sandbox SPV does: it refuses renegotiation and does not follow redirects.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import http.client
import io
import ipaddress
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlencode, urljoin, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.verification import PolicyBuilder, Store, VerificationError
from stdnum.ro import cnp as ro_cnp
from tlslite import HandshakeSettings, HTTPTLSConnection, X509, X509CertChain
from tlslite.errors import TLSError
from tlslite.utils.rsakey import RSAKey

from anaf.agent.curl_transport import CurlTransportError, curl_get, default_trust_file
from anaf.agent.token import TokenSigner
from anaf.errors import AnafError, AnafUnavailable

LIST_PATH = "listaMesaje"
DEFAULT_DAYS = 500
_NO_MESSAGES_PREFIX = "Nu exista mesaje"
_NO_RIGHTS_PREFIX = "Nu exista niciun CIF"
_TIMEOUT_SECONDS = 60


class SpvError(AnafError):
    """The SPV service did not give a rights list; the message says what to do."""


class SpvNoMessages(SpvError):
    """No messages in the window: ANAF then omits the rights list; ask again with more days."""


class SpvNoRights(SpvError):
    """The certificate holder has rights for no CUI at all."""


class SpvConnectionRefused(SpvError):
    """The TLS handshake failed: untrusted server, or the server refused our certificate."""


class SpvTransportMissing(SpvError):
    """What the agent needs to reach the SPV with the token is missing here (pycurl, the PKCS#11
    engine, the token's module); the message says what to install."""


@dataclass(frozen=True)
class SpvRightsList:
    cnp: str
    serial: str
    cuis: list[str]
    cnps: list[str]
    fetched_at: dt.datetime


@dataclass(frozen=True)
class HttpResponse:
    status: int
    body: bytes


class SpvTransport(Protocol):
    """Performs one authenticated GET against the SPV service (blocking; run in a thread)."""

    def get(self, url: str) -> HttpResponse: ...


class CurlTransport:
    """The SPV GET through libcurl + OpenSSL's PKCS#11 engine, with the signer's token and key.

    ``ca_file``: the CAs trusted for the SPV server (None: the system's trust store or certifi).
    """

    def __init__(self, signer: TokenSigner, ca_file: str | Path | None = None) -> None:
        self._signer = signer
        self._ca_file = str(ca_file) if ca_file is not None else default_trust_file()

    def get(self, url: str) -> HttpResponse:
        certificate = self._signer.certificate
        try:
            result = curl_get(
                url, module_path=self._signer.module_path, token_label=certificate.token_label,
                key_id_hex=certificate.key_id, pin=self._signer.pin, ca_file=self._ca_file,
            )
        except CurlTransportError as error:
            if error.kind == "unreachable" or error.kind == "timeout":
                raise AnafUnavailable(error.message) from error
            if error.kind in {"untrusted", "handshake"}:
                raise SpvConnectionRefused(error.message) from error
            if error.kind in {"pycurl", "engine", "module", "token"}:
                raise SpvTransportMissing(error.message) from error
            raise SpvError(error.message) from error
        return HttpResponse(status=result.status, body=result.body)


class TokenRSAKey(RSAKey):
    """A tlslite RSA key whose private half stays on the token: every signature is a token call."""

    def __init__(self, signer: TokenSigner, public_key: rsa.RSAPublicKey) -> None:
        # RSAKey.__init__ is abstract (it raises): set what tlslite reads ourselves.
        numbers = public_key.public_numbers()
        self.n = numbers.n
        self.e = numbers.e
        self.key_type = "rsa"
        self._key_hash = None
        self._signer = signer

    def hasPrivateKey(self) -> bool:  # noqa: N802 (tlslite's name)
        return True

    def _rawPublicKeyOp(self, ciphertext: int) -> int:  # noqa: N802
        return pow(ciphertext, self.e, self.n)

    def _rawPrivateKeyOp(self, message: int) -> int:  # noqa: N802
        raise NotImplementedError("the private key never leaves the token")

    def acceptsPassword(self) -> bool:  # noqa: N802
        return False

    def write(self, password: Any = None) -> str:
        raise NotImplementedError("the private key never leaves the token")

    def sign(self, bytes: Any, padding: str = "pkcs1", hashAlg: str | None = None,  # noqa: A002, N803
             saltLen: int | None = None) -> bytearray:  # noqa: N803
        """tlslite hands over the digest; the token pads and signs it."""
        digest = _as_bytes(bytes)
        if padding.lower() == "pss":
            if hashAlg is None:
                raise ValueError("RSA-PSS needs a hash algorithm")
            salt = saltLen if saltLen is not None else len(digest)
            return bytearray(self._signer.sign_digest_pss_sync(digest, hashAlg, salt))
        if hashAlg is not None:
            digest = _as_bytes(self.addPKCS1Prefix(bytearray(digest), hashAlg))
        return bytearray(self._signer.sign_pkcs1_sync(digest))


def _as_bytes(data: Any) -> bytes:
    # python-pkcs11 iterates a bytearray as a sequence of chunks: always hand it bytes.
    return bytes(data)


def load_ca_bundle(path: str | Path) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(Path(path).read_bytes())


class _ServerCertificateChecker:
    """tlslite does not verify the server's chain: this does, before any request is sent."""

    def __init__(self, host: str, trusted: Sequence[x509.Certificate]) -> None:
        try:
            subject: x509.GeneralName = x509.IPAddress(ipaddress.ip_address(host))
        except ValueError:
            subject = x509.DNSName(host)
        self._verifier = PolicyBuilder().store(Store(list(trusted))).build_server_verifier(subject)

    def __call__(self, connection: Any) -> None:
        chain = connection.session.serverCertChain
        if chain is None or not chain.x509List:
            raise SpvConnectionRefused("The SPV server presented no certificate.")
        certificates = [x509.load_der_x509_certificate(_as_bytes(c.bytes)) for c in chain.x509List]
        try:
            self._verifier.verify(certificates[0], certificates[1:])
        except VerificationError as error:
            raise SpvConnectionRefused(f"The SPV server's certificate is not trusted: {error}") from error


class _BufferedResponse(http.client.HTTPResponse):
    """tlslite's ``makefile`` gives an unbuffered stream whose ``read(n)`` stops at one TLS record
    (16 KiB), which ``http.client`` takes for a truncated body: buffer it."""

    def __init__(self, sock: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(sock, *args, **kwargs)
        self.fp = io.BufferedReader(self.fp)


class TlsliteTransport:
    """TLS 1.2 with the token key through tlslite-ng (no renegotiation; see the module docstring).

    TLS 1.3 from tlslite-ng failed against Python's ``ssl`` server with client certificates, so
    the client stays at TLS 1.2, which ANAF's front end speaks too.
    """

    def __init__(self, signer: TokenSigner, certificate: x509.Certificate,
                 trusted: Sequence[x509.Certificate]) -> None:
        public_key = certificate.public_key()
        if not isinstance(public_key, rsa.RSAPublicKey):
            raise SpvError("Only RSA certificates are supported for the SPV call.")
        chain = X509()
        chain.parseBinary(bytearray(certificate.public_bytes(Encoding.DER)))
        self._chain = X509CertChain([chain])
        self._key = TokenRSAKey(signer, public_key)
        self._trusted = list(trusted)

    def get(self, url: str) -> HttpResponse:
        parts = urlsplit(url)
        if parts.scheme != "https" or not parts.hostname:
            raise SpvError(f"The SPV address must be an https:// URL, not {url!r}.")
        settings = HandshakeSettings()
        settings.maxVersion = (3, 3)
        connection = HTTPTLSConnection(
            parts.hostname, parts.port or 443, timeout=_TIMEOUT_SECONDS,
            certChain=self._chain, privateKey=self._key, settings=settings,
            checker=_ServerCertificateChecker(parts.hostname, self._trusted),
        )
        connection.response_class = _BufferedResponse
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        try:
            connection.request("GET", target, headers={"Accept": "application/json"})
            response = connection.getresponse()
            return HttpResponse(status=response.status, body=response.read())
        except SpvError:
            raise
        except (TLSError, ConnectionError) as error:
            raise SpvConnectionRefused(
                f"The secure connection to the SPV service failed ({type(error).__name__}: {error}). "
                "Is the certificate on the token accepted by this service?"
            ) from error
        except OSError as error:
            raise AnafUnavailable(f"The SPV service at {parts.netloc} cannot be reached: {error}") from error
        finally:
            connection.close()


def split_rights(listed: str) -> tuple[list[str], list[str]]:
    """``cui`` as the SPV sends it ("cui1,cui2,cnp,...") → (CUIs, CNPs), order kept, no repeats."""
    cuis: list[str] = []
    cnps: list[str] = []
    for item in dict.fromkeys(part.strip() for part in listed.split(",")):
        if not item:
            continue
        (cnps if len(item) == 13 and ro_cnp.is_valid(item) else cuis).append(item)
    return cuis, cnps


def parse_rights_answer(body: bytes, *, days: int, now: dt.datetime) -> SpvRightsList:
    try:
        answer = json.loads(body)
    except ValueError as error:
        raise SpvError("The SPV service answered with something other than JSON.") from error
    if not isinstance(answer, dict):
        raise SpvError("The SPV service answered with an unexpected shape.")
    error_text = answer.get("eroare")
    if error_text:
        if error_text.startswith(_NO_MESSAGES_PREFIX):
            raise SpvNoMessages(
                f"ANAF says: {error_text}. Without messages it does not list the rights; "
                f"ask again with more days (now {days})."
            )
        if error_text.startswith(_NO_RIGHTS_PREFIX):
            raise SpvNoRights(f"ANAF says: {error_text}. This certificate has rights for no company.")
        raise SpvError(f"ANAF says: {error_text}")
    if "cui" not in answer or "serial" not in answer:
        raise SpvError("The SPV answer holds no rights list (no 'cui'/'serial').")
    cuis, cnps = split_rights(str(answer["cui"]))
    return SpvRightsList(
        cnp=str(answer.get("cnp", "")),
        serial=str(answer["serial"]),
        cuis=cuis,
        cnps=cnps,
        fetched_at=now,
    )


def rights_url(spv_base_url: str, days: int) -> str:
    base = spv_base_url if spv_base_url.endswith("/") else spv_base_url + "/"
    return urljoin(base, LIST_PATH) + "?" + urlencode({"zile": days})


def fetch_rights_sync(
    spv_base_url: str, signer: TokenSigner, certificate: x509.Certificate, *,
    days: int = DEFAULT_DAYS, ca_bundle: str | Path | None = None, transport: SpvTransport | None = None,
) -> SpvRightsList:
    """``ca_bundle``: the CAs trusted for the SPV server (None: the system's trust store)."""
    chosen = transport or CurlTransport(signer, ca_bundle)
    response = chosen.get(rights_url(spv_base_url, days))
    if response.status >= 500:
        raise AnafUnavailable(f"The SPV service is unavailable (HTTP {response.status}).")
    if response.status != 200:
        raise SpvError(f"The SPV service refused the request (HTTP {response.status}).")
    return parse_rights_answer(response.body, days=days, now=dt.datetime.now(dt.timezone.utc))


async def fetch_rights(
    spv_base_url: str, signer: TokenSigner, certificate: x509.Certificate, *,
    days: int = DEFAULT_DAYS, ca_bundle: str | Path | None = None, transport: SpvTransport | None = None,
) -> SpvRightsList:
    """Every CUI and CNP the certificate's holder has SPV rights for, asked of ANAF with the token."""
    return await asyncio.to_thread(
        fetch_rights_sync, spv_base_url, signer, certificate,
        days=days, ca_bundle=ca_bundle, transport=transport,
    )
