"""Coalesced loads: concurrent callers share a resolve call; a big batch is resolved in parts."""

from __future__ import annotations

import asyncio

from domain.kernel.batching import Coalescer


async def test_concurrent_loads_share_one_call():
    calls: list[list[int]] = []

    async def resolve(keys):
        calls.append(list(keys))
        return [key * 2 for key in keys]

    coalescer = Coalescer(resolve)
    assert await asyncio.gather(*(coalescer.load(n) for n in range(50))) == [n * 2 for n in range(50)]
    assert calls == [list(range(50))]


async def test_a_big_batch_is_answered_in_parts_and_the_first_callers_go_on_while_the_next_is_read():
    events: list[str] = []

    async def resolve(keys):
        events.append(f"resolve {len(keys)}")
        await asyncio.sleep(0.01)  # the database reading
        return [-key for key in keys]

    coalescer = Coalescer(resolve, batch_size=500)

    async def caller(key: int) -> int:
        value = await coalescer.load(key)
        if key in (0, 1199):
            events.append(f"answered {key}")
        return value

    assert await asyncio.gather(*(caller(n) for n in range(1200))) == [-n for n in range(1200)]
    # The first part's callers go on while the second part is being read, before the third starts.
    assert events == ["resolve 500", "resolve 500", "answered 0", "resolve 200", "answered 1199"]
    assert coalescer.batches == 3
