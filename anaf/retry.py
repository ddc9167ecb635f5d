"""Bounded retries, with jittered exponential backoff, for calls to ANAF.

Both ANAF clients retry the same kinds of failure — connection errors, timeouts, HTTP 5xx and 429 —
a bounded number of times and then give up with `AnafUnavailable`; this module owns that policy so
they share it. Answers that say something definite (a refused grant, a missing right, a quota text)
are never retried: the caller returns or raises them on the first attempt.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_attempt
from tenacity import wait_exponential_jitter

from anaf.errors import AnafUnavailable

T = TypeVar("T")


class RetryableAnswer(Exception):
    """ANAF answered, but with something worth asking again (5xx, 429, an unreadable body)."""

    def __init__(self, reason: str, *, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


def retry_after_seconds(response: httpx.Response) -> float | None:
    """The `Retry-After` header in seconds, when the server sent a numeric one."""
    value = response.headers.get("retry-after")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


class _Wait:
    """Exponential backoff with jitter, stretched to a server's `Retry-After` (capped)."""

    def __init__(self, initial: float, maximum: float) -> None:
        self._maximum = maximum
        self._exponential = wait_exponential_jitter(multiplier=initial, max=maximum, jitter=initial)

    def __call__(self, state: RetryCallState) -> float:
        delay = self._exponential(state)
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, RetryableAnswer) and error.retry_after is not None:
            delay = max(delay, min(error.retry_after, self._maximum))
        return delay


async def with_retries(
    call: Callable[[], Awaitable[T]],
    *,
    what: str,
    max_attempts: int,
    backoff_initial: float,
    backoff_max: float,
) -> T:
    """Run `call`, retrying transport failures and `RetryableAnswer`s; give up with AnafUnavailable."""
    retrying = AsyncRetrying(
        stop=stop_after_attempt(max(1, max_attempts)),
        wait=_Wait(backoff_initial, backoff_max),
        retry=retry_if_exception_type((httpx.TransportError, RetryableAnswer)),
        reraise=True,
    )
    try:
        return await retrying(call)
    except (httpx.TransportError, RetryableAnswer) as exc:
        raise AnafUnavailable(f"{what}: ANAF is not answering ({exc!r}); tried {max_attempts} times. "
                              "Please try again in a few minutes.") from exc
