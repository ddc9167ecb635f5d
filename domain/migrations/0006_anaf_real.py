from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0005_ownership')]

    initial = False

    operations = [
        ops.AddField(
            model_name='EfacturaIntegration',
            name='rights_problem',
            field=fields.CharField(null=True, max_length=16),
        ),
    ]
