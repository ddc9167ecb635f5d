"""Fault injection for the sandbox's services: latency, error statuses, 429s and cut connections.

Each service ("registry", "oauth", "efactura", ... or "*" for all) may have one `FaultConfig`. Routes
opt in with `Route(..., middleware=fault_middleware(state, "registry"))`. Random decisions come from
one seeded generator, so a test that injects a 50 % error rate sees the same sequence every run.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from dataclasses import asdict, dataclass, fields
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from starlette.middleware import Middleware
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

if TYPE_CHECKING:
    from anaf.sandbox.state import SandboxState

ALL_SERVICES = "*"


@dataclass(frozen=True)
class FaultConfig:
    latency_ms: int = 0
    error_rate: float = 0.0  # share of requests answered with `error_status`
    error_status: int = 503
    force_429: bool = False  # every request answered 429, as when ANAF throttles the client
    reset_rate: float = 0.0  # share of requests whose connection is cut mid-answer

    @classmethod
    def from_json(cls, data: Any) -> FaultConfig:
        """Build from a JSON object; raises ValueError on unknown keys or values out of range."""
        if not isinstance(data, dict):
            raise ValueError("a fault configuration must be a JSON object")
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown fault settings: {', '.join(sorted(unknown))}")
        try:
            config = cls(
                latency_ms=int(data.get("latency_ms", 0)),
                error_rate=float(data.get("error_rate", 0.0)),
                error_status=int(data.get("error_status", 503)),
                force_429=bool(data.get("force_429", False)),
                reset_rate=float(data.get("reset_rate", 0.0)),
            )
        except (TypeError, ValueError) as exc:
            raise ValueError(f"invalid fault settings: {exc}") from None
        if config.latency_ms < 0 or config.latency_ms > 60_000:
            raise ValueError("latency_ms must be between 0 and 60000")
        if not (0.0 <= config.error_rate <= 1.0 and 0.0 <= config.reset_rate <= 1.0):
            raise ValueError("error_rate and reset_rate must be between 0 and 1")
        if not 400 <= config.error_status <= 599:
            raise ValueError("error_status must be an HTTP error status (400-599)")
        return config

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class Faults(dict[str, FaultConfig]):
    """The faults in force, by service name; mutable while the sandbox runs."""

    def __init__(self, initial: dict[str, FaultConfig] | None = None, *, seed: int = 0):
        super().__init__(initial or {})
        self.rng = random.Random(seed)
        # How many faults were served, by "<service>:<kind>" (kind: latency, 429, reset, error).
        self.injected: Counter[str] = Counter()

    def for_service(self, service: str) -> FaultConfig | None:
        return self.get(service) or self.get(ALL_SERVICES)

    def roll(self, rate: float) -> bool:
        # Draw only when a rate is set, so enabling one fault does not shift another's sequence.
        return rate > 0 and self.rng.random() < rate

    def to_json(self) -> dict[str, Any]:
        return {service: config.to_json() for service, config in sorted(self.items())}


class FaultMiddleware:
    """ASGI middleware that applies the faults configured for one service before the route runs."""

    def __init__(self, app: ASGIApp, *, faults: Faults, service: str):
        self.app = app
        self.faults = faults
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        fault = self.faults.for_service(self.service) if scope["type"] == "http" else None
        if fault is None:
            await self.app(scope, receive, send)
            return
        if fault.latency_ms:
            self.faults.injected[f"{self.service}:latency"] += 1
            await asyncio.sleep(fault.latency_ms / 1000)
        if fault.force_429:
            self.faults.injected[f"{self.service}:429"] += 1
            response = PlainTextResponse("Too Many Requests", status_code=429, headers={"Retry-After": "1"})
            await response(scope, receive, send)
        elif self.faults.roll(fault.reset_rate):
            self.faults.injected[f"{self.service}:reset"] += 1
            await _cut_connection(send)
        elif self.faults.roll(fault.error_rate):
            self.faults.injected[f"{self.service}:error"] += 1
            await PlainTextResponse(_status_text(fault.error_status), status_code=fault.error_status)(
                scope, receive, send
            )
        else:
            await self.app(scope, receive, send)


async def _cut_connection(send: Send) -> None:
    # Promise a body and stop half-way: the server then drops the connection, which the client sees
    # as a reset / incomplete read, as reported for ANAF's front end on reused connections.
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"1000")]})
    await send({"type": "http.response.body", "body": b"{", "more_body": True})


def _status_text(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def fault_middleware(state: SandboxState, service: str) -> list[Middleware]:
    """Middleware list for a route of `service`: `Route(path, endpoint, middleware=...)`."""
    return [Middleware(FaultMiddleware, faults=state.faults, service=service)]
