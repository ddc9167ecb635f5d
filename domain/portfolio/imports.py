"""Reading the client list an accountant already has (CSV or XLSX) into rows: bytes in, rows and
per-cell problems out. Nothing here touches the database or ANAF.

- Format: XLSX is recognised by its content (a ZIP), everything else is read as delimited text.
  The old binary XLS is refused with a hint to save the sheet as XLSX or CSV.
- Text: UTF-8 (with or without BOM) is tried strictly first; anything that is not valid UTF-8 is
  read as Windows-1250, the code page Romanian Windows software writes. UTF-16 with a BOM
  (Excel's "Unicode text") is read too.
- Delimiter: `;` (what Excel writes with Romanian regional settings), `,` or tab: the one whose
  first rows contain a recognisable header row wins.
- Header row: the first of the first 20 rows that names a CUI column; column names are compared
  without diacritics, case or punctuation, so "Cod fiscal (CUI)", "COD FISCAL" and "cod_fiscal"
  are the same column. Rows above it (a title, the export date) are ignored.
- Row numbers are the ones the accountant sees in Excel: the header row's number + 1 onwards.

Each row gives a CUI (validated; a bad or missing CUI skips the row) and, when the file has them,
the company's name, the representative's name, e-mail and phone. A bad e-mail or phone keeps the
row (the company is still imported) without that value, and is reported at its cell.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from domain.kernel.contacts import clean_name, normalise_cui, normalise_email, normalise_phone
from domain.kernel.errors import DomainError, ErrorCode

MAX_ROWS = 5_000
MAX_FILE_BYTES = 5 * 1024 * 1024
HEADER_SCAN_ROWS = 20
MAX_COLUMNS = 100
MAX_XLSX_UNPACKED_BYTES = 100 * 1024 * 1024
FILE = "file"
_MAX_ROWS_EN = f"{MAX_ROWS:,}"
_MAX_ROWS_RO = _MAX_ROWS_EN.replace(",", ".")

# Canonical column (the name used in error paths) -> the headers Romanian accounting software and
# hand-made sheets use for it, in normalised form (see `normalise_header`).
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "cui": ("cui", "cif", "cod fiscal", "cod fiscal cui", "cod fiscal cif", "cui cif", "cif cui", "codul fiscal",
            "cod unic de inregistrare", "cod unic inregistrare", "cod de identificare fiscala",
            "cod identificare fiscala", "cui client", "cif client", "cod fiscal client", "cod fiscal partener",
            "cif partener", "cui partener", "nr fiscal", "numar fiscal", "vat", "vat number", "tax id"),
    "name": ("denumire", "nume", "client", "denumire client", "nume client", "firma", "denumire firma",
             "nume firma", "societate", "denumire societate", "companie", "denumire companie", "partener",
             "denumire partener", "nume partener", "company", "company name", "name"),
    "email": ("email", "e mail", "adresa email", "adresa e mail", "adresa de email", "adresa de e mail", "mail",
              "email client", "e mail client", "email contact", "e mail contact", "posta electronica"),
    "phone": ("telefon", "tel", "nr telefon", "nr tel", "numar telefon", "numar de telefon", "telefon mobil",
              "mobil", "tel mobil", "telefon contact", "telefon client", "phone", "mobile"),
    "representativeName": ("administrator", "reprezentant", "reprezentant legal", "persoana de contact",
                           "persoana contact", "contact", "nume contact", "nume reprezentant",
                           "nume administrator", "administrator reprezentant", "reprezentant administrator",
                           "nume persoana de contact", "representative", "contact person"),
}
# Windows-1250 has only the cedilla forms (Ş, Ţ); Romanian writes them with a comma below (Ș, Ț).
_COMMA_BELOW = str.maketrans("ŞşŢţ", "ȘșȚț")
_ALIAS_TO_COLUMN = {alias: column for column, aliases in COLUMN_ALIASES.items() for alias in aliases}


@dataclass(frozen=True)
class ImportRow:
    row: int  # as Excel numbers it
    cui: str
    name: str | None = None
    representative_name: str | None = None
    email: str | None = None
    phone: str | None = None


@dataclass
class ParsedImport:
    rows: list[ImportRow] = field(default_factory=list)
    errors: list[DomainError] = field(default_factory=list)  # each at ["file", "<row>", "<column>"]
    columns: dict[str, str] = field(default_factory=dict)  # canonical column -> the header as written
    rejected_rows: set[int] = field(default_factory=set)  # rows not imported (bad, missing or repeated CUI)


def normalise_header(value: Any) -> str:
    """"Cod fiscal (CUI)" -> "cod fiscal cui"; "E-mail" -> "e mail"; "Persoană de contact" -> "persoana de contact"."""
    text = unicodedata.normalize("NFKD", _text(value)).encode("ascii", "ignore").decode("ascii").lower()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


def _text(value: Any) -> str:
    """A cell as text: numbers as Excel shows them (12345678, not 12345678.0)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return " ".join(str(value).split())


def file_too_large(size: int) -> DomainError:
    mb = MAX_FILE_BYTES // (1024 * 1024)
    shown = f"{size / (1024 * 1024):.1f}"
    return DomainError(ErrorCode.INVALID_INPUT,
                       f"The file is {shown} MB; import files of at most {mb} MB ({_MAX_ROWS_EN} rows).",
                       f"Fișierul are {shown.replace('.', ',')} MB; importați fișiere de cel mult {mb} MB ({_MAX_ROWS_RO} de rânduri).",
                       field=[FILE])


def _unreadable(en: str, ro: str) -> DomainError:
    return DomainError(ErrorCode.INVALID_INPUT, en, ro, field=[FILE])


def _too_many_rows() -> DomainError:
    return DomainError(ErrorCode.TOO_MANY_ITEMS,
                       f"The file has more than {_MAX_ROWS_EN} rows; split it into files of at most {_MAX_ROWS_EN} clients.",
                       f"Fișierul are peste {_MAX_ROWS_RO} de rânduri; împărțiți-l în fișiere de cel mult {_MAX_ROWS_RO} de clienți.",
                       field=[FILE])


def _no_header(columns_seen: bool) -> DomainError:
    return _unreadable(
        "No column with the clients' CUIs was found in the first rows: name it CUI, CIF or Cod fiscal"
        + (" (the other columns: Denumire, Administrator, E-mail, Telefon)." if columns_seen else "."),
        "Nu am găsit în primele rânduri coloana cu CUI-urile clienților: denumiți-o CUI, CIF sau Cod fiscal"
        + (" (celelalte coloane: Denumire, Administrator, E-mail, Telefon)." if columns_seen else "."))


# -- reading the file -----------------------------------------------------------------------------

def parse_client_list(content: bytes, *, filename: str | None = None) -> ParsedImport:
    """Rows and per-cell problems; a file that cannot be read at all raises `DomainError` at ["file"]."""
    if len(content) > MAX_FILE_BYTES:
        raise file_too_large(len(content))
    if not content.strip():
        raise _unreadable("The file is empty.", "Fișierul este gol.")
    if content.startswith(b"PK\x03\x04"):
        return _read_rows(_xlsx_rows(content))
    if content.startswith(b"\xd0\xcf\x11\xe0"):
        raise _unreadable("This is an old Excel file (.xls): save it as .xlsx or .csv and import that.",
                          "Acesta este un fișier Excel vechi (.xls): salvați-l ca .xlsx sau .csv și importați-l pe acela.")
    return _read_csv(decode_text(content))


def decode_text(content: bytes) -> str:
    """UTF-8 (BOM or not) when the bytes are valid UTF-8, UTF-16 with a BOM, else Windows-1250."""
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return content.decode("utf-16")
        except UnicodeDecodeError:
            pass
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return content.decode("cp1250", errors="replace")


def _read_csv(text: str) -> ParsedImport:
    head = text[:64 * 1024]
    best: tuple[int, str] | None = None
    for delimiter in (";", ",", "\t"):
        rows = list(_limited(csv.reader(io.StringIO(head), delimiter=delimiter), HEADER_SCAN_ROWS))
        found = _find_header(rows)
        if found is not None:
            score = len(found[1])
            if best is None or score > best[0]:
                best = (score, delimiter)
    if best is None:
        first = list(_limited(csv.reader(io.StringIO(head), delimiter=";"), HEADER_SCAN_ROWS))
        raise _no_header(any(any(c.strip() for c in r) for r in first))
    return _read_rows(csv.reader(io.StringIO(text), delimiter=best[1]))


def _xlsx_rows(content: bytes) -> Iterator[tuple]:
    from openpyxl import load_workbook  # only when an XLSX arrives

    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
        if unpacked > MAX_XLSX_UNPACKED_BYTES:  # a "zip bomb", or a workbook far beyond 5,000 rows
            raise _unreadable(f"The workbook unpacks to more than {MAX_XLSX_UNPACKED_BYTES // (1024 * 1024)} MB; "
                              "keep only the client list in it, or export a CSV.",
                              f"Registrul are peste {MAX_XLSX_UNPACKED_BYTES // (1024 * 1024)} MB dezarhivat; "
                              "păstrați în el doar lista de clienți sau exportați un CSV.")
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError):
        raise _unreadable("The file could not be read as an Excel workbook (.xlsx); save it again or export a CSV.",
                          "Fișierul nu a putut fi citit ca registru Excel (.xlsx); salvați-l din nou sau exportați un CSV.") from None
    try:
        sheet = book.worksheets[0]
        sheet.reset_dimensions()  # exporters often write wrong dimensions; read what is there
        yield from sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True)
    finally:
        book.close()


def _limited(rows: Iterable, count: int) -> Iterator:
    return itertools.islice(rows, count)


def _find_header(rows: list) -> tuple[int, dict[int, str]] | None:
    """(index of the header row, {cell index: canonical column}) for the first row naming a CUI column."""
    for index, row in enumerate(rows):
        columns: dict[int, str] = {}
        for position, cell in enumerate(row[:MAX_COLUMNS]):
            column = _ALIAS_TO_COLUMN.get(normalise_header(cell))
            if column is not None and column not in columns.values():
                columns[position] = column
        if "cui" in columns.values():
            return index, columns
    return None


def _read_rows(rows: Iterable) -> ParsedImport:
    rows = iter(rows)
    head = []
    try:
        head = list(_limited(rows, HEADER_SCAN_ROWS))
    except (csv.Error, ValueError, KeyError, zipfile.BadZipFile):
        raise _unreadable("The file could not be read; export it again as CSV or XLSX.",
                          "Fișierul nu a putut fi citit; exportați-l din nou ca CSV sau XLSX.") from None
    found = _find_header(head)
    if found is None:
        raise _no_header(any(any(_text(c) for c in r) for r in head))
    header_index, columns = found
    header = head[header_index]
    result = ParsedImport(columns={column: _text(header[i]) for i, column in columns.items()})
    first_row = {}  # cui -> the row it was first read from
    count = 0

    def remaining() -> Iterator:
        yield from head[header_index + 1:]
        yield from rows

    try:
        for offset, raw in enumerate(remaining()):
            number = header_index + 2 + offset
            cells = {column: _text(raw[i]) if i < len(raw) else "" for i, column in columns.items()}
            if not any(cells.values()) and not any(_text(c) for c in raw[:MAX_COLUMNS]):
                continue  # an empty row
            count += 1
            if count > MAX_ROWS:
                raise _too_many_rows()
            row = _read_row(number, cells, result, first_row)
            if row is not None:
                result.rows.append(row)
    except csv.Error:
        raise _unreadable("The file could not be read past a malformed line; export it again as CSV or XLSX.",
                          "Fișierul nu a putut fi citit dincolo de o linie greșită; exportați-l din nou ca CSV sau XLSX.") from None
    if count == 0:
        raise _unreadable("The file has a header row but no clients under it.",
                          "Fișierul are rândul de antet, dar niciun client sub el.")
    return result


def _read_row(number: int, cells: dict[str, str], result: ParsedImport, first_row: dict[str, int]) -> ImportRow | None:
    at = [FILE, str(number)]
    raw_cui = cells.get("cui", "")
    if not raw_cui:
        result.errors.append(DomainError(ErrorCode.INVALID_CUI, f"Row {number} has no CUI; it was skipped.",
                                         f"Rândul {number} nu are CUI; a fost omis.", field=[*at, "cui"]))
        result.rejected_rows.add(number)
        return None
    try:
        cui = normalise_cui(raw_cui)
    except DomainError as error:
        result.errors.append(DomainError(error.code, f"Row {number}: {error.en} The row was skipped.",
                                         f"Rândul {number}: {error.ro} Rândul a fost omis.", field=[*at, "cui"]))
        result.rejected_rows.add(number)
        return None
    if cui in first_row:
        earlier = first_row[cui]
        result.errors.append(DomainError(ErrorCode.INVALID_INPUT,
                                         f"Row {number}: CUI {cui} is already on row {earlier}; this row was skipped.",
                                         f"Rândul {number}: CUI {cui} apare deja pe rândul {earlier}; acest rând a fost omis.",
                                         field=[*at, "cui"]))
        result.rejected_rows.add(number)
        return None
    first_row[cui] = number
    values: dict[str, str | None] = {}
    for column, check in (("email", normalise_email), ("phone", normalise_phone)):
        raw = cells.get(column, "")
        values[column] = None
        if raw:
            try:
                values[column] = check(raw)
            except DomainError as error:
                result.errors.append(_kept_without(number, column, result.columns.get(column, column), raw, error, at))
    for column in ("name", "representativeName"):
        raw = cells.get(column, "")
        values[column] = None
        if raw:
            try:
                values[column] = clean_name(raw.translate(_COMMA_BELOW), max_length=300 if column == "name" else 200)
            except DomainError as error:
                result.errors.append(_kept_without(number, column, result.columns.get(column, column), raw, error, at))
    return ImportRow(row=number, cui=cui, name=values["name"], representative_name=values["representativeName"],
                     email=values["email"], phone=values["phone"])


def _kept_without(number: int, column: str, header: str, raw: str, error: DomainError, at: list[str]) -> DomainError:
    shown = raw[:60]
    return DomainError(error.code,
                       f"Row {number}, column {header}: “{shown}” is not valid; the company is imported without this value.",
                       f"Rândul {number}, coloana {header}: „{shown}” nu este valid; compania este importată fără această valoare.",
                       field=[*at, column])
