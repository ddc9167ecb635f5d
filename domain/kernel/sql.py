"""Hot reads in written SQL, through the ORM's own connection.

The screens read on every request (the session, a portfolio page, the bell) spend more in building
their statements through the query builder than in the database. Their statements are written once
here instead, in PostgreSQL's `$n` style (rewritten for SQLite), and their rows become the same
models the ORM would give (`Model._init_from_db`, which the ORM itself uses). They run on the
ORM's connection, so inside a unit of work they see its writes, and every statement is logged like
the ORM's own.
"""

from __future__ import annotations

import re
from typing import Any, Callable

from tortoise import connections
from tortoise.models import Model

_PLACEHOLDER = re.compile(r"\$(\d+)")
# (statement, dialect) -> (the statement for that dialect, which params it takes, in order)
_prepared: dict[tuple[str, bool], tuple[str, tuple[int, ...]]] = {}
_columns: dict[tuple[type[Model], str, str], str] = {}


def _prepare(sql: str, postgres: bool) -> tuple[str, tuple[int, ...]]:
    """PostgreSQL gets the `$n` it uses renumbered 1..k (a statement variant may skip some params);
    SQLite gets `?` with the params in the order they appear."""
    known = _prepared.get((sql, postgres))
    if known is None:
        if postgres:
            used = sorted({int(n) for n in _PLACEHOLDER.findall(sql)})
            number = {n: i + 1 for i, n in enumerate(used)}
            known = (_PLACEHOLDER.sub(lambda m: f"${number[int(m.group(1))]}", sql), tuple(n - 1 for n in used))
        else:
            known = (_PLACEHOLDER.sub("?", sql), tuple(int(n) - 1 for n in _PLACEHOLDER.findall(sql)))
        _prepared[(sql, postgres)] = known
    return known


async def fetch(sql: str, *params: Any) -> list[dict[str, Any]]:
    """Rows as dicts. `$1`, `$2`… are the params by position; a statement may use any of them, in
    any order, more than once."""
    client = connections.get("default")
    text, order = _prepare(sql, client.capabilities.dialect == "postgres")
    return await client.execute_query_dict(text, [params[i] for i in order])


def _names(model: type[Model]) -> list[str]:
    return sorted(model._meta.fields_db_projection.values())


def columns(model: type[Model], alias: str, prefix: str = "") -> str:
    """`alias."col" AS "<prefix>col", …` for every column of the model."""
    key = (model, alias, prefix)
    text = _columns.get(key)
    if text is None:
        text = _columns[key] = ", ".join(f'{alias}."{name}" AS "{prefix}{name}"' for name in _names(model))
    return text


_specs: dict[tuple[type[Model], str], tuple[str, tuple[tuple[str, str], ...]]] = {}


def model(model_class: type[Model], row: dict[str, Any], prefix: str = "") -> Model | None:
    """The model of the columns `columns(model_class, …, prefix)` selected; None for a left join that
    found nothing."""
    spec = _specs.get((model_class, prefix))
    if spec is None:
        spec = _specs[(model_class, prefix)] = (prefix + model_class._meta.db_pk_column,
                                                tuple((prefix + name, name) for name in _names(model_class)))
    pk, keys = spec
    if row[pk] is None:
        return None
    return model_class._init_from_db(**{name: row[key] for key, name in keys})


def attach(instance: Model, relation: str, related: Model | None) -> None:
    """Set a foreign key's loaded object, as `select_related` does."""
    object.__setattr__(instance, f"_{relation}", related)


class Statements(dict):
    """Statement texts by variant, written on first use (column lists need the models set up):
    `Statements(lambda a, b: f"...")[(a, b)]`."""

    def __init__(self, write: Callable[..., str]) -> None:
        super().__init__()
        self.write = write

    def __missing__(self, key: Any) -> str:
        text = self[key] = self.write(*key) if isinstance(key, tuple) else self.write(key)
        return text
