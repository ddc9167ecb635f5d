"""The mail transport: SMTP through aiosmtplib, or — without `SMTP_URL` — a log line per message.

`SMTP_URL` is `smtp://[user:pass@]host[:port]` (STARTTLS when the server offers it, and required on
port 587) or `smtps://[user:pass@]host[:port]` (TLS from the first byte, port 465 by default); a
user name turns on AUTH. A mailer hands out one connection per batch (`async with
mailer.connection() as conn: await conn.send(mail)`), so a batch of messages costs one TCP + TLS
handshake and one login.

Errors are sorted by what the sender should do: `MailUnavailable` (no server, TLS or login failed,
connection lost) means "try again later, the message is not at fault"; `MailRejected` means the
server refused this message, permanently (5xx) or for now (4xx).
"""

from __future__ import annotations

import logging
import ssl
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from typing import AsyncIterator, Protocol
from urllib.parse import unquote, urlsplit

import aiosmtplib

from portofoliu.settings import Settings

log = logging.getLogger(__name__)

SMTP_TIMEOUT = 30.0


class MailUnavailable(Exception):
    """The SMTP server cannot be reached or used right now (connection, TLS, login, lost link)."""


class MailRejected(Exception):
    """The server refused this message; `permanent` for 5xx replies (retrying will not help)."""

    def __init__(self, code: int, message: str):
        super().__init__(f"{code} {message}")
        self.code = code
        self.permanent = code >= 500


@dataclass(frozen=True)
class OutgoingMail:
    to: str
    subject: str
    text: str
    html: str | None
    message_id: str
    link: str | None = None


def build_message(mail: OutgoingMail, sender: str) -> EmailMessage:
    """A multipart/alternative message (text first, HTML preferred by clients that show it)."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Message-ID"] = mail.message_id  # the same on every retry: receivers can drop duplicates
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation auto-replies
    message.set_content(mail.text)
    if mail.html:
        message.add_alternative(mail.html, subtype="html")
    return message


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    username: str | None
    password: str | None
    implicit_tls: bool
    starttls: bool | None  # True: required, None: when the server offers it

    @classmethod
    def from_url(cls, url: str) -> "SmtpConfig":
        parts = urlsplit(url)
        if parts.scheme not in {"smtp", "smtps"} or not parts.hostname:
            raise ValueError(f"SMTP_URL must be smtp://[user:pass@]host[:port] or smtps://..., got {url!r}")
        implicit = parts.scheme == "smtps"
        port = parts.port or (465 if implicit else 587)
        return cls(
            host=parts.hostname,
            port=port,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            implicit_tls=implicit,
            starttls=False if implicit else (True if port == 587 else None),
        )


class MailConnection(Protocol):
    async def send(self, mail: OutgoingMail) -> None: ...


class Mailer(Protocol):
    logs_only: bool

    def connection(self) -> AbstractAsyncContextManager[MailConnection]: ...

    async def aclose(self) -> None: ...


class _SmtpConnection:
    def __init__(self, client: aiosmtplib.SMTP, sender: str):
        self._client = client
        self._sender = sender

    async def send(self, mail: OutgoingMail) -> None:
        try:
            await self._client.send_message(build_message(mail, self._sender))
        except aiosmtplib.SMTPRecipientsRefused as exc:
            first = exc.recipients[0]
            await self._reset()
            raise MailRejected(first.code, first.message) from exc
        except (aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPTimeoutError) as exc:
            raise MailUnavailable(f"connection lost: {exc}") from exc
        except aiosmtplib.SMTPResponseException as exc:
            await self._reset()
            raise MailRejected(exc.code, exc.message) from exc
        except OSError as exc:
            raise MailUnavailable(f"connection lost: {exc}") from exc

    async def _reset(self) -> None:
        """Clear the refused transaction so the next message of the batch starts clean."""
        try:
            await self._client.rset()
        except aiosmtplib.SMTPException:
            pass


class SmtpMailer:
    """Sends over SMTP; one connection per `connection()` block."""

    logs_only = False

    def __init__(self, config: SmtpConfig, *, sender: str, tls_context: ssl.SSLContext | None = None,
                 timeout: float = SMTP_TIMEOUT):
        self.config = config
        self.sender = sender
        self._tls_context = tls_context
        self._timeout = timeout
        self._open: set[aiosmtplib.SMTP] = set()

    def _client(self) -> aiosmtplib.SMTP:
        c = self.config
        return aiosmtplib.SMTP(hostname=c.host, port=c.port, username=c.username, password=c.password,
                               use_tls=c.implicit_tls, start_tls=c.starttls, tls_context=self._tls_context,
                               timeout=self._timeout)

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[MailConnection]:
        client = self._client()
        try:
            await client.connect()
        except (aiosmtplib.SMTPException, OSError, ssl.SSLError) as exc:
            client.close()
            raise MailUnavailable(f"cannot use SMTP server {self.config.host}:{self.config.port}: {exc}") from exc
        self._open.add(client)
        try:
            yield _SmtpConnection(client, self.sender)
        finally:
            self._open.discard(client)
            await _quit(client)

    async def aclose(self) -> None:
        for client in list(self._open):
            await _quit(client)
        self._open.clear()


async def _quit(client: aiosmtplib.SMTP) -> None:
    try:
        if client.is_connected:
            await client.quit()
    except (aiosmtplib.SMTPException, OSError):
        client.close()


class _LogConnection:
    async def send(self, mail: OutgoingMail) -> None:
        log.info("e-mail to %s: %s%s", mail.to, mail.subject, f" — {mail.link}" if mail.link else "")


class LogMailer:
    """The embedded default: nothing leaves the machine; each message is logged and kept in the
    outbox table (status LOGGED), where the `/_outbox` page shows it."""

    logs_only = True

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[MailConnection]:
        yield _LogConnection()

    async def aclose(self) -> None:
        return None


def build_mailer(settings: Settings, *, tls_context: ssl.SSLContext | None = None) -> SmtpMailer | LogMailer:
    if not settings.smtp_url:
        return LogMailer()
    return SmtpMailer(SmtpConfig.from_url(settings.smtp_url), sender=settings.mail_from, tls_context=tls_context)
