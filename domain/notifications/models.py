"""The bell: one row per event for each person who should see it; the id is the replay cursor."""

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class NotificationKind(StrEnum):
    COLLABORATION_INVITATION = "COLLABORATION_INVITATION"
    INVITATION_ACCEPTED = "INVITATION_ACCEPTED"
    INVITATION_DECLINED = "INVITATION_DECLINED"
    INVITATION_EXPIRED = "INVITATION_EXPIRED"
    CLIENT_ACCOUNT_CREATED = "CLIENT_ACCOUNT_CREATED"
    PORTFOLIO_DISCOVERED = "PORTFOLIO_DISCOVERED"
    EFACTURA_STATUS_CHANGED = "EFACTURA_STATUS_CHANGED"


class Notification(Model):
    id = fields.BigIntField(primary_key=True)
    user = fields.ForeignKeyField("models.User", related_name="notifications", on_delete=fields.CASCADE)
    kind = fields.CharEnumField(NotificationKind, max_length=32)
    title = fields.CharField(max_length=300)
    body = fields.TextField()
    data = fields.JSONField(default=dict)
    invitation = fields.ForeignKeyField("models.Invitation", related_name=False, null=True, on_delete=fields.SET_NULL)
    company = fields.ForeignKeyField("models.Company", related_name=False, null=True, on_delete=fields.SET_NULL)
    created_at = fields.DatetimeField(auto_now_add=True)
    read_at = fields.DatetimeField(null=True)

    class Meta:
        table = "notifications"
        indexes = (("user_id", "id"), ("user_id", "read_at"))
