"""A test host that behaves like ANAF's SPV front end (an F5 appliance), in front of the sandbox SPV answers.

ANAF's live SPV service does not ask for the client certificate in the first TLS handshake: the
front end answers on plain server-authenticated TLS 1.2, asks for the certificate by a
renegotiation once a request for ``/SPVWS2`` arrives, sends a client without its ``MRHSession``
cookie to ``/my.policy`` (302), which sets the cookie and sends it back (302), and only then
forwards the request. This host plays that with Apache 2.4 (its own config, PidFile and port on
127.0.0.1):

- ``SSLVerifyClient none`` on the host and ``SSLVerifyClient require`` inside ``<Location /SPVWS2>``:
  the per-location requirement forces a renegotiation on that path (logged as AH02221);
- ``/SPVWS2`` without the cookie → 302 to ``/my.policy`` (a CGI), remembering the URL in a cookie;
- ``/my.policy`` (a CGI) accepts only a connection whose client certificate verified, sets
  ``MRHSession`` and 302s back;
- with the cookie, the request is proxied to a small backend that answers what the sandbox SPV
  would answer the holder of the forwarded client certificate.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import shutil
import subprocess
import tempfile
import textwrap
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote

from cryptography import x509
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from anaf.certificates import certificate_serial_hex
from anaf.sandbox.ca import ca_certificate_path, server_credentials_paths
from anaf.sandbox.dataset import get_dataset
from anaf.sandbox.spv import list_messages_answer
from tests.support.processes import free_port, stop
from tests.support.requirements import service_missing
from tests.support.servers import serve

APACHE = shutil.which("apache2") or "/usr/sbin/apache2"
MODULES_DIR = Path("/usr/lib/apache2/modules")
CLIENT_CERT_HEADER = "X-Client-Cert"
_MODULES = ("mpm_prefork", "authz_core", "socache_shmcb", "ssl", "rewrite", "proxy", "proxy_http",
            "headers", "cgi", "alias")

# Shell CGIs: they start in a millisecond, so the host's own cost stays small beside the TLS work.
_POLICY_CGI = """\
#!/bin/sh
# The F5 access policy: only a connection whose client certificate verified gets a session, then
# the client goes back where it first asked for.
if [ "$SSL_CLIENT_VERIFY" != "SUCCESS" ]; then
  printf 'Status: 403 Forbidden\\r\\nContent-Type: text/plain\\r\\n\\r\\nno client certificate\\n'
  exit 0
fi
back=$(printf '%s' "$HTTP_COOKIE" | sed -n 's/.*F5_return=\\([^;]*\\).*/\\1/p')
case "$back" in /*) ;; *) back=/ ;; esac
session=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \\n')
printf 'Status: 302 Found\\r\\nSet-Cookie: MRHSession=%s; path=/; secure; HttpOnly\\r\\nSet-Cookie: F5_return=; path=/; max-age=0\\r\\nLocation: %s\\r\\n\\r\\n' "$session" "$back"
"""

_LANDING_CGI = """\
#!/bin/sh
# The front end's first answer to a client without a session: remember where it asked for, 302 to
# the access policy.
printf 'Status: 302 Found\\r\\nSet-Cookie: F5_return=%s; path=/; secure\\r\\nLocation: /my.policy\\r\\n\\r\\n' "$REQUEST_URI"
"""


def apache_missing_reason() -> str | None:
    if not os.path.exists(APACHE):
        return "apache2 is not installed (the SPV front-end test host needs it: apt-get install apache2)"
    missing = [m for m in _MODULES if not (MODULES_DIR / f"mod_{m}.so").exists()]
    if missing:
        return f"apache2 lacks the modules {', '.join(missing)}"
    return None


def require_apache() -> None:
    reason = apache_missing_reason()
    if reason:
        service_missing(reason)


def require_curl() -> None:
    """The agent's transport to the front end: pycurl on the system's libcurl + the PKCS#11 engine."""
    from anaf.agent.curl_transport import pycurl_missing

    reason = pycurl_missing()
    if reason is None and not _engine_installed():
        reason = "OpenSSL's PKCS#11 engine is not installed (apt-get install libengine-pkcs11-openssl)"
    if reason:
        service_missing(reason)


def _engine_installed() -> bool:
    completed = subprocess.run(["openssl", "version", "-e"], capture_output=True, text=True)
    directory = completed.stdout.split('"')[1] if completed.returncode == 0 and '"' in completed.stdout else ""
    return bool(directory) and os.path.exists(os.path.join(directory, "pkcs11.so"))


def spv_backend() -> Starlette:
    """What the sandbox SPV answers the holder of the certificate the front end forwards."""
    dataset = get_dataset()

    async def list_messages(request: Request) -> JSONResponse:
        pem = unquote(request.headers.get(CLIENT_CERT_HEADER, "")).strip()
        if not pem.startswith("-----BEGIN CERTIFICATE-----"):
            return JSONResponse({"error": "no client certificate forwarded"}, status_code=403)
        serial = certificate_serial_hex(x509.load_pem_x509_certificate(pem.encode()))
        status, body = list_messages_answer(
            dataset.holder_by_serial(serial), parse_qs(request.url.query),
            now=dt.datetime.now(dt.timezone.utc), path=request.url.path,
        )
        return JSONResponse(body, status_code=status)

    return Starlette(routes=[Route("/SPVWS2/rest/listaMesaje", list_messages)])


def _config(root: Path, port: int, backend: str, certificate: Path, key: Path, client_ca: Path) -> str:
    modules = "\n".join(f"LoadModule {m}_module {MODULES_DIR}/mod_{m}.so" for m in _MODULES)
    return textwrap.dedent(f"""\
        ServerRoot "{root}"
        {modules}
        ServerName 127.0.0.1
        Listen 127.0.0.1:{port}
        PidFile "{root}/apache.pid"
        ErrorLog "{root}/error.log"
        LogLevel warn ssl:debug
        LogFormat "%r %>s" front
        CustomLog "{root}/access.log" front
        DefaultRuntimeDir "{root}"
        Mutex file:{root}
        StartServers 2
        MinSpareServers 1
        MaxSpareServers 4
        SSLSessionCache "shmcb:{root}/ssl_scache(65536)"

        <VirtualHost 127.0.0.1:{port}>
          SSLEngine on
          SSLProtocol -all +TLSv1.2
          SSLCertificateFile "{certificate}"
          SSLCertificateKeyFile "{key}"
          SSLCACertificateFile "{client_ca}"
          SSLVerifyClient none
          SSLOptions +StdEnvVars +ExportCertData

          ScriptAlias /my.policy "{root}/cgi/policy"
          ScriptAlias /front/landing "{root}/cgi/landing"

          RewriteEngine on
          RewriteCond %{{HTTP_COOKIE}} !(^|;\\s*)MRHSession=[0-9a-f]+
          RewriteRule ^/SPVWS2/ /front/landing [PT]

          <Location /my.policy>
            SSLVerifyClient require
            SSLVerifyDepth 3
          </Location>

          <Location /SPVWS2>
            SSLVerifyClient require
            SSLVerifyDepth 3
            RequestHeader set {CLIENT_CERT_HEADER} "%{{SSL_CLIENT_CERT}}s"
            ProxyPass "{backend}/SPVWS2"
          </Location>
        </VirtualHost>
        """)


@dataclass
class FrontEnd:
    root: Path
    port: int
    process: subprocess.Popen

    @property
    def base_url(self) -> str:
        return f"https://127.0.0.1:{self.port}/SPVWS2/rest/"

    def access_log(self) -> list[str]:
        path = self.root / "access.log"
        return path.read_text().splitlines() if path.exists() else []

    def renegotiations(self) -> int:
        """How many times the host asked a client for its certificate by renegotiating."""
        path = self.root / "error.log"
        return path.read_text().count("AH02221") if path.exists() else 0


def _write_cgi(path: Path, text: str) -> None:
    path.write_text(text)
    path.chmod(0o755)


@asynccontextmanager
async def spv_front_end(*, certificate: Path | None = None, key: Path | None = None) -> AsyncIterator[FrontEnd]:
    """Apache as ANAF's front end on a free 127.0.0.1 port, the sandbox answers behind it.

    ``certificate``/``key``: the server's TLS identity (default: the sandbox CA's server certificate).
    Client certificates are trusted from the sandbox CA, as the sandbox SPV does.
    """
    require_apache()
    default_certificate, default_key = server_credentials_paths()
    # Apache's children run as an unprivileged user when started by root: their directory must be
    # reachable by it (a pytest tmp_path is not), so it is a fresh temporary one, removed afterwards.
    root = Path(tempfile.mkdtemp(prefix="spv-front-end-"))
    root.chmod(0o755)
    (root / "cgi").mkdir(mode=0o755)
    _write_cgi(root / "cgi" / "policy", _POLICY_CGI)
    _write_cgi(root / "cgi" / "landing", _LANDING_CGI)
    async with serve(spv_backend()) as backend:
        port = free_port()
        config = root / "apache.conf"
        config.write_text(_config(root, port, backend, certificate or default_certificate, key or default_key,
                                  ca_certificate_path()))
        process = subprocess.Popen([APACHE, "-f", str(config), "-DFOREGROUND"], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE, start_new_session=True)  # it signals its group
        front = FrontEnd(root=root, port=port, process=process)
        try:
            await _wait_listening(front)
            yield front
        finally:
            await stop(process, grace=10)
            shutil.rmtree(root, ignore_errors=True)


async def _wait_listening(front: FrontEnd) -> None:
    for _ in range(500):
        if front.process.poll() is not None:
            errors = front.process.stderr.read().decode(errors="replace") if front.process.stderr else ""
            log = (front.root / "error.log").read_text() if (front.root / "error.log").exists() else ""
            raise RuntimeError(f"apache2 exited with {front.process.returncode}: {errors}{log[-2000:]}")
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", front.port)
            writer.close()
            return
        except OSError:
            await asyncio.sleep(0.02)
    raise RuntimeError("apache2 did not start listening")
