"""Written SQL through the ORM's connection: `$n` params used in any order, skipped or repeated, on
PostgreSQL and SQLite alike; rows become the models the ORM would give, or records holding the same
values for the fields read."""

from domain.accounts.models import User
from domain.companies.models import Company, RegistryStatus
from domain.invitations.models import Invitation, InvitationStatus
from domain.kernel import sql
from domain.kernel.clock import now


async def test_params_in_any_order_skipped_or_repeated(db):
    rows = await sql.fetch("SELECT $3 AS c, $1 AS a, $3 AS again", "a", "unused", "c")
    assert [dict(row) for row in rows] == [{"c": "c", "a": "a", "again": "c"}]


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


async def test_records_hold_what_the_models_hold(db):
    firm = await Company.create(cui="123", name="FIRMA", provides_accounting_services=True, registry_status=RegistryStatus.INACTIVE)
    at = now()
    made = await Invitation.create(firm=firm, cui="456", company_name="CLIENT", representative_name="Ana", email="ana@example.ro",
                                   phone="+40722000000", status=InvitationStatus.ACCEPTED, token_hash="t" * 64, sent_at=at,
                                   expires_at=at, accepted_at=at)
    fields = ("id", "firm_id", "client_company_id", "status", "sent_at", "accepted_at", "answered_at", "message")
    rows = await sql.fetch(f"SELECT {sql.columns(Invitation, 'i', 'i__', fields)}, {sql.columns(Company, 'f', 'f__')} "
                           "FROM invitations i JOIN companies f ON f.id = i.firm_id WHERE i.id = $1", made.id)
    invitation = sql.reader(Invitation, fields, "i__")(rows[0])
    company = sql.reader(Company, Company._meta.db_fields, "f__")(rows[0])
    orm, orm_firm = await Invitation.get(id=made.id), await Company.get(id=firm.id)
    assert invitation.__dict__ == {f: getattr(orm, f) for f in fields}
    assert invitation.status is InvitationStatus.ACCEPTED and invitation.sent_at.utcoffset().total_seconds() == 0
    assert company.__dict__ == {f: getattr(orm_firm, f) for f in Company._meta.db_fields}
    assert company.provides_accounting_services is True and company.registry_status is RegistryStatus.INACTIVE
    assert sql.reader(Company, ("id", "name"), "f__")({**dict(rows[0]), "f__id": None}) is None  # a left join that found nothing
