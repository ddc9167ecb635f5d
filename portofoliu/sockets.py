"""The open GraphQL WebSockets of this process: a per-user limit and closing them on shutdown.

The limit is per process (each process counts its own sockets): it stops one account from
holding an unbounded share of a process's memory and pub/sub subscriptions, not a global quota.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Awaitable, Callable

log = logging.getLogger(__name__)

DEFAULT_MAX_PER_USER = 10

# Close codes (4xxx are the application's own, as graphql-transport-ws uses them).
CLOSE_GOING_AWAY = 1001
CLOSE_UNAUTHORIZED = 4401
CLOSE_TOO_MANY = 4429
SHUTDOWN_REASON = "server shutting down"


@dataclass(eq=False)
class LiveSocket:
    user_id: int
    session_id: int
    close: Callable[[int, str], Awaitable[None]]
    closed: bool = False

    async def close_with(self, code: int, reason: str) -> None:
        if self.closed:
            return
        self.closed = True
        try:
            await self.close(code, reason)
        except Exception:  # noqa: BLE001 - the peer may be gone already
            log.debug("closing a socket that was already gone", exc_info=True)


@dataclass
class LiveSockets:
    max_per_user: int = DEFAULT_MAX_PER_USER
    _by_user: dict[int, set[LiveSocket]] = field(default_factory=lambda: defaultdict(set))

    def open(self, socket: LiveSocket) -> bool:
        """Register a socket; False (not registered) when its user already has `max_per_user` open."""
        sockets = self._by_user[socket.user_id]
        if len(sockets) >= self.max_per_user:
            return False
        sockets.add(socket)
        return True

    def forget(self, socket: LiveSocket) -> None:
        sockets = self._by_user.get(socket.user_id)
        if sockets is not None:
            sockets.discard(socket)
            if not sockets:
                del self._by_user[socket.user_id]

    def count(self, user_id: int | None = None) -> int:
        if user_id is not None:
            return len(self._by_user.get(user_id, ()))
        return sum(len(s) for s in self._by_user.values())

    async def close_all(self, code: int = CLOSE_GOING_AWAY, reason: str = SHUTDOWN_REASON) -> int:
        sockets = [s for group in self._by_user.values() for s in group]
        await asyncio.gather(*(s.close_with(code, reason) for s in sockets))
        return len(sockets)
