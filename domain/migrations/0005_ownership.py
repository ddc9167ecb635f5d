from tortoise import fields, migrations
from tortoise.migrations import operations as ops

from domain.companies.models import CompanyVerification

# Owners who came through an invitation link before verification existed held that link: they are
# verified by it. Everyone else starts UNVERIFIED (an e-Factura authorization is probed again before
# the next discovery or invitation, which verifies whoever authorized it).
BACKFILL_INVITED_OWNERS = (
    "UPDATE memberships SET verification = 'VERIFIED_BY_INVITATION' WHERE EXISTS ("
    "SELECT 1 FROM invitations i WHERE i.client_user_id = memberships.user_id "
    "AND i.client_company_id = memberships.company_id AND i.status IN ('ACCOUNT_CREATED', 'ACCEPTED', 'DECLINED'))"
)


class Migration(migrations.Migration):
    dependencies = [('models', '0004_limits')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Company',
            name='members_may_invite',
            field=fields.BooleanField(default=False),
        ),
        ops.AddField(
            model_name='EfacturaIntegration',
            name='rights_checked_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Membership',
            name='verification',
            field=fields.CharEnumField(default=CompanyVerification.UNVERIFIED, description='VERIFIED_BY_EFACTURA: VERIFIED_BY_EFACTURA\nVERIFIED_BY_INVITATION: VERIFIED_BY_INVITATION\nUNVERIFIED: UNVERIFIED', enum_type=CompanyVerification, max_length=24),
        ),
        ops.RunSQL(BACKFILL_INVITED_OWNERS),
    ]
