"""Rows the shared kernel keeps for every capability: the attempt log behind throttling."""

from tortoise import fields
from tortoise.models import Model


class ThrottleEvent(Model):
    """One failed attempt (or throttled action) under a key such as `signin:email:<hash>`."""

    id = fields.BigIntField(primary_key=True)
    key = fields.CharField(max_length=128)
    created_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "throttle_events"
        indexes = (("key", "created_at"),)
