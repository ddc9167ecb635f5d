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

The transfer runs in a short-lived child process (``python -m anaf.agent.curl_transport``) whose
OpenSSL configuration points the engine at the chosen module: OpenSSL reads its configuration once
per process, and the agent's own process already holds the token through python-pkcs11. The PIN
goes to the child on its standard input, never on its command line or in its environment.
"""

from __future__ import annotations

import base64
import json
import os
import ssl
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

_MAX_REDIRECTS = 8
_CONNECT_TIMEOUT_SECONDS = 20
_TIMEOUT_SECONDS = 90
_INSTALL_HINT = (
    "build pycurl against the system's libcurl: install the libcurl development files "
    "(Debian/Ubuntu: libcurl4-openssl-dev) and run "
    "PYCURL_SSL_LIBRARY=openssl pip install --no-binary pycurl pycurl"
)
_ENGINE_HINT = (
    "OpenSSL's PKCS#11 engine could not be loaded (Debian/Ubuntu: apt-get install "
    "libengine-pkcs11-openssl; macOS: brew install libp11)"
)


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
    try:
        import pycurl
    except ImportError as error:
        return f"pycurl is not installed ({error}): {_INSTALL_HINT}."
    if "OpenSSL" not in pycurl.version:
        return f"pycurl is built without OpenSSL ({pycurl.version}): {_INSTALL_HINT}."
    return None


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
        try:
            completed = subprocess.run(
                [sys.executable, "-m", "anaf.agent.curl_transport"], input=json.dumps(request).encode(),
                capture_output=True, env=environment, timeout=_TIMEOUT_SECONDS + 30,
                cwd=_package_root(),
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


def _package_root() -> str:
    return str(Path(__file__).resolve().parents[2])


# --- the child process -------------------------------------------------------------------------

def _classify(error_code: int, message: str, module_path: str) -> tuple[str, str]:
    import pycurl

    if "load PKCS#11 module" in message:
        return "module", (f"OpenSSL's PKCS#11 engine could not load the token's module {module_path}: check "
                          f"--module (the token vendor's PKCS#11 library). ({message})")
    if error_code in (pycurl.E_SSL_ENGINE_NOTFOUND, pycurl.E_SSL_ENGINE_INITFAILED, pycurl.E_SSL_ENGINE_SETFAILED):
        return "engine", f"{_ENGINE_HINT}, or it could not load the token's PKCS#11 module: {message}"
    if error_code == pycurl.E_SSL_CERTPROBLEM:
        return "token", (f"The certificate or key on the token could not be used (wrong PIN, or the PKCS#11 "
                         f"module cannot reach the token): {message}")
    if error_code in (pycurl.E_PEER_FAILED_VERIFICATION, pycurl.E_SSL_CACERT_BADFILE):
        return "untrusted", f"The SPV server's certificate is not trusted: {message}"
    if error_code in (pycurl.E_COULDNT_CONNECT, pycurl.E_COULDNT_RESOLVE_HOST, pycurl.E_OPERATION_TIMEDOUT):
        return "unreachable", f"The SPV service cannot be reached: {message}"
    if error_code == pycurl.E_TOO_MANY_REDIRECTS:
        return "redirects", f"The SPV service kept redirecting: {message}"
    if error_code in (pycurl.E_SSL_CONNECT_ERROR, pycurl.E_RECV_ERROR, pycurl.E_SEND_ERROR, pycurl.E_GOT_NOTHING):
        return "handshake", (f"The secure connection to the SPV service failed ({message}). Is the certificate "
                             "on the token accepted by this service?")
    return "curl", f"The SPV request failed (curl error {error_code}): {message}"


def _child(request: dict[str, Any]) -> dict[str, Any]:
    missing = pycurl_missing()
    if missing:
        return {"error": "pycurl", "message": missing}
    import io

    import pycurl

    body = io.BytesIO()
    curl = pycurl.Curl()
    try:
        # The engine is loaded (and may fail) as soon as it is named: every option inside the try.
        curl.setopt(pycurl.URL, request["url"])
        curl.setopt(pycurl.HTTP_VERSION, pycurl.CURL_HTTP_VERSION_1_1)  # HTTP/2 cannot renegotiate
        curl.setopt(pycurl.SSLVERSION, pycurl.SSLVERSION_TLSv1_2 | pycurl.SSLVERSION_MAX_TLSv1_2)
        curl.setopt(pycurl.SSLENGINE, "pkcs11")
        curl.setopt(pycurl.SSLCERTTYPE, "ENG")
        curl.setopt(pycurl.SSLCERT, request["certificate"])
        curl.setopt(pycurl.SSLKEYTYPE, "ENG")
        curl.setopt(pycurl.SSLKEY, request["key"])
        curl.setopt(pycurl.KEYPASSWD, request["pin"])
        curl.setopt(pycurl.CAINFO, request["ca_file"])
        curl.unsetopt(pycurl.CAPATH)  # only the named trust, never the compiled-in directory too
        curl.setopt(pycurl.SSL_VERIFYPEER, 1)
        curl.setopt(pycurl.SSL_VERIFYHOST, 2)
        curl.setopt(pycurl.FOLLOWLOCATION, 1)
        curl.setopt(pycurl.MAXREDIRS, _MAX_REDIRECTS)
        curl.setopt(pycurl.COOKIEFILE, "")  # cookies in memory: the front end's session
        curl.setopt(pycurl.HTTPHEADER, ["Accept: application/json"])
        curl.setopt(pycurl.CONNECTTIMEOUT, _CONNECT_TIMEOUT_SECONDS)
        curl.setopt(pycurl.TIMEOUT, _TIMEOUT_SECONDS)
        curl.setopt(pycurl.NOSIGNAL, 1)
        curl.setopt(pycurl.WRITEDATA, body)
        curl.perform()
    except pycurl.error as error:
        code, message = error.args
        kind, text = _classify(code, message, request.get("module", "?"))
        return {"error": kind, "message": text}
    else:
        return {
            "status": curl.getinfo(pycurl.RESPONSE_CODE),
            "body": base64.b64encode(body.getvalue()).decode("ascii"),
            "redirects": curl.getinfo(pycurl.REDIRECT_COUNT),
            "seconds": curl.getinfo(pycurl.TOTAL_TIME),
        }
    finally:
        curl.close()


def main() -> None:
    request = json.loads(sys.stdin.buffer.read())
    sys.stdout.write(json.dumps(_child(request)))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
