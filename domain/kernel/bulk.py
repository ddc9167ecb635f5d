"""Multi-row INSERTs: many rows of one model in one statement (per few thousand values), without
building an ORM object per row, returning the columns the caller asks for (e.g. the new ids).

Values go through each field's own conversion (`to_db_value`), as the ORM's inserts do, and fields
left out get their model default (`default=`, `auto_now_add`), so the rows are the ones `create()`
would write. `RETURNING` works alike on PostgreSQL and SQLite (3.35+); the order of the returned
rows is not guaranteed, so callers that need to match them return a key column with the id.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from tortoise.models import Model

from domain.kernel.clock import now

# Bound parameters per statement: under PostgreSQL's 32,767 and SQLite's 32,766.
MAX_PARAMETERS = 30_000


def _defaults(model: type[Model], given: Sequence[str]) -> dict[str, Any]:
    """The model-side defaults of the fields a row leaves out (the database has none of them)."""
    meta, at, values = model._meta, None, {}
    for name in meta.fields_db_projection:
        field = meta.fields_map[name]
        if name in given or field.generated:
            continue
        if getattr(field, "auto_now_add", False) or getattr(field, "auto_now", False):
            at = at or now()
            values[name] = at
        elif field.default is not None:
            values[name] = field.default() if callable(field.default) else field.default
    return values


async def insert_rows(model: type[Model], rows: Sequence[Mapping[str, Any]], *,
                      returning: Sequence[str] = ()) -> list[dict[str, Any]]:
    """Insert `rows` (field name → value, every row with the same fields) in the current
    transaction; the `returning` columns (or "*") of each inserted row, in no particular order."""
    if not rows:
        return []
    meta = model._meta
    names = list(rows[0])
    defaults = _defaults(model, names)
    fields = [meta.fields_map[name] for name in [*names, *defaults]]
    columns = ", ".join(f'"{meta.fields_db_projection[name]}"' for name in [*names, *defaults])
    conn = meta.db  # inside a transaction: the transaction's connection
    postgres = conn.capabilities.dialect == "postgres"
    tail = " RETURNING " + ", ".join(c if c == "*" else f'"{c}"' for c in returning) if returning else ""
    if postgres:
        return await _insert_unnest(conn, meta.db_table, columns, fields, model, rows, names, defaults, tail)
    per_statement = max(1, MAX_PARAMETERS // len(fields))
    out: list[dict[str, Any]] = []
    for start in range(0, len(rows), per_statement):
        chunk = rows[start:start + per_statement]
        values: list[Any] = []
        groups = []
        for row in chunk:
            marks = []
            for field, raw in zip(fields, [*(row[n] for n in names), *defaults.values()]):
                values.append(field.to_db_value(raw, model))
                marks.append(f"${len(values)}" if postgres else "?")
            groups.append(f"({', '.join(marks)})")
        sql = f'INSERT INTO "{meta.db_table}" ({columns}) VALUES {", ".join(groups)}{tail}'
        if returning:
            out += [dict(r) for r in await conn.execute_query_dict(sql, values)]
        else:
            await conn.execute_query(sql, values)
    return out


async def _insert_unnest(conn, table: str, columns: str, fields: list, model: type[Model], rows: Sequence[Mapping[str, Any]],
                         names: list[str], defaults: dict[str, Any], tail: str) -> list[dict[str, Any]]:
    """PostgreSQL: one array parameter per column (`INSERT ... SELECT * FROM unnest(...)`), so the
    statement text, and its prepared plan, is the same whatever the number of rows."""
    arrays = [[field.to_db_value(row[name], model) for row in rows] for field, name in zip(fields, names)]
    arrays += [[field.to_db_value(value, model)] * len(rows) for field, value in zip(fields[len(names):], defaults.values())]
    types = ", ".join(f"${i + 1}::{field.get_for_dialect('postgres', 'SQL_TYPE')}[]" for i, field in enumerate(fields))
    sql = f'INSERT INTO "{table}" ({columns}) SELECT * FROM unnest({types}){tail}'
    if tail:
        return [dict(r) for r in await conn.execute_query_dict(sql, arrays)]
    await conn.execute_query(sql, arrays)
    return []
