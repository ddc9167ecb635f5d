"""RO e-Factura lists through the sandbox: rights answers, ANAF's texts, pages, limits and the client."""

from __future__ import annotations

import asyncio
import math
import re
import time
from datetime import UTC, datetime, timedelta

import pytest

from anaf.efactura import EfacturaClient, EfacturaRequestError, InvoiceParties, RightsAnswer, invoice_parties
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


ANAF_TIMESTAMP = re.compile(r"^\d{2}-\d{2}-\d{4} \d{2}:\d{2}:\d{2}$")
STAMP = r"\d{2}-\d{2}-\d{4} \d{2}:\d{2}:\d{2}"


async def test_cif_with_rights_lists_messages_serial_and_echoes_the_cif(sandbox, http, token, holder):
    cif = cif_with(holder, "normal")
    result = await efactura(http, sandbox).list_messages(token, cif, days=60)
    assert result.answer is RightsAnswer.HAS_RIGHTS and result.messages
    assert result.serial == holder.serial
    assert result.rights_list is None  # ANAF's `cui` echoes the queried CIF
    message = result.messages[0]
    assert set(message) == {"data_creare", "cif", "id_solicitare", "detalii", "tip", "id"}
    assert len(message["data_creare"]) == 12 and message["data_creare"].isdigit()
    status, body = await raw_list(http, sandbox, token, zile=60, cif=cif)
    assert status == 200 and body["titlu"] == "Lista Mesaje disponibile din ultimele 60 zile"
    assert body["cui"] == cif and body["serial"] == holder.serial


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
    await configure(http, sandbox, cui_field="list")
    still = await client.list_messages(token, next(c for c in holder.cuis if profile(c) == "normal" and c != gone), days=60)
    assert gone not in still.rights_list and len(still.rights_list) == len(holder.cuis) - 1

    await http.post(f"{sandbox.url}/rights", json={"serial": holder.serial, "withdraw": list(holder.cuis)})
    everything = await client.probe(token, holder.cuis[0])
    assert everything.answer is RightsAnswer.NO_RIGHTS_AT_ALL
    assert everything.error_text == "Nu exista niciun CIF petru care sa aveti drept in SPV"  # ANAF's spelling

    await http.post(f"{sandbox.url}/rights", json={"holder": "small", "restore": list(holder.cuis)})
    assert (await client.probe(token, gone)).answer is RightsAnswer.HAS_RIGHTS


async def test_cui_field_list_mode_is_an_opt_in_scenario(sandbox, http, token, holder):
    cif = cif_with(holder, "normal")
    await configure(http, sandbox, cui_field="list")
    result = await efactura(http, sandbox).list_messages(token, cif, days=60)
    assert result.answer is RightsAnswer.HAS_RIGHTS and result.rights_list == list(holder.cuis + holder.cnps)


async def test_a_certificate_without_any_rights_gets_its_tokens_then_anafs_petru_text(sandbox, http):
    token = (await log_in(http, sandbox.url, "none")).access_token
    cif = sandbox.state.dataset.holders["small"].firm_cui
    status, body = await raw_list(http, sandbox, token, zile=1, cif=cif)
    assert (status, body) == (200, {"eroare": "Nu exista niciun CIF petru care sa aveti drept in SPV", "titlu": "Lista Mesaje"})
    result = await efactura(http, sandbox).probe(token, cif)
    assert result.answer is RightsAnswer.NO_RIGHTS_AT_ALL


async def test_over_500_messages_is_anafs_text_and_proves_the_rights(sandbox, http, token, holder):
    flooded = cif_with(holder, "flood")
    status, body = await raw_list(http, sandbox, token, zile=1, cif=flooded)
    assert (status, body) == (200, {"eroare": "Lista de mesaje este mai mare decat numarul de 500 elemente permise in "
                                              "pagina. Folositi endpoint-ul cu paginatie.", "titlu": "Lista Mesaje"})
    result = await efactura(http, sandbox).probe(token, flooded)
    assert result.answer is RightsAnswer.HAS_RIGHTS and result.over_limit and result.messages == []


async def test_messages_over_500_are_read_from_the_paginated_endpoint(sandbox, http):
    """The large holder's firm: the simple list says "over 500", so every page is read instead."""
    from anaf.sandbox.efactura_messages import invoicing

    large = sandbox.state.dataset.holders["large"]
    token = (await log_in(http, sandbox.url, "large")).access_token
    client = efactura(http, sandbox)
    result = await client.messages(token, large.firm_cui, days=60, filter="T")
    assert result.answer is RightsAnswer.HAS_RIGHTS and result.page.total_pages >= 5
    assert len(result.messages) == result.page.total_records > 2000
    assert {m["tip"] for m in result.messages} == {"FACTURA TRIMISA"}
    buyers = {invoice_parties(m["detalii"]).buyer for m in result.messages}
    assert buyers == set(invoicing(large.firm_cui).buyers)
    small = await client.messages(token, large.clients[5], days=60)  # fewer than 500: the simple list alone
    assert small.page is None


def test_invoice_parties_in_both_wordings():
    issued = invoice_parties("Factura cu id_incarcare=4757096169 emisa de cif_emitent=30747076 pentru cif_beneficiar=1489860")
    assert issued == InvoiceParties(seller="30747076", buyer="1489860", self_billed=False)
    # Self-billing, with production's double space (and a single one, should ANAF ever fix it).
    for space in ("  ", " "):
        billed = invoice_parties(f"Factura cu id_incarcare=1 transmisa de cif=1489860{space}ca autofactura in numele cif=30747076")
        assert billed == InvoiceParties(seller="30747076", buyer="1489860", self_billed=True)
    assert invoice_parties("Erori de validare identificate la factura primita cu id_incarcare=1") is None


async def test_the_firms_sent_invoices_include_self_billing_persons_and_foreign_buyers(sandbox, http, token, holder):
    from anaf.sandbox.efactura_messages import invoicing

    result = await efactura(http, sandbox).messages(token, holder.firm_cui, days=60, filter="T")
    parties = [invoice_parties(m["detalii"]) for m in result.messages]
    plan = invoicing(holder.firm_cui)
    assert {p.buyer for p in parties if p.self_billed} == set(plan.self_billed) != set()
    assert all(p.seller == holder.firm_cui for p in parties)
    buyers = {p.buyer for p in parties}
    assert set(plan.clients) <= buyers and set(plan.clients) < set(holder.clients)  # most clients, not all
    assert set(plan.without_rights) <= buyers and not set(plan.without_rights) & set(holder.cuis)
    assert any(len(b) == 13 and b.isdigit() for b in buyers)  # natural persons
    assert any(not b.isdigit() for b in buyers)  # foreign buyers


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
    assert status == 400 and set(body) == {"timestamp", "status", "error", "message"}
    assert (body["status"], body["error"], body["message"]) == (400, "Bad Request", "Parametrii zile si cif sunt obligatorii")
    assert ANAF_TIMESTAMP.match(body["timestamp"]), body["timestamp"]
    with pytest.raises(EfacturaRequestError, match="obligatorii"):
        await efactura(http, sandbox).list_messages_page(token, "", start=datetime.now(UTC) - timedelta(days=1),
                                                         end=datetime.now(UTC))


async def test_missing_invalid_or_expired_token_is_401(start_sandbox, http):
    # Lifetimes are whole seconds: 2 s leaves at least 1 s of validity for the first calls.
    sandbox = await start_sandbox(access_token_ttl=2)
    pair = await log_in(http, sandbox.url)
    cif = sandbox.state.dataset.holders["small"].cuis[0]
    status, body = await raw_list(http, sandbox, None, zile=1, cif=cif)
    assert status == 401 and ANAF_TIMESTAMP.match(body["timestamp"])
    assert (await raw_list(http, sandbox, "not-a-jwt", zile=1, cif=cif))[0] == 401
    assert (await raw_list(http, sandbox, pair.access_token, zile=1, cif=cif))[0] == 200
    await asyncio.sleep(2.1)
    result = await efactura(http, sandbox).probe(pair.access_token, cif)
    assert result.answer is RightsAnswer.TOKEN_INVALID


async def test_a_path_anaf_does_not_serve_is_403_and_a_token_problem(sandbox, http, token, holder):
    answer = await http.get(f"{sandbox.url}/prod/FCTEL/rest/listaMesaje", params={"zile": 1, "cif": holder.firm_cui},
                            headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 403 and ANAF_TIMESTAMP.match(answer.json()["timestamp"])
    # A client configured with a wrong base lands on such a path.
    wrong = EfacturaClient(http, f"{sandbox.url}/prod/FCTEL/rest/api", limiter=LocalCallLimiter(1000))
    assert (await wrong.probe(token, holder.firm_cui)).answer is RightsAnswer.TOKEN_INVALID


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
    status, body = await raw_page(http, sandbox, token, cif, start, end, page=1)
    assert re.fullmatch(f"Lista Mesaje disponibile din intervalul {STAMP} - {STAMP}", body["titlu"]), body["titlu"]
    with pytest.raises(EfacturaRequestError, match=f"Pagina solicitata {pages + 1} este mai mare decat numarul toatal de pagini {pages}"):
        await client.list_messages_page(token, cif, start=start, end=end, page=pages + 1)
    with pytest.raises(EfacturaRequestError,
                       match=f"startTime = {STAMP} nu poate fi mai vechi de 60 de zile fata de momentul requestului"):
        await client.list_messages_page(token, cif, start=end - timedelta(days=61), end=end)
    with pytest.raises(EfacturaRequestError, match=f"endTime = {STAMP} nu poate fi <= startTime = {STAMP}"):
        await client.list_messages_page(token, cif, start=end, end=end - timedelta(hours=1))
    # An interval without messages is not an error: the rights are confirmed.
    empty = await client.list_messages_page(token, cif, start=end - timedelta(seconds=2), end=end - timedelta(seconds=1))
    assert empty.answer is RightsAnswer.HAS_RIGHTS and empty.error_text == "Nu exista mesaje in intervalul selectat"


async def raw_page(http, sandbox, token, cif, start, end, page):
    params = {"startTime": int(start.timestamp() * 1000), "endTime": int(end.timestamp() * 1000), "cif": cif, "pagina": page}
    answer = await http.get(f"{sandbox.url}/prod/FCTEL/rest/listaMesajePaginatieFactura", params=params,
                            headers={"Authorization": f"Bearer {token}"})
    return answer.status_code, answer.json()


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
