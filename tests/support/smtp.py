"""A real SMTP server on a free loopback port (aiosmtpd), collecting what it receives.

Fixtures (registered for every test through `pytest_plugins` in tests/conftest.py):
- `smtp_server`: a plain server, started; point the service at it with
  `start_service(smtp_url=smtp_server.url)`, then `await smtp_server.wait_for(1)` and read
  `smtp_server.messages` (parsed `email.message.EmailMessage`), e.g. `links_in(message)`.
- `start_smtp_server(auth=("user", "pass"), tls=LoopbackTls, implicit_tls=False, port=None)`: variants.
The server counts SMTP sessions (`.sessions`), can refuse every message (`.reject_with = "451 ..."`),
and can be stopped and started again on the same port (an outage).
"""

from __future__ import annotations

import asyncio
import re
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

from tests.support.servers import bind_loopback
from tests.support.tls import LoopbackTls

_LINK = re.compile(r"https?://[^\s<>\"”]+")


def free_port() -> int:
    """A loopback port nothing listens on (bound then released)."""
    sock = bind_loopback()
    port = sock.getsockname()[1]
    sock.close()
    return port


def text_of(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()


def html_of(message: EmailMessage) -> str:
    return message.get_body(("html",)).get_content()


def links_in(message: EmailMessage) -> list[str]:
    """Every http(s) link in the plain-text part, in order."""
    return _LINK.findall(text_of(message))


@dataclass
class SmtpServer:
    port: int
    host: str = "127.0.0.1"
    auth: tuple[str, str] | None = None
    tls: LoopbackTls | None = None
    implicit_tls: bool = False
    messages: list[EmailMessage] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)
    sessions: int = 0
    reject_with: str | None = None  # e.g. "451 4.3.0 Try again later": refuse every message
    _controller: Controller | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        scheme = "smtps" if self.implicit_tls else "smtp"
        credentials = f"{self.auth[0]}:{self.auth[1]}@" if self.auth else ""
        return f"{scheme}://{credentials}{self.host}:{self.port}"

    # aiosmtpd handler hooks (called on the server's thread)
    async def handle_DATA(self, server, session, envelope) -> str:
        if self.reject_with:
            return self.reject_with
        message = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        with self._lock:
            self.messages.append(message)
            self.recipients.append(list(envelope.rcpt_tos))
        return "250 2.0.0 OK"

    def _authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and self.auth is not None and (
            auth_data.login.decode(), auth_data.password.decode()) == self.auth
        return AuthResult(success=ok)

    def _count_session(self) -> None:
        with self._lock:
            self.sessions += 1

    def start(self) -> None:
        server = self
        kwargs: dict = {}
        if self.auth:
            kwargs.update(authenticator=self._authenticate, auth_required=True, auth_require_tls=False)
        if self.tls and not self.implicit_tls:
            kwargs.update(tls_context=self.tls.server_context(), require_starttls=True)

        class CountingController(Controller):
            def factory(self):
                smtp = SMTP(self.handler, **self.SMTP_kwargs)
                original = smtp.connection_made

                def connection_made(transport):
                    server._count_session()
                    return original(transport)

                smtp.connection_made = connection_made
                return smtp

        ssl_context = self.tls.server_context() if (self.tls and self.implicit_tls) else None
        self._controller = CountingController(self, hostname=self.host, port=self.port, ssl_context=ssl_context,
                                              server_hostname="localhost" if ssl_context else None, **kwargs)
        self._controller.start()
        self.sessions = 0  # the controller's own readiness probe is not a client session

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    async def wait_for(self, count: int = 1, timeout: float = 5.0) -> list[EmailMessage]:
        """Wait until at least `count` messages arrived; returns them all."""
        deadline = asyncio.get_running_loop().time() + timeout
        while len(self.messages) < count:
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"expected {count} e-mail(s) within {timeout}s, got {len(self.messages)}")
            await asyncio.sleep(0.01)
        return list(self.messages)


@pytest.fixture
def start_smtp_server():
    servers: list[SmtpServer] = []

    def start(*, auth: tuple[str, str] | None = None, tls: LoopbackTls | None = None, implicit_tls: bool = False,
              port: int | None = None, running: bool = True) -> SmtpServer:
        server = SmtpServer(port=port or free_port(), auth=auth, tls=tls, implicit_tls=implicit_tls)
        servers.append(server)
        if running:
            server.start()
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def smtp_server(start_smtp_server) -> SmtpServer:
    return start_smtp_server()
