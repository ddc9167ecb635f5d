from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise import fields


async def fold_portfolio_names(apps, schema_editor) -> None:
    """Fill `search_name` of the entries that exist (new ones get it from the domain)."""
    from domain.kernel.text import fold

    client = schema_editor.client
    rows = await client.execute_query_dict('SELECT "id", "name" FROM "portfolio_entries"')
    mark = (lambda i: f"${i}") if client.capabilities.dialect == "postgres" else (lambda i: "?")
    for row in rows:
        await client.execute_query(f'UPDATE "portfolio_entries" SET "search_name" = {mark(1)} WHERE "id" = {mark(2)}',
                                   [fold(row["name"])[:300], row["id"]])


class Migration(migrations.Migration):
    dependencies = [('models', '0003_outbox_render_on_send')]

    initial = False

    operations = [
        ops.CreateModel(
            name='RegistryAnswer',
            fields=[
                ('cui', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=10)),
                ('record', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('fetched_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'registry_answers', 'app': 'models', 'pk_attr': 'cui', 'table_description': "ANAF's public registry answer for a CUI, as last fetched."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ThrottleCounter',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('key', fields.CharField(max_length=160)),
                ('bucket', fields.BigIntField()),
                ('hits', fields.IntField(default=0)),
                ('expires_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'throttle_counters', 'app': 'models', 'unique_together': (('key', 'bucket'),), 'pk_attr': 'id', 'table_description': 'How many times a key was used in one fixed window.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='PortfolioEntry',
            name='search_name',
            field=fields.CharField(default='', max_length=300),
        ),
        ops.RunPython(fold_portfolio_names, ops.RunPython.noop),
        ops.DeleteModel(name='ThrottleEvent'),
    ]
