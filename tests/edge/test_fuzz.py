"""Schema-driven fuzzing: operations generated from schema.graphql (hypothesis-graphql), valid ones
and ones with one schema violation each, sent over HTTP to the running service, anonymously and
signed in (as a firm's owner, so small ids name real rows). None may answer an internal error.

FUZZ_OPERATIONS (default 5,000) sets how many requests are sent: each generated document goes once
anonymously and once signed in. Documents are generated in another process, field by field, while
the ones already generated are being sent.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from functools import lru_cache
from pathlib import Path

import graphql
import httpx
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, nodes
from hypothesis_graphql import strategies as gql

from tests.support.factories import api_company, api_user, holder
from tests.support.invitations import add_to_portfolio

FUZZ_OPERATIONS = int(os.environ.get("FUZZ_OPERATIONS", "5000"))
NEGATIVE_SHARE = 4  # one document in four breaks the schema on purpose (wrong type, missing argument, ...)
CONCURRENCY = 8
# signOut would end the fuzzing session itself; it has its own tests.
NOT_FUZZED = {"signOut"}
# Each of these hashes a password (argon2id: slow by design), so they get a few documents each.
PASSWORD_HASHING = {"signIn": 4, "signUp": 4, "acceptInvitationSignUp": 4}
# A file travels as a multipart part, never inside the JSON document: here it is whatever text a
# client might write in its place.
CUSTOM_SCALARS = {"Upload": st.text(max_size=50).map(nodes.String), "DateTime": st.datetimes().map(nodes.String)}
SDL_PATH = Path(__file__).resolve().parents[2] / "schema.graphql"


@lru_cache(maxsize=1)
def fuzzed_schema() -> graphql.GraphQLSchema:
    return graphql.build_schema(SDL_PATH.read_text())


def generate(strategy, count: int) -> list[str]:
    found: list[str] = []

    @settings(max_examples=count, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def collect(document: str) -> None:
        found.append(document)

    collect()
    return found


def documents_for(root: str, count: int) -> list[str]:
    """`count` documents for one root field of the Query or Mutation type (`""`: any of them)."""
    schema = fuzzed_schema()
    if not root:
        return generate(gql.from_schema(schema, fields=cheap_roots(schema), custom_scalars=CUSTOM_SCALARS), count)
    kind = gql.queries if root in schema.query_type.fields else gql.mutations
    field = schema.query_type.fields.get(root) or schema.mutation_type.fields[root]
    negative = max(1, count // NEGATIVE_SHARE) if field.args else 0  # no arguments: nothing to break
    out = generate(kind(schema, fields=[root], custom_scalars=CUSTOM_SCALARS), count - negative)
    if negative:
        out += generate(kind(schema, fields=[root], custom_scalars=CUSTOM_SCALARS, mode=Mode.NEGATIVE), negative)
    return out


def cheap_roots(schema: graphql.GraphQLSchema) -> list[str]:
    return [name for name in (*schema.query_type.fields, *schema.mutation_type.fields)
            if name not in NOT_FUZZED and name not in PASSWORD_HASHING]


def plan(total: int) -> list[tuple[str, int]]:
    """How many documents each root field gets, about `total` in all."""
    cheap = cheap_roots(fuzzed_schema())
    per_root = -(-(total - sum(PASSWORD_HASHING.values())) // len(cheap))
    return [*PASSWORD_HASHING.items(), *((name, per_root) for name in cheap)]


@pytest.mark.timeout(900)  # about half a minute on an idle machine; far more on a busy one
async def test_fuzzed_operations_never_answer_an_internal_error(service, db):
    token, _ = await api_user(service)
    who = holder("small")
    firm = await api_company(service, token, who.firm_cui, accounting=True)
    await add_to_portfolio(firm["id"], [c for c in who.cuis if c != who.firm_cui][:5])

    failures: list[tuple[str, int, str]] = []
    sent = 0
    gate = asyncio.Semaphore(CONCURRENCY)
    signed_in = {"Authorization": f"Bearer {token}"}
    loop = asyncio.get_running_loop()

    async with httpx.AsyncClient(timeout=60.0) as http:

        async def send(document: str, headers: dict[str, str]) -> None:
            nonlocal sent
            async with gate:
                try:
                    response = await http.post(service.graphql_url, json={"query": document}, headers=headers)
                except (httpx.ReadError, httpx.RemoteProtocolError):
                    # A kept-alive connection the server closed while idle (waiting for a batch): once more.
                    response = await http.post(service.graphql_url, json={"query": document}, headers=headers)
            sent += 1
            if response.status_code >= 500 or "INTERNAL_SERVER_ERROR" in response.text:
                failures.append((document, response.status_code, response.text[:500]))

        async def send_all(documents: list[str]) -> int:
            await asyncio.gather(*(send(d, h) for d in documents for h in ({}, signed_in)))
            return len(documents)

        # One generating process, so the other core serves and sends.
        with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
            wanted = FUZZ_OPERATIONS // 2 + FUZZ_OPERATIONS % 2
            pending = [loop.run_in_executor(pool, documents_for, root, count) for root, count in plan(wanted)]
            generated = 0
            for next_batch in asyncio.as_completed(pending):
                generated += await send_all(await next_batch)
            while generated < wanted:  # fields with few possible documents (e.g. `me`) yield fewer
                generated += await send_all(await loop.run_in_executor(pool, documents_for, "", wanted - generated))

    assert sent >= FUZZ_OPERATIONS, sent
    assert not failures, f"{len(failures)} of {sent} operations failed; the first ones:\n" + "\n\n".join(
        f"{status} {body}\n{document}" for document, status, body in failures[:5])
