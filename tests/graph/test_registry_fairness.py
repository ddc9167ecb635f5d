"""ANAF's registry shared fairly: answers reused, a look-up budget per person, a bounded wait, and
no request asking for many look-ups at once. ANAF allows one registry request a second for the
whole application, so the registry client here spaces its requests by 1 s, as in production."""

import asyncio
import time

import pytest

from tests.support.factories import api_user, holder
from tests.support.graphql import GraphQLError

LOOKUP = "query($cui: String!) { registryLookup(cui: $cui) { cui name } }"


@pytest.fixture
async def paced(start_service):
    async def start(**overrides):
        service = await start_service(**overrides)
        service.services.registry._min_interval = 1.0  # ANAF's pace (the tests' default is none)
        return service
    return start


async def test_thirty_aliased_lookups_in_one_request_are_refused_before_running(paced):
    service = await paced()
    token, _ = await api_user(service)
    cuis = holder("large").cuis[:30]
    query = "{ " + " ".join(f'l{n}: registryLookup(cui: "{c}") {{ cui }}' for n, c in enumerate(cuis)) + " }"
    started = time.monotonic()
    with pytest.raises(GraphQLError) as err:
        await service.client(token).execute(query)
    assert err.value.codes == ["TOO_MANY_ITEMS"] and "at most 3" in err.value.errors[0]["message"]
    assert time.monotonic() - started < 1.0
    three = "{ " + " ".join(f'l{n}: registryLookup(cui: "{c}") {{ cui }}' for n, c in enumerate(cuis[:3])) + " }"
    assert sorted(v["cui"] for v in (await service.client(token).execute(three)).values()) == sorted(cuis[:3])


async def test_another_persons_lookup_answers_promptly_while_one_person_floods_the_registry(paced):
    service = await paced()
    flooder, _ = await api_user(service)
    other, _ = await api_user(service)
    cuis = holder("large").cuis
    asked = service.sandbox.registry.accepted  # every request ANAF's registry (the sandbox) accepted
    flood = [asyncio.ensure_future(service.client(flooder).raw(LOOKUP, {"cui": c})) for c in cuis[:25]]
    deadline = time.monotonic() + 20
    while not asked:  # the flood has reached ANAF
        assert time.monotonic() < deadline
        await asyncio.sleep(0.02)
    started = time.monotonic()
    answer = await service.client(other).execute(LOOKUP, cui=cuis[40])
    waited = time.monotonic() - started
    assert answer["registryLookup"]["cui"] == cuis[40]
    assert waited < 3.5, f"another person waited {waited:.1f} s"  # 25 s when look-ups queued one by one
    flooded = await asyncio.gather(*flood)
    codes = sorted(r["errors"][0]["extensions"]["code"] if r.get("errors") else "" for r in flooded)
    assert codes == [""] * 20 + ["RATE_LIMITED"] * 5  # the flooder's budget: 20 a minute
    # The look-ups shared a few registry requests (one each, a second apart, before).
    assert len(asked) <= 4, asked


async def test_each_person_has_a_lookup_budget_and_cached_answers_cost_nothing(paced):
    service = await paced(registry_lookups_per_user_minute=3)
    token, _ = await api_user(service)
    other, _ = await api_user(service)
    cuis = holder("large").cuis
    client = service.client(token)
    for cui in cuis[:3]:
        assert (await client.execute(LOOKUP, cui=cui))["registryLookup"]["cui"] == cui
    with pytest.raises(GraphQLError) as err:
        await client.execute(LOOKUP, cui=cuis[3])
    assert err.value.codes == ["RATE_LIMITED"]
    # Already fetched: answered from the store, within the budget or not.
    assert (await client.execute(LOOKUP, cui=cuis[0]))["registryLookup"]["cui"] == cuis[0]
    assert (await service.client(other).execute(LOOKUP, cui=cuis[3]))["registryLookup"]["cui"] == cuis[3]


async def test_stored_answers_are_reused_until_they_are_older_than_the_setting(paced, db):
    from datetime import timedelta

    from anaf.sandbox.faults import FaultConfig
    from domain.companies.models import RegistryAnswer

    service = await paced()
    token, _ = await api_user(service)
    cui = holder("small").cuis[3]
    client = service.client(token)
    assert (await client.execute(LOOKUP, cui=cui))["registryLookup"]["cui"] == cui
    service.sandbox.faults["registry"] = FaultConfig(error_rate=1.0, error_status=503)  # ANAF down from now on
    assert (await client.execute(LOOKUP, cui=cui))["registryLookup"]["cui"] == cui  # from the store
    stored = await RegistryAnswer.get(cui=cui)
    stored.fetched_at -= timedelta(seconds=service.settings.registry_cache_seconds + 1)
    await stored.save()
    with pytest.raises(GraphQLError) as err:  # too old: asked again, and ANAF is down
        await client.execute(LOOKUP, cui=cui)
    assert err.value.codes == ["ANAF_UNAVAILABLE"]
