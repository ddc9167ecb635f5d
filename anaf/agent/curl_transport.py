"""The SPV call as ANAF's live front end wants it: libcurl + OpenSSL + the PKCS#11 engine.

ANAF's SPV front end asks for the client certificate by a TLS 1.2 renegotiation after the first
request, keeps a session cookie (``MRHSession``) and answers the first requests with 302s. libcurl
on the system's OpenSSL does all three, and signs the handshake on the token through OpenSSL's
PKCS#11 engine (libp11): the private key never leaves the token.

What it needs on the accountant's computer:

- ``pycurl`` built from source against the system's libcurl (the PyPI wheel carries its own
  OpenSSL, which cannot load the system's engine): ``PYCURL_SSL_LIBRARY=openssl pip install
  --no-binary pycurl pycurl`` with the libcurl development files installed;
- the PKCS#11 engine for OpenSSL (Debian/Ubuntu: ``libengine-pkcs11-openssl``);
- the token vendor's PKCS#11 module (``--module``).

The transfer runs in a short-lived child process (:mod:`anaf.agent.curl_child`) whose OpenSSL
configuration points the engine at the chosen module: OpenSSL reads its configuration once per
process, and the agent's own process already holds the token through python-pkcs11. The PIN goes
to the child on its standard input, never on its command line or in its environment.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import os
import ssl
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from anaf.agent import curl_child

_CHILD = Path(curl_child.__file__).resolve()


@dataclass(frozen=True)
class CurlResult:
    status: int
    body: bytes
    redirects: int
    seconds: float


class CurlTransportError(Exception):
    """The child could not make the request; ``kind`` says which part failed."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


def pkcs11_uri(token_label: str, key_id_hex: str, kind: str) -> str:
    """RFC 7512 URI of the certificate (``kind="cert"``) or private key (``"private"``) on the token."""
    key_id = "".join(f"%{byte:02x}" for byte in bytes.fromhex(key_id_hex))
    return f"pkcs11:token={quote(token_label, safe='')};id={key_id};type={kind}"


def default_trust_file() -> str:
    """The trust store for a server with a public certificate: ``SSL_CERT_FILE`` when set (OpenSSL's
    own variable), else the system's bundle, else certifi's."""
    explicit = os.environ.get("SSL_CERT_FILE")
    if explicit:
        return explicit
    system = ssl.get_default_verify_paths().cafile
    if system and os.path.exists(system):
        return system
    import certifi

    return certifi.where()


def openssl_config(module_path: str) -> str:
    """An OpenSSL configuration that points the PKCS#11 engine at ``module_path``."""
    return (
        "openssl_conf = openssl_init\n"
        "[openssl_init]\n"
        "engines = engine_section\n"
        "[engine_section]\n"
        "pkcs11 = pkcs11_section\n"
        "[pkcs11_section]\n"
        "engine_id = pkcs11\n"
        f"MODULE_PATH = {module_path}\n"
        "init = 0\n"
    )


def pycurl_missing() -> str | None:
    """Why the curl transport cannot run here, or None."""
    return curl_child.pycurl_missing()


def _pycurl_directory() -> str | None:
    """Where pycurl is installed, found without importing it (the child starts without ``site``)."""
    spec = importlib.util.find_spec("pycurl")
    if spec is None or spec.origin is None:
        return None
    origin = Path(spec.origin)
    return str(origin.parent.parent if origin.name == "__init__.py" else origin.parent)


def curl_get(url: str, *, module_path: str, token_label: str, key_id_hex: str, pin: str,
             ca_file: str | Path) -> CurlResult:
    """GET ``url`` with the token's certificate (renegotiation, cookies and redirects allowed)."""
    request = {
        "url": url,
        "certificate": pkcs11_uri(token_label, key_id_hex, "cert"),
        "key": pkcs11_uri(token_label, key_id_hex, "private"),
        "pin": pin,
        "ca_file": str(ca_file),
        "module": module_path,
    }
    with tempfile.TemporaryDirectory(prefix="portofoliu-agent-") as directory:
        config = Path(directory) / "openssl.cnf"
        config.write_text(openssl_config(module_path))
        environment = {**os.environ, "OPENSSL_CONF": str(config)}
        # -I -S: isolated (no PYTHON* variables, not its own directory on the path: anaf/agent/token.py
        # would hide the standard library's), no site; the child needs the standard library and pycurl only.
        command = [sys.executable, "-I", "-S", str(_CHILD), *filter(None, [_pycurl_directory()])]
        try:
            completed = subprocess.run(
                command, input=json.dumps(request).encode(), capture_output=True, env=environment,
                timeout=curl_child.TIMEOUT_SECONDS + 30,
            )
        except subprocess.TimeoutExpired as error:
            raise CurlTransportError("timeout", "The SPV request did not finish in time.") from error
    try:
        answer = json.loads(completed.stdout)
    except ValueError:
        detail = completed.stderr.decode(errors="replace").strip().splitlines()[-1:] or [f"exit {completed.returncode}"]
        raise CurlTransportError("crash", f"The SPV request process failed: {detail[0]}") from None
    if "error" in answer:
        raise CurlTransportError(answer["error"], answer["message"])
    return CurlResult(status=answer["status"], body=base64.b64decode(answer["body"]),
                      redirects=answer["redirects"], seconds=answer["seconds"])
