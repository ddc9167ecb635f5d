"""Uploading client lists the way Apollo Upload and urql do: the GraphQL multipart request spec."""

from __future__ import annotations

import io
import json

import httpx

IMPORT = """mutation($id: ID!, $file: Upload!) { importPortfolioCandidates(companyId: $id, file: $file) {
  entries { cui name sources suggestedContact { representativeName email phone } }
  errors { code field message } run { id status total } rowsRead imported verifying columns { field header } } }"""
CONTACTS = """query($id: ID!, $first: Int, $after: String) { portfolio(companyId: $id, first: $first, after: $after) {
  pageInfo { hasNextPage endCursor }
  edges { node { cui name sources suggestedContact { representativeName email phone } } } } }"""

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def upload(service, token: str | None, company_id: str, content: bytes, *, filename: str = "clienti.csv",
                 content_type: str = "text/csv", preflight: bool = True, lang: str | None = None) -> httpx.Response:
    operations = {"query": IMPORT, "variables": {"id": company_id, "file": None}}
    headers = {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if preflight:
        headers["Apollo-Require-Preflight"] = "true"
    if lang:
        headers["Accept-Language"] = lang
    async with httpx.AsyncClient(timeout=60.0) as http:
        return await http.post(service.graphql_url, headers=headers,
                               data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.file"]})},
                               files={"0": (filename, content, content_type)})


async def import_list(service, token: str, company_id: str, content: bytes, **kw) -> dict:
    response = await upload(service, token, company_id, content, **kw)
    assert response.status_code == 200, response.text
    body = response.json()
    assert not body.get("errors"), body["errors"]
    return body["data"]["importPortfolioCandidates"]


def csv_bytes(rows: list[list[str]], *, delimiter: str = ";", encoding: str = "utf-8", bom: bool = False) -> bytes:
    text = "\r\n".join(delimiter.join(_quoted(c, delimiter) for c in row) for row in rows) + "\r\n"
    return ("\ufeff" if bom else "").encode(encoding) + text.encode(encoding)


def _quoted(cell: str, delimiter: str) -> str:
    cell = "" if cell is None else str(cell)
    return f'"{cell.replace(chr(34), chr(34) * 2)}"' if delimiter in cell or '"' in cell else cell


def xlsx_bytes(rows: list[list]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Clienți"
    for row in rows:
        sheet.append(row)
    book.create_sheet("Altceva").append(["CUI"])  # only the first sheet is read
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def portfolio_contacts(service, token: str, company_id: str) -> dict[str, dict]:
    entries, after = {}, None
    while True:
        page = (await service.client(token).execute(CONTACTS, id=company_id, first=200, after=after))["portfolio"]
        entries.update({e["node"]["cui"]: e["node"] for e in page["edges"]})
        if not page["pageInfo"]["hasNextPage"]:
            return entries
        after = page["pageInfo"]["endCursor"]
