"""Rows the shared kernel keeps for every capability: the counters behind throttling."""

from tortoise import fields
from tortoise.models import Model


class ThrottleCounter(Model):
    """How many times a key was used in one fixed window.

    `bucket` is the window's number (its start in seconds since the epoch divided by its length).
    One row per key and window, counted up by one atomic statement, so parallel requests can never
    all see the same count."""

    id = fields.BigIntField(primary_key=True)
    key = fields.CharField(max_length=160)
    bucket = fields.BigIntField()
    hits = fields.IntField(default=0)
    expires_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "throttle_counters"
        unique_together = (("key", "bucket"),)
