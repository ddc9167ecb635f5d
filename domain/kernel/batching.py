"""Coalescing loads: many concurrent callers asking for rows, answered by one set-based call.

A `Coalescer` collects the keys requested by tasks of one event loop and hands them to its
`resolve` function together. A batch starts on the loop's next turn after its first request (so
requests made in the same turn share it); requests arriving while a batch is being resolved wait
for the next one. Nothing is cached: every answer comes from a `resolve` call that started after
the request was made, so it sees everything committed before the caller asked.
"""

from __future__ import annotations

import asyncio
import weakref
from dataclasses import dataclass, field
from typing import Awaitable, Callable, Generic, Hashable, Sequence, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


@dataclass
class _LoopState(Generic[K, V]):
    pending: list[tuple[K, asyncio.Future[V]]] = field(default_factory=list)
    runner: asyncio.Task[None] | None = None


class Coalescer(Generic[K, V]):
    """`await coalescer.load(key)` → the value `resolve` gave for that key, in a batch with the
    other keys requested meanwhile. `resolve(keys)` returns one value per key, in order. With
    `batch_size`, a batch of more keys is resolved that many at a time, and the callers of each part
    go on as soon as it is answered (while the next part is read)."""

    def __init__(self, resolve: Callable[[Sequence[K]], Awaitable[Sequence[V]]], *, batch_size: int | None = None) -> None:
        self._resolve = resolve
        self._batch_size = batch_size
        # Per event loop: a process may run several loops over its life (tests do), and a batch's
        # futures and task belong to one.
        self._states: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopState[K, V]] = weakref.WeakKeyDictionary()
        self._last: tuple[weakref.ref, _LoopState[K, V]] | None = None  # the loop asked last, found without a lookup
        self.batches = 0  # how many `resolve` calls were made (observability)

    async def load(self, key: K) -> V:
        loop = asyncio.get_running_loop()
        last = self._last
        if last is not None and last[0]() is loop:
            state = last[1]
        else:
            state = self._states.setdefault(loop, _LoopState())
            self._last = (weakref.ref(loop), state)
        future: asyncio.Future[V] = loop.create_future()
        state.pending.append((key, future))
        if state.runner is None:
            state.runner = loop.create_task(self._run(state))
        return await future

    async def _run(self, state: _LoopState[K, V]) -> None:
        # The task's first step runs on the loop's next turn: requests of this turn are queued by then.
        batch: list[tuple[K, asyncio.Future[V]]] = []
        try:
            while state.pending:
                size = self._batch_size or len(state.pending)
                batch, state.pending = state.pending[:size], state.pending[size:]
                live = [(key, future) for key, future in batch if not future.done()]  # callers gone: skip
                if not live:
                    continue
                self.batches += 1
                try:
                    values = await self._resolve([key for key, _ in live])
                except Exception as error:  # noqa: BLE001 - each caller sees the failure of its load
                    for _, future in live:
                        if not future.done():
                            future.set_exception(error)
                    continue
                for (_, future), value in zip(live, values, strict=True):
                    if not future.done():
                        future.set_result(value)
                batch = []
        finally:
            state.runner = None
            # Cancelled (the loop is closing): nobody is left to answer what was still waiting.
            for _, future in [*batch, *state.pending]:
                if not future.done():
                    future.cancel()
            state.pending = []
