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


async def test_models_of_every_kind_of_column_match_the_orm_and_can_be_saved(db):
    from domain.notifications.models import Notification, NotificationKind

    user = await User.create(email="ion@example.ro", name="Ion", password_hash="-")
    made = await Notification.create(user=user, kind=NotificationKind.PORTFOLIO_DISCOVERED, title="t", body="b",
                                     data={"companies": [1, 2]})
    rows = await sql.fetch(f"SELECT {sql.columns(Notification, 'n', 'n__')} FROM notifications n WHERE n.id = $1", made.id)
    written = sql.model(Notification, rows[0], "n__")
    orm = await Notification.get(id=made.id)
    assert written.__dict__ == orm.__dict__  # enum, datetime, JSON, nullable keys: the ORM's own values
    written.title = "changed"
    await written.save(update_fields=["title"])
    assert (await Notification.get(id=made.id)).title == "changed"


async def test_a_list_param_matches_any_of_its_values(db):
    users = [await User.create(email=f"u{n}@example.ro", name=f"U{n}", password_hash="-") for n in range(3)]
    wanted = [users[0].id, users[2].id]
    rows = await sql.fetch("SELECT id FROM users WHERE id = ANY($1) AND name <> $2 ORDER BY id", wanted, "-")
    assert [row["id"] for row in rows] == wanted
    assert await sql.fetch("SELECT id FROM users WHERE id = ANY($1)", []) == []
