"""Reading client lists as Romanian accounting software and spreadsheets write them."""

import codecs

import pytest
from stdnum.ro import cui as ro_cui

from domain.kernel.errors import DomainError
from domain.portfolio.imports import MAX_FILE_BYTES, MAX_ROWS, parse_client_list
from tests.support.imports import csv_bytes, xlsx_bytes


def valid_cui(n: int) -> str:
    digits = str(1_000_000 + n)
    return digits + ro_cui.calc_check_digit(digits)


A, B, C = valid_cui(1), valid_cui(2), valid_cui(3)


def fields(parsed) -> list[tuple[str, list[str]]]:
    return [(e.code.value, e.field) for e in parsed.errors]


@pytest.mark.parametrize("headers", [
    ["CUI", "Denumire", "Administrator", "E-mail", "Telefon"],
    ["cif", "NUME", "Reprezentant", "Email", "Tel"],
    ["Cod fiscal", "Client", "Persoana de contact", "Adresa e-mail", "Tel."],
    ["Cod fiscal (CUI)", "Denumire client", "Persoană de contact", "Adresă de e-mail", "Număr de telefon"],
    ["  COD_FISCAL  ", "denumire", "reprezentant legal", "E-Mail", "TELEFON MOBIL"],
])
def test_header_spellings_of_romanian_exports(headers):
    parsed = parse_client_list(csv_bytes([headers, [f"RO{A}", "Alfa SRL", "Ion Pop", "Ion@Alfa.ro", "0722 123 456"]]))
    assert parsed.errors == []
    [row] = parsed.rows
    assert (row.row, row.cui, row.name, row.representative_name, row.email, row.phone) == (
        2, A, "Alfa SRL", "Ion Pop", "ion@alfa.ro", "+40722123456")


@pytest.mark.parametrize("encoding,bom", [("utf-8", False), ("utf-8", True), ("cp1250", False), ("utf-16", False)])
def test_encodings(encoding, bom):
    content = csv_bytes([["CUI", "Denumire", "Reprezentant"], [A, "Ţesătoria Ş.A.", "Ştefan Bălţatu"]], encoding=encoding, bom=bom)
    if encoding == "utf-16":
        assert content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    [row] = parse_client_list(content).rows
    # Windows-1250 only has the cedilla letters; they are written with the comma below.
    assert (row.name, row.representative_name) == ("Țesătoria Ș.A.", "Ștefan Bălțatu")


def test_comma_and_semicolon_files_are_told_apart_by_their_header():
    semicolon = csv_bytes([["Denumire", "CUI", "Email"], ["Alfa, Beta & Co SRL", A, "a@b.ro"]], delimiter=";")
    comma = csv_bytes([["Denumire", "CUI", "Email"], ["Alfa; Beta SRL", A, "a@b.ro"], ["Gama, Delta SRL", B, ""]], delimiter=",")
    tab = csv_bytes([["Denumire", "CUI"], ["Alfa", A]], delimiter="\t")
    assert [r.name for r in parse_client_list(semicolon).rows] == ["Alfa, Beta & Co SRL"]
    assert [r.name for r in parse_client_list(comma).rows] == ["Alfa; Beta SRL", "Gama, Delta SRL"]
    assert [r.cui for r in parse_client_list(tab).rows] == [A]


def test_rows_are_numbered_as_excel_shows_them_and_problems_are_at_their_cell():
    content = csv_bytes([
        ["Situație clienți la 30.11.2026"], [],
        ["Nr.", "Denumire", "CIF", "E-mail", "Telefon", "Administrator"],
        ["1", "Alfa", A, "nu-e-email", "0722 123 456", "Ana"],  # row 4: kept without the e-mail
        ["2", "Beta", "12345", "b@b.ro", "", ""],  # row 5: bad CUI, skipped
        [], ["", "", "", "", "", ""],  # rows 6, 7: empty, ignored
        ["3", "Gama", "", "g@g.ro", "", ""],  # row 8: no CUI
        ["4", "Alfa din nou", A, "", "", ""],  # row 9: repeated
        ["5", "Delta", f"ro {B}", "d@d.ro", "12", "x" * 201],  # row 10: bad phone, name too long
    ])
    parsed = parse_client_list(content)
    assert fields(parsed) == [
        ("INVALID_EMAIL", ["file", "4", "email"]),
        ("INVALID_CUI", ["file", "5", "cui"]),
        ("INVALID_CUI", ["file", "8", "cui"]),
        ("INVALID_INPUT", ["file", "9", "cui"]),
        ("INVALID_PHONE", ["file", "10", "phone"]),
        ("INVALID_INPUT", ["file", "10", "representativeName"]),
    ]
    assert [(r.row, r.cui, r.email, r.phone, r.representative_name) for r in parsed.rows] == [
        (4, A, None, "+40722123456", "Ana"), (10, B, "d@d.ro", None, None)]
    assert parsed.rejected_rows == {5, 8, 9}
    assert parsed.errors[0].message("ro") == "Rândul 4, coloana E-mail: „nu-e-email” nu este valid; compania este importată fără această valoare."
    assert parsed.errors[2].message("en") == "Row 8 has no CUI; it was skipped."


def test_xlsx_first_sheet_with_numbers_and_a_title_above_the_header():
    content = xlsx_bytes([
        ["Lista clienților"],
        [None, "Cod fiscal", "Denumire", "Telefon", "E-mail"],
        [1, int(A), "Alfa", 722123456, None],
        [2, float(B), "Beta", "+40 21 315 1234", "office@beta.ro"],
        [None, None, None, None, None],
        [3, f"RO{C}", "Gama", None, "GAMA@EXEMPLU.RO"],
    ])
    parsed = parse_client_list(content)
    assert parsed.errors == []
    assert [(r.row, r.cui, r.name, r.phone, r.email) for r in parsed.rows] == [
        (3, A, "Alfa", "+40722123456", None), (4, B, "Beta", "+40213151234", "office@beta.ro"), (6, C, "Gama", None, "gama@exemplu.ro")]


@pytest.mark.parametrize("content,start", [
    (csv_bytes([["Nume", "Adresa"], ["Alfa", "Str. X"]]), "No column with the clients' CUIs"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "This is an old Excel file (.xls)"),
    (b"PK\x03\x04 not really a workbook", "The file could not be read as an Excel workbook"),
    (b"  \r\n", "The file is empty."),
    (csv_bytes([["CUI", "Denumire"]]), "The file has a header row but no clients under it."),
])
def test_files_that_cannot_be_read_say_why(content, start):
    with pytest.raises(DomainError) as caught:
        parse_client_list(content)
    assert caught.value.field == ["file"] and caught.value.en.startswith(start)


def test_at_most_5000_rows_and_5_mb():
    header = [["CUI", "Denumire"]]
    ok = parse_client_list(csv_bytes(header + [[valid_cui(n), f"Firma {n}"] for n in range(MAX_ROWS)]))
    assert len(ok.rows) == MAX_ROWS and ok.errors == []
    with pytest.raises(DomainError) as caught:
        parse_client_list(csv_bytes(header + [[valid_cui(n), f"Firma {n}"] for n in range(MAX_ROWS + 1)]))
    assert (caught.value.code.value, caught.value.field) == ("TOO_MANY_ITEMS", ["file"])
    assert caught.value.message("ro") == "Fișierul are peste 5.000 de rânduri; împărțiți-l în fișiere de cel mult 5.000 de clienți."
    with pytest.raises(DomainError) as caught:
        parse_client_list(b"CUI\r\n" + b" " * MAX_FILE_BYTES)
    assert caught.value.en.startswith("The file is 5.0 MB; import files of at most 5 MB")


def test_a_workbook_that_unpacks_to_far_more_than_a_client_list_is_refused():
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"<" + b" " * (101 * 1024 * 1024))
    assert len(out.getvalue()) < MAX_FILE_BYTES
    with pytest.raises(DomainError) as caught:
        parse_client_list(out.getvalue())
    assert caught.value.en.startswith("The workbook unpacks to more than 100 MB")
