"""The per-request (or per-WebSocket-operation) context every resolver receives."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from strawberry.types.info import Info as StrawberryInfo

from domain.accounts.models import Session, User
from domain.kernel.errors import Unauthenticated


@dataclass
class Context:
    services: Any  # portofoliu.services.Services: settings and ANAF clients
    request: Any = None
    response: Any = None
    session: Session | None = None
    lang: str = "en"
    client_address: str | None = None
    loaders: dict[str, Any] = field(default_factory=dict)
    connection_params: dict[str, Any] | None = None

    @property
    def viewer(self) -> User | None:
        return self.session.user if self.session else None

    def require_viewer(self) -> User:
        if self.session is None:
            raise Unauthenticated()
        return self.session.user

    @property
    def settings(self):
        return self.services.settings


Info = StrawberryInfo[Context, None]


def preferred_language(header: str | None) -> str:
    """Romanian when `Accept-Language` prefers `ro` over `en`, else English."""
    best, best_q = "en", -1.0
    for part in (header or "").split(","):
        lang, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        primary = lang.strip().lower().split("-")[0]
        if primary in ("ro", "en") and q > best_q:
            best, best_q = primary, q
    return best
