"""The child process of the curl transport: one GET with libcurl, the key on the token.

Run as ``python -I -S curl_child.py [<directory holding pycurl>...]`` by
:mod:`anaf.agent.curl_transport`, with ``OPENSSL_CONF`` pointing OpenSSL's PKCS#11 engine at the
token's module. It reads the request as JSON on stdin (the PIN among it) and writes the answer as
JSON on stdout. It imports the standard library and pycurl only, so it starts quickly.
"""

from __future__ import annotations

import base64
import io
import json
import sys
from typing import Any

MAX_REDIRECTS = 8
CONNECT_TIMEOUT_SECONDS = 20
TIMEOUT_SECONDS = 90
INSTALL_HINT = (
    "build pycurl against the system's libcurl: install the libcurl development files "
    "(Debian/Ubuntu: libcurl4-openssl-dev) and run "
    "PYCURL_SSL_LIBRARY=openssl pip install --no-binary pycurl pycurl"
)
ENGINE_HINT = (
    "OpenSSL's PKCS#11 engine could not be loaded (Debian/Ubuntu: apt-get install "
    "libengine-pkcs11-openssl; macOS: brew install libp11)"
)


def pycurl_missing() -> str | None:
    """Why pycurl cannot make the call here, or None."""
    try:
        import pycurl
    except ImportError as error:
        return f"pycurl is not installed ({error}): {INSTALL_HINT}."
    if "OpenSSL" not in pycurl.version:
        return f"pycurl is built without OpenSSL ({pycurl.version}): {INSTALL_HINT}."
    return None


def _classify(error_code: int, message: str, module_path: str) -> tuple[str, str]:
    import pycurl

    if "load PKCS#11 module" in message:
        return "module", (f"OpenSSL's PKCS#11 engine could not load the token's module {module_path}: check "
                          f"--module (the token vendor's PKCS#11 library). ({message})")
    if error_code in (pycurl.E_SSL_ENGINE_NOTFOUND, pycurl.E_SSL_ENGINE_INITFAILED, pycurl.E_SSL_ENGINE_SETFAILED):
        return "engine", f"{ENGINE_HINT}, or it could not load the token's PKCS#11 module: {message}"
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
        curl.setopt(pycurl.MAXREDIRS, MAX_REDIRECTS)
        curl.setopt(pycurl.COOKIEFILE, "")  # cookies in memory: the front end's session
        curl.setopt(pycurl.HTTPHEADER, ["Accept: application/json"])
        curl.setopt(pycurl.CONNECTTIMEOUT, CONNECT_TIMEOUT_SECONDS)
        curl.setopt(pycurl.TIMEOUT, TIMEOUT_SECONDS)
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
    sys.path[:0] = sys.argv[1:]  # where pycurl is installed (the parent's environment)
    request = json.loads(sys.stdin.buffer.read())
    sys.stdout.write(json.dumps(_child(request)))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
