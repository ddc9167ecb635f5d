"""Live events, announced only after the change they describe has committed.

`unit_of_work()` wraps a database transaction and collects the events emitted inside it; when the
transaction commits they are handed to the publisher (broadcaster, wired in `portofoliu/`), and
when it rolls back they are dropped, so no subscriber ever hears of a change that did not happen.
Events are small (a kind and ids): the rows are the truth, subscribers load what they may see.
"""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any, AsyncIterator, Awaitable, Callable

from broadcaster import Event
from tortoise.transactions import in_transaction

log = logging.getLogger(__name__)

# Takes every event of one commit at once, so a commit notifying thousands of users reaches the
# pub/sub backend in one round trip rather than thousands.
Publisher = Callable[[list[tuple[str, dict[str, Any]]]], Awaitable[None]]
_publisher: Publisher | None = None
_pending: ContextVar[list[tuple[str, dict[str, Any]]] | None] = ContextVar("pending_events", default=None)


def set_publisher(publisher: Publisher | None) -> None:
    global _publisher
    _publisher = publisher


def user_channel(user_id: int) -> str:
    return f"user:{user_id}"


def company_channel(company_id: int) -> str:
    return f"company:{company_id}"


class Gap(Event):
    """Events may have been lost on this channel (backend reconnect or a full queue): reload."""

    def __init__(self, channel: str = "*") -> None:
        super().__init__(channel=channel, message="")

    def __repr__(self) -> str:
        return f"Gap(channel={self.channel!r})"


@asynccontextmanager
async def unit_of_work() -> AsyncIterator[Any]:
    """One transaction; events emitted inside are published after it commits. Nests by joining."""
    if _pending.get() is not None:
        async with in_transaction() as conn:
            yield conn
        return
    events: list[tuple[str, dict[str, Any]]] = []
    token = _pending.set(events)
    try:
        async with in_transaction() as conn:
            yield conn
    finally:
        _pending.reset(token)
    await publish_all(events)


def emit(channel: str, kind: str, **ids: Any) -> None:
    """Queue an event for after the current unit of work commits."""
    events = _pending.get()
    if events is None:
        raise RuntimeError("emit() outside unit_of_work(): events must follow a committed transaction")
    events.append((channel, {"kind": kind, **ids}))


async def publish_all(events: list[tuple[str, dict[str, Any]]]) -> None:
    """Publish committed events. A failure is logged, never raised: the rows already hold the truth
    and a subscriber's cursor replays what a lost event would have announced."""
    if _publisher is None or not events:
        return
    try:
        await _publisher(events)
    except Exception:  # noqa: BLE001 - see docstring
        kinds = sorted({str(payload.get("kind")) for _, payload in events})
        log.warning("could not publish %d event(s) (%s)", len(events), ", ".join(kinds), exc_info=True)
