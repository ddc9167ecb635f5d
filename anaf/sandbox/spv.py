"""The sandbox SPV web service: ``GET /SPVWS2/rest/listaMesaje`` over TLS with client certificates.

ANAF's SPV service knows the caller only by the qualified certificate presented in the TLS
handshake, and answers with every CUI/CNP that certificate's holder has rights for (ANAF.md §3).
The sandbox does the same with its own CA: the TLS layer refuses any client without a
certificate issued by the sandbox CA (or with an expired one), and the holder is looked up by the
certificate's serial number in the sandbox data set.

It is a small asyncio HTTPS server rather than an ASGI app because ASGI servers do not hand the
peer certificate to the application. It answers one GET per connection, which is all ANAF's
clients do.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import json
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cryptography import x509

from anaf.certificates import certificate_serial_hex
from anaf.sandbox.ca import ca_certificate_path, server_credentials_paths
from anaf.sandbox.dataset import Dataset, Holder, get_dataset

LIST_PATH = "/SPVWS2/rest/listaMesaje"
TITLE_LIST = "Lista Mesaje"
NO_RIGHTS_TEXT = "Nu exista niciun CIF pentru care sa aveti drept in SPV"
# Sandbox messages are between these many days old: a narrow window finds none, ANAF's own
# example of 500 days finds them all.
OLDEST_MESSAGE_DAYS = 360
NEWEST_MESSAGE_DAYS = 30
_MESSAGE_EVERY_NTH_RIGHT = 5
_REQUEST_HEAD_LIMIT = 16 * 1024
_READ_TIMEOUT_SECONDS = 10


def _no_messages_text(days: int) -> str:
    return f"Nu exista mesaje in ultimele {days} zile"


def _message_age_days(right: str) -> int:
    span = OLDEST_MESSAGE_DAYS - NEWEST_MESSAGE_DAYS + 1
    return NEWEST_MESSAGE_DAYS + int(right) % span


def _messages(holder: Holder, now: dt.datetime) -> list[dict[str, Any]]:
    """A few deterministic SPV messages (receipts) for some of the holder's rights, newest first."""
    rights = [*holder.cuis, *holder.cnps]
    messages = []
    for right in rights[::_MESSAGE_EVERY_NTH_RIGHT]:
        created = (now - dt.timedelta(days=_message_age_days(right))).replace(
            hour=10, minute=0, second=0, microsecond=0
        )
        digest = int(hashlib.sha256(f"{holder.serial}:{right}".encode()).hexdigest()[:12], 16)
        messages.append(
            {
                "id": str(3_000_000_000 + digest % 1_000_000_000),
                "detalii": f"recipisa pentru CIF {right}, tip D112, numar_inregistrare INTERNT-{digest % 10**9}",
                "cif": right,
                "data_creare": created.strftime("%d.%m.%Y %H:%M:%S"),
                "id_solicitare": str(digest % 10**10),
                "tip": "RECIPISA",
            }
        )
    messages.sort(key=lambda m: _message_age_days(m["cif"]))
    return messages


def _bad_request(status: HTTPStatus, message: str, path: str) -> tuple[int, dict[str, Any]]:
    return status.value, {
        "timestamp": dt.datetime.now(dt.timezone.utc).isoformat(),
        "status": status.value,
        "error": status.phrase,
        "message": message,
        "path": path,
    }


def list_messages_answer(
    holder: Holder | None, query: Mapping[str, list[str]], *, now: dt.datetime, path: str = LIST_PATH
) -> tuple[int, dict[str, Any]]:
    """The status and JSON body ANAF's SPV ``listaMesaje`` gives this holder for this query."""
    raw_days = query.get("zile", [""])[0]
    if not raw_days:
        return _bad_request(HTTPStatus.BAD_REQUEST, "Required parameter 'zile' is not present", path)
    try:
        days = int(raw_days)
    except ValueError:
        return _bad_request(HTTPStatus.BAD_REQUEST, f"Parametrul zile={raw_days} nu este un numar", path)
    if holder is None or not (holder.cuis or holder.cnps):
        return 200, {"titlu": TITLE_LIST, "eroare": NO_RIGHTS_TEXT}
    rights = [*holder.cuis, *holder.cnps]
    cif = query.get("cif", [""])[0].strip()
    if cif and not cif.isdigit():
        return 200, {"titlu": TITLE_LIST, "eroare": f"CIF introdus= {cif} nu este un numar"}
    if cif and cif not in rights:
        return 200, {"titlu": TITLE_LIST, "eroare": f"Nu aveti drept in SPV pentru CIF={cif}"}
    in_window = [
        m for m in _messages(holder, now)
        if _message_age_days(m["cif"]) <= days and (not cif or m["cif"] == cif)
    ]
    if not in_window:
        return 200, {"titlu": TITLE_LIST, "eroare": _no_messages_text(days)}
    return 200, {
        "titlu": f"Lista Mesaje disponibile din ultimele {days} zile",
        "mesaje": in_window,
        "cnp": holder.cnp,
        "cui": ",".join(rights),
        "serial": holder.serial,
    }


def server_ssl_context(ca_dir: Path | None = None) -> ssl.SSLContext:
    """TLS that refuses clients without a valid certificate from the sandbox CA."""
    certificate_file, key_file = server_credentials_paths(ca_dir)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(certificate_file, key_file)
    context.load_verify_locations(cafile=ca_certificate_path(ca_dir))
    context.verify_mode = ssl.CERT_REQUIRED
    return context


class _SpvHandler:
    def __init__(self, dataset: Dataset) -> None:
        self._dataset = dataset

    def _holder(self, writer: asyncio.StreamWriter) -> Holder | None:
        ssl_object = writer.get_extra_info("ssl_object")
        der = ssl_object.getpeercert(binary_form=True) if ssl_object else None
        if not der:  # CERT_REQUIRED makes this unreachable; never answer without a holder
            return None
        serial = certificate_serial_hex(x509.load_der_x509_certificate(der))
        return self._dataset.holder_by_serial(serial)

    async def __call__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), _READ_TIMEOUT_SECONDS)
            method, target, _version = head.split(b"\r\n", 1)[0].decode("latin-1").split(" ", 2)
            status, body = self._answer(method, target, writer)
            payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
            writer.write(
                f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\n"
                "Content-Type: application/json;charset=UTF-8\r\n"
                f"Content-Length: {len(payload)}\r\n"
                "Connection: close\r\n\r\n".encode("latin-1") + payload
            )
            await writer.drain()
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError, TimeoutError,
                ConnectionError, ssl.SSLError):
            pass  # a client that went away or spoke no HTTP gets nothing
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError, ssl.SSLError, TimeoutError):
                await writer.wait_closed()

    def _answer(self, method: str, target: str, writer: asyncio.StreamWriter) -> tuple[int, dict[str, Any]]:
        url = urlsplit(target)
        if url.path != LIST_PATH:
            return _bad_request(HTTPStatus.NOT_FOUND, "Not Found", url.path)
        if method != "GET":
            return _bad_request(HTTPStatus.METHOD_NOT_ALLOWED, f"Request method '{method}' not supported", url.path)
        return list_messages_answer(
            self._holder(writer), parse_qs(url.query), now=dt.datetime.now(dt.timezone.utc)
        )


@dataclass
class SpvServer:
    """A running sandbox SPV service."""

    server: asyncio.Server
    host: str
    port: int

    @property
    def base_url(self) -> str:
        return f"https://{self.host}:{self.port}/SPVWS2/rest/"

    def close(self) -> None:
        self.server.close()

    async def wait_closed(self) -> None:
        await self.server.wait_closed()


async def start_spv_server(
    host: str = "127.0.0.1", port: int = 0, *, ca_dir: Path | None = None, dataset: Dataset | None = None
) -> SpvServer:
    """Start serving on ``host:port`` (0 picks a free port) and return at once."""
    server = await asyncio.start_server(
        _SpvHandler(dataset or get_dataset()),
        host,
        port,
        ssl=server_ssl_context(ca_dir),
        limit=_REQUEST_HEAD_LIMIT,
        ssl_handshake_timeout=_READ_TIMEOUT_SECONDS,
    )
    bound_port = server.sockets[0].getsockname()[1]
    return SpvServer(server=server, host=host, port=bound_port)


def run_spv_server(host: str = "127.0.0.1", port: int = 8443) -> None:
    """Serve until interrupted (the ``portofoliu sandbox spv`` command)."""

    async def serve() -> None:
        spv = await start_spv_server(host, port)
        print(f"Sandbox SPV service on {spv.base_url}listaMesaje (client certificate required)")
        print(f"Clients trust the sandbox CA in {ca_certificate_path()}")
        async with spv.server:
            await spv.server.serve_forever()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve())
