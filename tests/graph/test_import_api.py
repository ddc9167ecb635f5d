"""Importing the firm's client list over real HTTP (GraphQL multipart request spec), each CUI
verified at the ANAF sandbox, the contacts offered back to pre-fill the invitations."""

from __future__ import annotations

import random
from dataclasses import dataclass

import pytest

from tests.support.discovery import ADD, accounting_firm, discover, finished_run
from tests.support.factories import api_user, holder
from tests.support.imports import XLSX, csv_bytes, import_list, portfolio_contacts, upload, xlsx_bytes
from tests.support.invitations import SEND


def clients_of(key: str) -> list[str]:
    h = holder(key)
    return sorted(set(h.cuis) - {h.firm_cui})


def bad_check_digit(cui: str) -> str:
    return cui[:-1] + str((int(cui[-1]) + 1) % 10)


@dataclass
class Record:
    cui: str | int | None
    name: str
    representative: str = ""
    email: str = ""
    phone: str = ""
    outcome: str = "ok"  # ok, no_rights, invalid_cui, missing_cui, duplicate, own
    expect_email: str | None = None
    expect_phone: str | None = None
    bad: tuple[str, ...] = ()  # columns reported but kept

    @property
    def cells(self) -> list:
        return [self.cui if self.cui is not None else "", self.name, self.representative, self.email, self.phone]


def thousand_rows(firm_cui: str, *, numeric: bool = False) -> list[Record]:
    """1,000 client rows: 940 with rights (most with full contacts, some bad e-mails or phones, some
    without contacts), 20 without rights, 20 invalid CUIs, 9 without CUI, 10 repeated, the firm's own."""
    mine = clients_of("large")[:940]
    not_mine = [c for c in clients_of("medium") if c not in set(holder("large").cuis)][:20]
    records = []
    for i, cui in enumerate(mine):
        shown: str | int = int(cui) if numeric and i % 3 == 0 else (f"RO {cui}" if i % 10 == 1 else cui)
        if i % 50 == 3:
            records.append(Record(shown, f"Firma Fără Contact {i} SRL"))
            continue
        record = Record(shown, f"Firma {i} SRL", representative=f"Ştefan Ţepeş {i}", email=f"Contabil{i}@Client{i}.ro",
                        phone=f"0722 {i:03d} {i % 1000:03d}" if i % 7 else f"+40 (722) {i:06d}",
                        expect_email=f"contabil{i}@client{i}.ro", expect_phone=f"+40722{i:06d}")
        if i % 7:
            record.expect_phone = f"+40722{i:03d}{i % 1000:03d}"
        if i % 97 == 0:
            record.email, record.expect_email, record.bad = "nu are e-mail", None, ("email",)
        elif i % 89 == 5:
            record.phone, record.expect_phone, record.bad = "12", None, ("phone",)
        records.append(record)
    records += [Record(c, f"Client Fără Drepturi {c}", email=f"x{c}@example.ro", outcome="no_rights", expect_email=f"x{c}@example.ro")
                for c in not_mine]
    records += [Record(bad_check_digit(c), "CUI Greşit", outcome="invalid_cui") for c in clients_of("large")[1000:1020]]
    records += [Record(None, f"Fără CUI {n}", email="a@b.ro", outcome="missing_cui") for n in range(9)]
    records += [Record(c, "Din nou", outcome="duplicate") for c in mine[100:110]]
    records.append(Record(firm_cui, "Firma noastră", outcome="own"))
    assert len(records) == 1000
    head, tail = records[:900], records[900:]
    random.Random(7).shuffle(head)
    return head + tail  # repeats after their first appearance


def expected_errors(records: list[Record], first_row: int, *, empty_after: int) -> set[tuple[str, tuple[str, ...]]]:
    errors = set()
    for index, record in enumerate(records):
        row = str(first_row + index + (1 if index >= empty_after else 0))
        code = {"invalid_cui": "INVALID_CUI", "missing_cui": "INVALID_CUI", "duplicate": "INVALID_INPUT", "own": "INVALID_INPUT"}.get(record.outcome)
        if code:
            errors.add((code, ("file", row, "cui")))
        for column in record.bad:
            errors.add(({"email": "INVALID_EMAIL", "phone": "INVALID_PHONE"}[column], ("file", row, column)))
    return errors


def as_csv_cp1250(records: list[Record]) -> bytes:
    rows = [["Export clienţi - Contabilitate"], [],
            ["Cod fiscal (CUI)", "Denumire", "Persoană de contact", "Adresă e-mail", "Tel."]]
    rows += [[str(c) for c in r.cells] for r in records[:500]] + [[]] + [[str(c) for c in r.cells] for r in records[500:]]
    return csv_bytes(rows, delimiter=";", encoding="cp1250")


def as_xlsx(records: list[Record]) -> bytes:
    rows = [["Lista clienților", None, None], [None], ["CIF", "Nume", "Administrator", "E-MAIL", "Telefon"]]
    rows += [[c if c != "" else None for c in r.cells] for r in records[:500]] + [[None] * 5]
    rows += [[c if c != "" else None for c in r.cells] for r in records[500:]]
    return xlsx_bytes(rows)


async def test_thousand_row_lists_verified_then_invited_with_their_contacts(service, db):
    """A Windows-1250 CSV of 1,000 rows is verified at ANAF and invited without typing; the same
    clients as an XLSX (other header spellings, numeric cells, new e-mails) then update the contacts."""
    token, firm = await accounting_firm(service, "large")
    records = thousand_rows(holder("large").firm_cui)
    result = await import_list(service, token, firm["id"], as_csv_cp1250(records))

    # Per-row results at Excel's row numbers (header on row 3, an empty row after the 500th client).
    expected = expected_errors(records, 4, empty_after=500)
    assert {(e["code"], tuple(e["field"])) for e in result["errors"]} == expected and len(result["errors"]) == len(expected)
    kept = [r for r in records if r.outcome in ("ok", "no_rights")]
    assert (result["rowsRead"], result["imported"], result["verifying"]) == (1000, len(kept), len(kept))
    assert result["columns"] == [{"field": "cui", "header": "Cod fiscal (CUI)"}, {"field": "name", "header": "Denumire"},
                                 {"field": "representativeName", "header": "Persoană de contact"},
                                 {"field": "email", "header": "Adresă e-mail"}, {"field": "phone", "header": "Tel."}]
    assert result["entries"] == [] and result["run"]["status"] == "RUNNING" and result["run"]["total"] == len(kept)

    run = await finished_run(service, token, firm["id"], timeout=120)
    with_rights = [r for r in records if r.outcome == "ok"]
    assert (run["status"], run["total"], run["checked"], run["found"]) == ("SUCCEEDED", len(kept), len(kept), len(with_rights))
    entries = await portfolio_contacts(service, token, firm["id"])
    assert set(entries) == {cui_of(r) for r in with_rights}
    for record in with_rights:
        entry = entries[cui_of(record)]
        assert entry["sources"] == ["IMPORT"]
        assert entry["suggestedContact"] == expected_contact(record)

    # Inviting the imported portfolio needs no typing: the contacts go back exactly as they came.
    complete = [e for e in entries.values() if e["suggestedContact"] and all(e["suggestedContact"].values())]
    assert len(complete) > 850
    rows = [{"cui": e["cui"], **e["suggestedContact"], "message": None} for e in complete]
    sent = (await service.client(token).execute(SEND, companyId=firm["id"], rows=rows))["sendInvitations"]
    assert sent["errors"] == [] and len(sent["invitations"]) == len(complete)
    by_cui = {i["cui"]: i for i in sent["invitations"]}
    for entry in complete:
        invitation = by_cui[entry["cui"]]
        assert (invitation["representativeName"], invitation["email"], invitation["phone"]) == tuple(entry["suggestedContact"].values())

    # The same clients as an XLSX: already in the portfolio, so they come back at once with the
    # new values; a blank or bad cell keeps what the first list gave.
    records = thousand_rows(holder("large").firm_cui, numeric=True)
    for record in records[:50]:
        if record.outcome == "ok" and record.expect_email:
            record.email = record.expect_email = f"nou.{cui_of(record)}@example.ro"
    result = await import_list(service, token, firm["id"], as_xlsx(records), filename="clienti.xlsx", content_type=XLSX)
    expected = expected_errors(records, 4, empty_after=500)
    assert {(e["code"], tuple(e["field"])) for e in result["errors"]} == expected and len(result["errors"]) == len(expected)
    assert (result["rowsRead"], result["imported"], result["verifying"]) == (1000, len(kept), len(kept) - len(with_rights))
    returned = {e["cui"]: e for e in result["entries"]}
    with_rights = [r for r in records if r.outcome == "ok"]
    assert set(returned) == {cui_of(r) for r in with_rights}
    for record in with_rights:
        assert returned[cui_of(record)]["sources"] == ["IMPORT"]
        assert returned[cui_of(record)]["suggestedContact"] == expected_contact(record)
    assert (await finished_run(service, token, firm["id"]))["found"] == 0  # the 20 without rights, checked again


def cui_of(record: Record) -> str:
    return str(record.cui).removeprefix("RO ")


def expected_contact(record: Record) -> dict | None:
    if not record.representative:
        return None
    name = record.representative.translate(str.maketrans("ŞşŢţ", "ȘșȚț"))
    return {"representativeName": name, "email": record.expect_email, "phone": record.expect_phone}


def small_list(cuis: list[str], **kw) -> bytes:
    rows = [["CUI", "Client", "Reprezentant", "Email", "Tel"]]
    rows += [[c, f"Client {n}", f"Maria Ionescu {n}", f"maria{n}@client.ro", f"0733 000 {n:03d}"] for n, c in enumerate(cuis)]
    return csv_bytes(rows, delimiter=",", **kw)


async def test_companies_already_in_the_portfolio_come_back_at_once_with_their_contacts(service, db):
    token, firm = await accounting_firm(service, "small")
    added = (await service.client(token).execute(ADD, id=firm["id"], cuis=clients_of("small")[:6]))["addPortfolioCompanies"]
    assert added["errors"] == [] and len(added["entries"]) == 6
    mine = clients_of("small")[:3]
    not_mine = clients_of("medium")[0]
    result = await import_list(service, token, firm["id"], small_list([*mine, not_mine, "RO 1"], bom=True), lang="ro")
    assert [(e["code"], e["field"], e["message"]) for e in result["errors"]] == [
        ("INVALID_CUI", ["file", "6", "cui"],
         "Rândul 6: „RO 1” nu este un CUI valid: 2–10 cifre, opțional precedate de RO, cu cifra de control corectă. Rândul a fost omis.")]
    assert (result["rowsRead"], result["imported"], result["verifying"]) == (5, 4, 1)
    assert [(e["cui"], e["sources"]) for e in sorted(result["entries"], key=lambda e: e["cui"])] == [
        (c, ["IMPORT", "MANUAL"]) for c in sorted(mine)]
    assert {e["cui"]: e["suggestedContact"] for e in result["entries"]} == {
        c: {"representativeName": f"Maria Ionescu {n}", "email": f"maria{n}@client.ro", "phone": f"+40733000{n:03d}"}
        for n, c in enumerate(mine)}
    # The one CUI not yet in the portfolio is verified in the background: no rights, not added.
    assert result["run"]["total"] == 1
    run = await finished_run(service, token, firm["id"])
    assert (run["id"], run["status"], run["found"]) == (result["run"]["id"], "SUCCEEDED", 0)
    entries = await portfolio_contacts(service, token, firm["id"])
    assert not_mine not in entries and entries[mine[0]]["suggestedContact"]["email"] == "maria0@client.ro"
    assert entries[clients_of("small")[5]]["suggestedContact"] is None  # never imported


async def test_a_list_imported_during_a_discovery_is_verified_by_the_next_one(service, db):
    from domain.portfolio.discovery import create_run
    from domain.portfolio.discovery_runner import close_run
    from domain.portfolio.models import DiscoveryStatus
    from tests.graph.test_discovery_api import sandbox_control

    token, firm = await accounting_firm(service, "small")
    await sandbox_control(service, "PUT", "/efactura/config", {"cui_field": "echo"})  # rights are probed, never listed
    running, _ = await create_run(firm_id=int(firm["id"]), started_by_id=None)  # carried out by another process
    mine, not_mine = clients_of("small")[:2], clients_of("medium")[0]
    result = await import_list(service, token, firm["id"], small_list([*mine, not_mine]))
    assert [(e["code"], e["field"]) for e in result["errors"]] == [("INVALID_STATE", ["file"])]
    assert result["run"]["id"] == str(running.id) and result["verifying"] == 3
    await close_run(running.id, DiscoveryStatus.SUCCEEDED)

    run = await discover(service, token, firm["id"])
    assert (run["status"], run["total"], run["found"]) == ("SUCCEEDED", 3, 2)
    entries = await portfolio_contacts(service, token, firm["id"])
    assert {c: e["sources"] for c, e in entries.items()} == {c: ["IMPORT"] for c in mine}
    assert entries[mine[1]]["suggestedContact"]["representativeName"] == "Maria Ionescu 1"


async def test_multipart_requests_must_force_a_cors_preflight(service, db):
    from domain.portfolio.models import PortfolioContact

    token, firm = await accounting_firm(service, "small")
    response = await upload(service, token, firm["id"], small_list(clients_of("small")[:1]), preflight=False)
    assert response.status_code == 400 and "Apollo-Require-Preflight" in response.text
    assert await PortfolioContact.all().count() == 0
    assert (await import_list(service, token, firm["id"], small_list(clients_of("small")[:1])))["imported"] == 1


async def test_oversize_files_are_refused_with_the_limit(service, db):
    from domain.portfolio.imports import MAX_FILE_BYTES
    from domain.portfolio.models import PortfolioContact

    token, firm = await accounting_firm(service, "small")
    just_over = small_list(clients_of("small")[:1]) + b" " * MAX_FILE_BYTES
    result = await import_list(service, token, firm["id"], just_over, lang="ro")
    assert [(e["code"], e["field"]) for e in result["errors"]] == [("INVALID_INPUT", ["file"])]
    assert result["errors"][0]["message"].startswith("Fișierul are 5,0 MB; importați fișiere de cel mult 5 MB")
    huge = await upload(service, token, firm["id"], b"CUI\r\n" + b" " * (2 * MAX_FILE_BYTES))
    assert huge.status_code == 413 and "at most 5 MB" in huge.text
    too_many = csv_bytes([["CUI"]] + [[c] for c in (clients_of("large") * 3)[:5001]])
    result = await import_list(service, token, firm["id"], too_many)
    assert [(e["code"], e["field"]) for e in result["errors"]] == [("TOO_MANY_ITEMS", ["file"])]
    assert await PortfolioContact.all().count() == 0


async def test_who_may_import(service, db):
    from domain.portfolio.models import PortfolioContact

    token, firm = await accounting_firm(service, "small", authorize=False)
    content = small_list(clients_of("small")[:2])
    result = await import_list(service, token, firm["id"], content)
    assert [e["code"] for e in result["errors"]] == ["EFACTURA_NOT_AUTHORIZED"] and result["imported"] == 0
    stranger, _ = await api_user(service)
    body = (await upload(service, stranger, firm["id"], content)).json()
    assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    body = (await upload(service, None, firm["id"], content)).json()
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    # A client that sends the "file" as a plain JSON value gets told how to send it.
    result = (await service.client(token).execute(
        "mutation($id: ID!, $file: Upload!) { importPortfolioCandidates(companyId: $id, file: $file) { errors { code field message } } }",
        id=firm["id"], file="CUI\n123"))["importPortfolioCandidates"]
    assert [(e["code"], e["field"]) for e in result["errors"]] == [("INVALID_INPUT", ["file"])]
    assert await PortfolioContact.all().count() == 0


async def test_a_frontend_on_an_allowed_origin_may_send_the_preflight_header(start_service, db):
    import httpx

    service = await start_service(allowed_origins=("https://app.example.ro",))
    async with httpx.AsyncClient() as http:
        response = await http.options(service.graphql_url, headers={
            "Origin": "https://app.example.ro", "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,apollo-require-preflight"})
        other = await http.options(service.graphql_url, headers={
            "Origin": "https://elsewhere.example", "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "apollo-require-preflight"})
    assert response.status_code == 200
    assert "apollo-require-preflight" in response.headers["access-control-allow-headers"].lower()
    assert other.status_code == 400
