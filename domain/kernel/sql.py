"""Hot reads in written SQL, through the ORM's own connection.

The screens read on every request (the session, a portfolio page, the bell) spend more in building
their statements through the query builder than in the database. Their statements are written once
here instead, in PostgreSQL's `$n` style (rewritten for SQLite), and their rows become the same
models the ORM would give (`Model._init_from_db`, which the ORM itself uses). They run on the
ORM's connection, so inside a unit of work they see its writes, and every statement is logged like
the ORM's own.
"""

from __future__ import annotations

import json
import re
from typing import Any, Callable

from tortoise import connections
from tortoise.models import Model

_PLACEHOLDER = re.compile(r"\$(\d+)")
# `column = ANY($n)` with a list param: PostgreSQL's own; SQLite reads the list as a JSON array.
_ANY = re.compile(r"= ANY\(\$(\d+)\)")
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
            sql = _ANY.sub(r"IN (SELECT value FROM json_each($\1))", sql)
            known = (_PLACEHOLDER.sub("?", sql), tuple(int(n) - 1 for n in _PLACEHOLDER.findall(sql)))
        _prepared[(sql, postgres)] = known
    return known


async def fetch(sql: str, *params: Any) -> list[dict[str, Any]]:
    """Rows as dicts. `$1`, `$2`… are the params by position; a statement may use any of them, in
    any order, more than once. A list param goes with `column = ANY($n)`."""
    client = connections.get("default")
    postgres = client.capabilities.dialect == "postgres"
    text, order = _prepare(sql, postgres)
    values = [params[i] for i in order]
    if not postgres:
        values = [json.dumps(list(v)) if isinstance(v, (list, tuple)) else v for v in values]
    return await client.execute_query_dict(text, values)


def _names(model: type[Model]) -> list[str]:
    return sorted(model._meta.fields_db_projection.values())


def columns(model: type[Model], alias: str, prefix: str = "") -> str:
    """`alias."col" AS "<prefix>col", …` for every column of the model."""
    key = (model, alias, prefix)
    text = _columns.get(key)
    if text is None:
        text = _columns[key] = ", ".join(f'{alias}."{name}" AS "{prefix}{name}"' for name in _names(model))
    return text


class _Spec:
    """How the ORM turns a row into a model (`Model._init_from_db`), worked out once per model and prefix:
    which columns the driver already gives as Python values, which take the field's type, which its
    conversion."""

    def __init__(self, model_class: type[Model], prefix: str) -> None:
        meta = model_class._meta
        self.pk = prefix + meta.db_pk_column
        self.flags = {"_partial": False, "_saved_in_db": True,
                      "_custom_generated_pk": meta.db_pk_column not in meta.generated_db_fields}
        self.native = tuple((prefix + key, attr) for key, attr, _ in meta.db_native_fields)
        self.typed = tuple((prefix + key, attr, field.field_type) for key, attr, field in meta.db_default_fields)
        self.converted = tuple((prefix + key, attr, field.to_python_value) for key, attr, field in meta.db_complex_fields)


_specs: dict[tuple[type[Model], str], _Spec] = {}


def model(model_class: type[Model], row: dict[str, Any], prefix: str = "") -> Model | None:
    """The model of the columns `columns(model_class, …, prefix)` selected; None for a left join that
    found nothing. The same object `Model._init_from_db` makes, its attributes set directly (a third
    of the time: a bell page or a burst of notifications makes thousands)."""
    spec = _specs.get((model_class, prefix))
    if spec is None:
        spec = _specs[(model_class, prefix)] = _Spec(model_class, prefix)
    if row[spec.pk] is None:
        return None
    instance = model_class.__new__(model_class)
    state = instance.__dict__
    state.update(spec.flags)
    state["_await_when_save"] = {}
    for key, attr in spec.native:
        state[attr] = row[key]
    for key, attr, field_type in spec.typed:
        value = row[key]
        state[attr] = None if value is None else field_type(value)
    for key, attr, convert in spec.converted:
        state[attr] = convert(row[key])
    return instance


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
