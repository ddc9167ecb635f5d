from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0002_import_contacts')]

    initial = False

    operations = [
        ops.AlterField(
            model_name='OutboxMessage',
            name='subject',
            field=fields.CharField(null=True, max_length=300),
        ),
        ops.AlterField(
            model_name='OutboxMessage',
            name='text_body',
            field=fields.TextField(null=True, unique=False),
        ),
        ops.AddField(
            model_name='OutboxMessage',
            name='context',
            field=fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='OutboxMessage',
            name='locale',
            field=fields.CharField(null=True, max_length=5),
        ),
        ops.AddField(
            model_name='OutboxMessage',
            name='template',
            field=fields.CharField(null=True, max_length=40),
        ),
        ops.AddIndex(
            model_name='PortfolioEntry',
            index=Index(fields=['invitation_id']),
        ),
    ]
