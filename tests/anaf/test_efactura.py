"""RO e-Factura lists through the sandbox: rights answers, ANAF's texts, pages, limits and the client."""

from __future__ import annotations

import asyncio
import math
import time
from datetime import UTC, datetime, timedelta

import pytest

from anaf.efactura import EfacturaClient, EfacturaRequestError, RightsAnswer
from anaf.errors import AnafUnavailable
from anaf.limits import LocalCallLimiter, MemoryDailyQuota
from anaf.sandbox.efactura_messages import profile
from tests.support.anaf_oauth import log_in


@pytest.fixture
async def token(sandbox, http) -> str:
    return (await log_in(http, sandbox.url, "small")).access_token


@pytest.fixture
def holder(sandbox):
    return sandbox.state.dataset.holders["small"]


def efactura(http, sandbox, **settings) -> EfacturaClient:
    settings.setdefault("limiter", LocalCallLimiter(1000))
    settings.setdefault("backoff_initial", 0.05)
    settings.setdefault("backoff_max", 0.5)
    return EfacturaClient(http, sandbox.url, **settings)


def cif_with(holder, wanted: str) -> str:
    return next(cif for cif in holder.cuis if profile(cif) == wanted)


def foreign_cif(sandbox, holder) -> str:
    return next(cif for cif in sandbox.state.dataset.companies if cif not in holder.cuis)


async def raw_list(http, sandbox, token: str | None, **params) -> tuple[int, dict]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    answer = await http.get(f"{sandbox.url}/prod/FCTEL/rest/listaMesajeFactura", params=params, headers=headers)
    return answer.status_code, answer.json()


async def configure(http, sandbox, **settings) -> None:
    answer = await http.put(f"{sandbox.url}/efactura/config", json=settings)
    assert answer.status_code == 200, answer.text


async def test_cif_with_rights_lists_messages_serial_and_the_rights_list(sandbox, http, token, holder):
    cif = cif_with(holder, "normal")
    result = await efactura(http, sandbox).list_messages(token, cif, days=60)
    assert result.answer is RightsAnswer.HAS_RIGHTS and result.messages
    assert result.serial == holder.serial
    assert result.rights_list == list(holder.cuis + holder.cnps)
    message = result.messages[0]
    assert set(message) == {"data_creare", "cif", "id_solicitare", "detalii", "tip", "id"}
    assert len(message["data_creare"]) == 12 and message["data_creare"].isdigit()
    status, body = await raw_list(http, sandbox, token, zile=60, cif=cif)
    assert status == 200 and body["titlu"] == "Lista Mesaje disponibile din ultimele 60 zile"


async def test_probe_accepts_a_cif_written_with_ro(sandbox, http, token, holder):
    result = await efactura(http, sandbox).probe(token, f"RO {holder.cuis[1]}")
    assert result.answer is RightsAnswer.HAS_RIGHTS and result.cif == holder.cuis[1]


async def test_rights_without_messages_is_not_an_error(sandbox, http, token, holder):
    result = await efactura(http, sandbox).probe(token, cif_with(holder, "quiet"))
    assert result.answer is RightsAnswer.HAS_RIGHTS and result.messages == []
    assert result.error_text == "Nu exista mesaje in ultimele 1 zile"


async def test_cif_without_rights(sandbox, http, token, holder):
    cif = foreign_cif(sandbox, holder)
    status, body = await raw_list(http, sandbox, token, zile=1, cif=cif)
    assert status == 200 and body == {"eroare": f"Nu aveti drept in SPV pentru CIF={cif}", "titlu": "Lista Mesaje"}
    result = await efactura(http, sandbox).probe(token, cif)
    assert result.answer is RightsAnswer.NO_RIGHTS_FOR_CIF


async def test_rights_withdrawn_at_run_time(sandbox, http, token, holder):
    client = efactura(http, sandbox)
    gone = holder.cuis[2]
    answer = await http.post(f"{sandbox.url}/rights", json={"holder": "small", "withdraw": [gone]})
    assert answer.status_code == 200 and answer.json()["withdrawn"] == [gone]
    assert (await client.probe(token, gone)).answer is RightsAnswer.NO_RIGHTS_FOR_CIF
    still = await client.list_messages(token, cif_with(holder, "busy"), days=60)
    assert gone not in still.rights_list and len(still.rights_list) == len(holder.cuis) - 1

    await http.post(f"{sandbox.url}/rights", json={"serial": holder.serial, "withdraw": list(holder.cuis)})
    everything = await client.probe(token, holder.cuis[0])
    assert everything.answer is RightsAnswer.NO_RIGHTS_AT_ALL
    assert everything.error_text == "Nu exista niciun CIF pentru care sa aveti drept in SPV"

    await http.post(f"{sandbox.url}/rights", json={"holder": "small", "restore": list(holder.cuis)})
    assert (await client.probe(token, gone)).answer is RightsAnswer.HAS_RIGHTS


async def test_cui_field_echo_mode_gives_no_rights_list(sandbox, http, token, holder):
    cif = cif_with(holder, "busy")
    await configure(http, sandbox, cui_field="echo")
    result = await efactura(http, sandbox).list_messages(token, cif, days=60)
    assert result.answer is RightsAnswer.HAS_RIGHTS and result.rights_list is None
    assert (await raw_list(http, sandbox, token, zile=60, cif=cif))[1]["cui"] == cif


@pytest.mark.parametrize(
    ("params", "text"),
    [
        ({"zile": "1", "cif": "RO123"}, "CIF introdus= RO123 nu este un numar"),
        ({"zile": "0", "cif": "123"}, "Numarul de zile trebuie sa fie intre 1 si 60"),
        ({"zile": "61", "cif": "123"}, "Numarul de zile trebuie sa fie intre 1 si 60"),
    ],
)
async def test_bad_parameters_get_anaf_texts_with_http_200(sandbox, http, token, params, text):
    assert await raw_list(http, sandbox, token, **params) == (200, {"eroare": text, "titlu": "Lista Mesaje"})


async def test_bad_day_count_is_a_request_error_for_the_client(sandbox, http, token, holder):
    with pytest.raises(EfacturaRequestError, match="Numarul de zile"):
        await efactura(http, sandbox).list_messages(token, holder.cuis[0], days=90)


async def test_missing_parameter_is_http_400(sandbox, http, token):
    status, body = await raw_list(http, sandbox, token, zile=1)
    assert status == 400 and body["status"] == 400 and body["error"] == "Bad Request" and "cif" in body["message"]
    assert "timestamp" in body


async def test_missing_invalid_or_expired_token_is_401(start_sandbox, http):
    # Lifetimes are whole seconds: 2 s leaves at least 1 s of validity for the first calls.
    sandbox = await start_sandbox(access_token_ttl=2)
    pair = await log_in(http, sandbox.url)
    cif = sandbox.state.dataset.holders["small"].cuis[0]
    assert (await raw_list(http, sandbox, None, zile=1, cif=cif))[0] == 401
    assert (await raw_list(http, sandbox, "not-a-jwt", zile=1, cif=cif))[0] == 401
    assert (await raw_list(http, sandbox, pair.access_token, zile=1, cif=cif))[0] == 200
    await asyncio.sleep(2.1)
    result = await efactura(http, sandbox).probe(pair.access_token, cif)
    assert result.answer is RightsAnswer.TOKEN_INVALID


async def test_paginated_list_in_pages_of_500(sandbox, http, token, holder):
    client = efactura(http, sandbox, environment="test")  # the test environment's path works the same
    cif = cif_with(holder, "busy")
    end = datetime.now(UTC) - timedelta(seconds=1)
    start = end - timedelta(days=59)
    first = await client.list_messages_page(token, cif, start=start, end=end, page=1)
    assert first.answer is RightsAnswer.HAS_RIGHTS and first.page is not None
    total, pages = first.page.total_records, first.page.total_pages
    assert total > 1000 and pages == math.ceil(total / 500)
    assert first.page.records_in_page == len(first.messages) == 500 and first.page.current_page == 1
    ids = {m["id"] for m in first.messages}
    for page in range(2, pages + 1):
        result = await client.list_messages_page(token, cif, start=start, end=end, page=page)
        assert result.page.current_page == page
        ids |= {m["id"] for m in result.messages}
    assert len(ids) == total and result.page.records_in_page == total - 500 * (pages - 1)
    with pytest.raises(EfacturaRequestError):
        await client.list_messages_page(token, cif, start=start, end=end, page=pages + 1)
    with pytest.raises(EfacturaRequestError):  # more than 60 days back
        await client.list_messages_page(token, cif, start=end - timedelta(days=61), end=end)


async def test_over_the_per_minute_limit_is_429_and_the_client_backs_off(sandbox, http, token, holder):
    await configure(http, sandbox, per_minute=5, rate_window_seconds=1)
    cif = holder.cuis[0]
    statuses = [(await raw_list(http, sandbox, token, zile=1, cif=cif))[0] for _ in range(6)]
    assert statuses == [200] * 5 + [429]

    client = efactura(http, sandbox, backoff_initial=0.3, backoff_max=1.0, max_attempts=8)
    started = time.monotonic()
    results = [await client.probe(token, cif) for _ in range(7)]
    assert all(r.answer is RightsAnswer.HAS_RIGHTS for r in results)
    assert time.monotonic() - started >= 0.5  # it had to wait for the window, not just resend


async def test_client_gives_up_on_429_after_bounded_attempts(sandbox, http, token, holder):
    await configure(http, sandbox, per_minute=1)
    client = efactura(http, sandbox, max_attempts=3)
    await client.probe(token, holder.cuis[0])
    with pytest.raises(AnafUnavailable):
        await client.probe(token, holder.cuis[0])
    assert len(sandbox.state.efactura.calls) == 1  # the refused calls were not counted as served


async def test_daily_quota_text_is_quota_exceeded(sandbox, http, token, holder):
    await configure(http, sandbox, per_day_per_cui=2)
    client = efactura(http, sandbox)
    cif = holder.cuis[0]
    assert [(await client.probe(token, cif)).answer for _ in range(2)] == [RightsAnswer.HAS_RIGHTS] * 2
    over = await client.probe(token, cif)
    assert over.answer is RightsAnswer.QUOTA_EXCEEDED
    assert over.error_text == "S-au facut deja 2 interogari de lista mesaje de catre utilizator in cursul zilei"
    assert (await client.probe(token, holder.cuis[1])).answer is RightsAnswer.HAS_RIGHTS  # per CUI


async def test_local_daily_quota_stops_before_anaf_has_to(sandbox, http, token, holder):
    client = efactura(http, sandbox, daily_quota=MemoryDailyQuota(per_day=2))
    cif = holder.cuis[0]
    for _ in range(2):
        await client.probe(token, cif)
    served = len(sandbox.state.efactura.calls)
    assert (await client.probe(token, cif)).answer is RightsAnswer.QUOTA_EXCEEDED
    assert len(sandbox.state.efactura.calls) == served  # ANAF was not asked


def test_anafs_own_spelling_of_no_rights_at_all_is_recognised():
    """ANAF's live text has the typo "petru"; the classification goes by the prefix."""
    import httpx

    from anaf.efactura import _classify

    for text in ("Nu exista niciun CIF petru care sa aveti drept in SPV", "Nu exista niciun CIF pentru care sa aveti drept in SPV"):
        response = httpx.Response(200, json={"eroare": text, "titlu": "Lista Mesaje"})
        assert _classify(response, "30747076").answer is RightsAnswer.NO_RIGHTS_AT_ALL
