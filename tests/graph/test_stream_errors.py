"""Every event of a subscription has its errors masked like a query's, the later ones too (the hooks
that mask them are found once per subscription)."""

from __future__ import annotations

from typing import AsyncGenerator

import strawberry

from domain.kernel.errors import NotFound
from graph.execution import CompilingExecutionContext
from graph.schema.errors import ApiErrors, PortofoliuSchema


@strawberry.type
class Tick:
    n: int

    @strawberry.field
    def checked(self) -> int:
        if self.n == 2:
            raise RuntimeError("password=hunter2 in a stack trace")
        if self.n == 3:
            raise NotFound("No such tick.")
        return self.n


@strawberry.type
class Query:
    ok: bool = True


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def ticks(self) -> AsyncGenerator[Tick, None]:
        for n in range(5):
            yield Tick(n=n)


schema = PortofoliuSchema(query=Query, subscription=Subscription, extensions=[lambda: ApiErrors()],
                          execution_context_class=CompilingExecutionContext)


async def test_each_event_is_masked_as_a_query_would_be():
    stream = await schema.subscribe("subscription { ticks { n checked } }")
    results = [(result.data, [(e.message, (e.extensions or {}).get("code")) for e in result.errors or []])
               async for result in stream]
    assert results == [
        ({"ticks": {"n": 0, "checked": 0}}, []),
        ({"ticks": {"n": 1, "checked": 1}}, []),
        (None, [("Internal server error.", "INTERNAL_SERVER_ERROR")]),
        (None, [("No such tick.", "NOT_FOUND")]),
        ({"ticks": {"n": 4, "checked": 4}}, []),
    ]
