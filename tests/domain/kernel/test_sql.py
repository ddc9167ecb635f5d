"""Written SQL through the ORM's connection: `$n` params used in any order, skipped or repeated, on
PostgreSQL and SQLite alike; rows become the models the ORM would give."""

from domain.accounts.models import User
from domain.kernel import sql


async def test_params_in_any_order_skipped_or_repeated(db):
    rows = await sql.fetch("SELECT $3 AS c, $1 AS a, $3 AS again", "a", "unused", "c")
    assert rows == [{"c": "c", "a": "a", "again": "c"}]


async def test_rows_become_models_like_the_orm_gives(db):
    made = await User.create(email="ana@example.ro", name="Ana", password_hash="-")
    rows = await sql.fetch(f"SELECT {sql.columns(User, 'u', 'u__')} FROM users u WHERE u.id = $1", made.id)
    user = sql.model(User, rows[0], "u__")
    orm = await User.get(id=made.id)
    assert {f: getattr(user, f) for f in User._meta.db_fields} == {f: getattr(orm, f) for f in User._meta.db_fields}
    assert sql.model(User, {**rows[0], "u__id": None}, "u__") is None  # a left join that found nothing
