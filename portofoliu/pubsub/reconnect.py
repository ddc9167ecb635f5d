"""How a pub/sub backend retries its connection: exponential back-off with jitter, forever."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from tenacity import AsyncRetrying, retry_if_exception_type, stop_never, wait_exponential_jitter

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Backoff:
    initial: float = 0.1
    maximum: float = 5.0

    def retrying(self, errors: tuple[type[BaseException], ...], what: str) -> AsyncRetrying:
        """`async for attempt in backoff.retrying(...)`: retries the block on `errors` until it succeeds."""

        def before_sleep(state) -> None:
            log.warning("%s unreachable (%s); retrying in %.1fs", what, state.outcome.exception(), state.next_action.sleep)

        return AsyncRetrying(retry=retry_if_exception_type(errors), wait=wait_exponential_jitter(multiplier=self.initial, max=self.maximum, jitter=self.initial),
                             stop=stop_never, before_sleep=before_sleep, reraise=True)
