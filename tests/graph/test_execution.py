"""Compiled completion answers exactly what graphql-core answers, errors and their paths included."""

from __future__ import annotations

import enum
from datetime import datetime, timezone
from typing import AsyncGenerator

import strawberry

from graph import execution
from graph.execution import CompilingExecutionContext


@strawberry.enum
class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


@strawberry.type
class Leaf:
    id: strawberry.ID
    name: str
    colour: Colour
    at: datetime
    tags: list[str]
    note: str | None
    ok: bool = True

    @strawberry.field
    def shout(self, times: int = 1) -> str:
        return self.name.upper() * times


@strawberry.type
class Box:
    total: int
    leaves: list[Leaf]
    first: Leaf | None


AT = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)


def leaf(n: int, name: str | None = None) -> Leaf:
    return Leaf(id=strawberry.ID(str(n)), name=name if name is not None else f"leaf {n}", colour=Colour.BLUE if n % 2 else Colour.RED,
                at=AT, tags=["a", str(n)], note=None if n % 3 else "three")


def some_leaves(broken: bool, odd: bool) -> list[Leaf]:
    leaves = [leaf(n) for n in range(5)]
    if broken:
        leaves[3] = leaf(3, name=None)
        leaves[3].name = None  # a null where the schema promises a string
    if odd:  # values of other classes than the fields' own: serialized (or refused) as graphql-core does
        leaves[1].id, leaves[1].name, leaves[1].ok = 7, 5, 1
        leaves[2].colour, leaves[2].name = "blue", "name"
        leaves[3].colour = "green"
    return leaves


@strawberry.type
class Query:
    @strawberry.field
    async def box(self, broken: bool = False, odd: bool = False) -> Box:
        leaves = some_leaves(broken, odd)
        return Box(total=len(leaves), leaves=leaves, first=leaves[0])

    @strawberry.field
    async def leaves(self, broken: bool = False) -> list[Leaf]:
        return some_leaves(broken, odd=False)

    @strawberry.field
    def maybe_leaves(self, none: bool = False) -> list[Leaf | None] | None:
        return None if none else [leaf(1), None, leaf(2)]


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def leaves(self, broken: bool = False) -> AsyncGenerator[Leaf, None]:
        for n in range(4):
            item = leaf(n)
            if broken and n == 2:
                item.name = None  # a null where the schema promises a string
            yield item


compiled = strawberry.Schema(query=Query, subscription=Subscription, execution_context_class=CompilingExecutionContext)
plain = strawberry.Schema(query=Query, subscription=Subscription)

QUERIES = [
    "{ box { total leaves { id name colour at tags note __typename } first { id } } }",
    "{ box { leaves { name shout(times: 2) } } }",
    "query($yes: Boolean!) { box { leaves { name @include(if: $yes) id } } }",
    "{ box { ...F leaves { ...L } } } fragment F on Box { total } fragment L on Leaf { id colour }",
    "{ box(broken: true) { total leaves { id name } } }",
    "{ a: box { total } b: box { first { name } } }",
    "{ box(odd: true) { leaves { id name ok } } }",
    "{ box(odd: true) { leaves { colour } } }",
    "{ leaves { id name colour } again: leaves(broken: true) { id name } }",
    "{ maybeLeaves { id at } none: maybeLeaves(none: true) { id } }",
]


async def answer(schema, query: str, variables=None):
    result = await schema.execute(query, variable_values=variables)
    return result.data, [(e.message, e.path) for e in result.errors or []]


async def test_compiled_completion_answers_like_graphql_core():
    for query in QUERIES:
        for variables in ({"yes": True}, {"yes": False}):
            for _ in range(2):  # the second time from the plans made the first time
                assert await answer(compiled, query, variables) == await answer(plain, query, variables), query
    assert any(plan is not execution._NO_PLAN for _nodes, plan in execution._plans.values())  # plans were used


async def test_a_null_in_a_non_null_field_is_reported_at_its_path():
    data, errors = await answer(compiled, "{ box(broken: true) { leaves { id name } } }")
    assert data is None
    assert errors == [("Cannot return null for non-nullable field Leaf.name.", ["box", "leaves", 3, "name"])]


SUBSCRIPTIONS = [
    "subscription { leaves { id name colour at tags note __typename } }",
    "subscription { renamed: leaves { ...L } } fragment L on Leaf { id colour }",
    "subscription { leaves { name shout(times: 2) } }",  # a field with a resolver: executed by graphql-core
    "subscription { leaves(broken: true) { id name } }",
    "subscription($yes: Boolean!) { leaves { id name @include(if: $yes) } }",
]


async def events(schema, query: str, variables=None):
    stream = await schema.subscribe(query, variable_values=variables)
    return [(result.data, [(e.message, e.path) for e in result.errors or []]) async for result in stream]


async def test_subscription_events_are_answered_like_graphql_core():
    execution._event_plans.clear()
    for query in SUBSCRIPTIONS:
        for variables in ({"yes": True}, {"yes": False}):
            assert await events(compiled, query, variables) == await events(plain, query, variables), query
    assert any(plan is not execution._NO_PLAN for _operation, plan in execution._event_plans.values())  # plans were used


async def test_a_null_in_an_event_is_reported_at_its_path():
    answers = await events(compiled, "subscription { leaves(broken: true) { id name } }")
    assert answers[2] == (None, [("Cannot return null for non-nullable field Leaf.name.", ["leaves", "name"])])
    assert answers[3] == ({"leaves": {"id": "3", "name": "leaf 3"}}, [])


@strawberry.type
class Row:
    id: strawberry.ID
    name: str
    note: str | None


@strawberry.type
class RowQuery:
    @strawberry.field
    def rows(self) -> list[Row]:
        return [{"id": "1", "name": "one", "note": None}, {"id": 2, "name": "two", "note": "n"}]  # type: ignore[list-item]


async def test_a_schema_reading_fields_its_own_way_is_followed():
    """With another default resolver (here: dict items), plans read fields through it, as graphql-core does."""
    from operator import getitem

    from strawberry.schema.config import StrawberryConfig

    config = StrawberryConfig(default_resolver=getitem)
    mine = strawberry.Schema(query=RowQuery, config=config, execution_context_class=CompilingExecutionContext)
    theirs = strawberry.Schema(query=RowQuery, config=config)
    query = "{ rows { __typename id name note } }"
    assert await answer(mine, query) == await answer(theirs, query)
    assert (await answer(mine, query))[0] == {"rows": [{"__typename": "Row", "id": "1", "name": "one", "note": None},
                                                       {"__typename": "Row", "id": "2", "name": "two", "note": "n"}]}
