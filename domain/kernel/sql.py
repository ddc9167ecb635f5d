"""Hot reads in written SQL, through the ORM's own connection.

The screens read on every request (the session, a portfolio page, the bell) spend more in building
their statements through the query builder than in the database. Their statements are written once
here instead, in PostgreSQL's `$n` style (rewritten for SQLite), and their rows become the same
models the ORM would give (what `Model._init_from_db` makes), or, for a read that
only shows some columns (the bell, the companies list), records of those columns converted as the
model converts them, which cost a fraction of a model. They run on the ORM's connection, so inside
a unit of work they see its writes, and every statement is logged like the ORM's own.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Sequence

from tortoise import connections
from tortoise.fields.data import CharEnumFieldInstance, DatetimeField, IntEnumFieldInstance
from tortoise.models import Model
from tortoise.timezone import get_default_timezone, get_use_tz

_PLACEHOLDER = re.compile(r"\$(\d+)")
# `column = ANY($n)` with a list param: PostgreSQL's own; SQLite reads the list as a JSON array.
_ANY = re.compile(r"= ANY\(\$(\d+)\)")
# (statement, dialect) -> (the statement for that dialect, which params it takes, in order)
_prepared: dict[tuple[str, bool], tuple[str, tuple[int, ...]]] = {}
# (model, alias, prefix, fields or None for all) -> the select list
_columns: dict[tuple[type[Model], str, str, tuple[str, ...] | None], str] = {}


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


async def fetch(sql: str, *params: Any) -> Sequence[Any]:
    """The driver's rows, read by column name (`row["name"]`; `dict(row)` for a dict). `$1`, `$2`…
    are the params by position; a statement may use any of them, in any order, more than once. A
    list param goes with `column = ANY($n)`."""
    client = connections.get("default")
    postgres = client.capabilities.dialect == "postgres"
    text, order = _prepare(sql, postgres)
    values = [params[i] for i in order]
    if not postgres:
        values = [json.dumps(list(v)) if isinstance(v, (list, tuple)) else v for v in values]
    return (await client.execute_query(text, values))[1]


def _names(model: type[Model]) -> list[str]:
    return sorted(model._meta.fields_db_projection.values())


def columns(model: type[Model], alias: str, prefix: str = "", fields: tuple[str, ...] | None = None) -> str:
    """`alias."col" AS "<prefix>col", …` for every column of the model, or for those of `fields`."""
    key = (model, alias, prefix, fields)
    text = _columns.get(key)
    if text is None:
        names = _names(model) if fields is None else [model._meta.fields_db_projection[name] for name in fields]
        text = _columns[key] = ", ".join(f'{alias}."{name}" AS "{prefix}{name}"' for name in names)
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


def model(model_class: type[Model], row: Any, prefix: str = "") -> Model | None:
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


class Record:
    """Some fields of a model's row, as attributes of the same names and values the model would have."""

    def __init__(self, **values: Any) -> None:
        self.__dict__.update(values)

    def __repr__(self) -> str:
        return f"Record({', '.join(f'{k}={v!r}' for k, v in self.__dict__.items())})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Record) and other.__dict__ == self.__dict__


def _same(value: Any) -> Any:
    return value


def _converter(model_class: type[Model], name: str, postgres: bool) -> Callable[[Any], Any]:
    """What `_init_from_db` does to the field's value (never called with None)."""
    meta = model_class._meta
    field = meta.fields_map[name]
    if any(model_field == name for _, model_field, _ in meta.db_native_fields):
        return _same
    if any(model_field == name for _, model_field, _ in meta.db_default_fields):
        return field.field_type
    convert = field.to_python_value
    members = getattr(getattr(field, "enum_type", None), "_value2member_map_", None)
    if isinstance(field, (CharEnumFieldInstance, IntEnumFieldInstance)) and members is not None:
        # What `enum_type(value)` finds, without going through the enum's constructor.
        def member(value: Any) -> Any:
            found = members.get(value)
            return found if found is not None else convert(value)

        return member
    zone = get_default_timezone()
    if postgres and isinstance(field, DatetimeField) and get_use_tz() and str(zone) == "UTC":
        # asyncpg gives `timestamptz` as an aware datetime in UTC already: the ORM would only swap
        # the tzinfo object for the configured UTC zone, the same instant with the same offset.
        return lambda value: value if value.tzinfo is timezone.utc and value.__class__ is datetime else convert(value)
    return convert


_converters: dict[tuple[type[Model], str, bool], Callable[[Any], Any]] = {}


def converter(model_class: type[Model], name: str) -> Callable[[Any], Any]:
    """A column's value as the model's field `name` would hold it (None stays None)."""
    postgres = connections.get("default").capabilities.dialect == "postgres"
    key = (model_class, name, postgres)
    convert = _converters.get(key)
    if convert is None:
        inner = _converter(model_class, name, postgres)
        convert = _converters[key] = lambda value: None if value is None else inner(value)
    return convert


_readers: dict[tuple[type[Model], tuple[str, ...], str, bool], Callable[[Any], "Record | None"]] = {}


def reader(model_class: type[Model], fields: Iterable[str], prefix: str = "") -> Callable[[Any], Record | None]:
    """A function making, from a row that selected `columns(model_class, …, prefix, fields)`, the
    record of those fields (None for a left join that found nothing: a null primary key, when read)."""
    fields = tuple(fields)
    postgres = connections.get("default").capabilities.dialect == "postgres"
    key = (model_class, fields, prefix, postgres)
    read = _readers.get(key)
    if read is None:
        read = _readers[key] = _write_reader(model_class, fields, prefix, postgres)
    return read


def _write_reader(model_class: type[Model], fields: tuple[str, ...], prefix: str, postgres: bool) -> Callable[[Any], Record | None]:
    """The reader as one function, its source written here (as dataclasses write their `__init__`):
    each column read by name, converted only when the model's field converts it and it is not null."""
    projection = model_class._meta.fields_db_projection
    pk = model_class._meta.pk_attr
    env: dict[str, Any] = {"new": Record.__new__, "Record": Record}
    lines = ["def read(row):"]
    values = []
    for i, name in enumerate(fields):
        env[f"k{i}"] = prefix + projection[name]
        lines.append(f"    v{i} = row[k{i}]")
        if name == pk:
            lines.append(f"    if v{i} is None:\n        return None")
        convert = _converter(model_class, name, postgres)
        if convert is _same:
            values.append(f"v{i}")
        else:
            env[f"c{i}"] = convert
            values.append(f"None if v{i} is None else c{i}(v{i})")
    lines += ["    record = new(Record)", "    record.__dict__ = {" + ", ".join(f"{name!r}: {value}" for name, value in zip(fields, values)) + "}",
              "    return record"]
    exec("\n".join(lines), env)  # noqa: S102 - field names of a model; column names passed in `env`
    return env["read"]


class Statements(dict):
    """Statement texts by variant, written on first use (column lists need the models set up):
    `Statements(lambda a, b: f"...")[(a, b)]`."""

    def __init__(self, write: Callable[..., str]) -> None:
        super().__init__()
        self.write = write

    def __missing__(self, key: Any) -> str:
        text = self[key] = self.write(*key) if isinstance(key, tuple) else self.write(key)
        return text
