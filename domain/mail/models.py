"""E-mail waiting to be sent, written in the same transaction as the change that caused it."""

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class OutboxStatus(StrEnum):
    PENDING = "PENDING"
    SENDING = "SENDING"
    SENT = "SENT"
    FAILED = "FAILED"
    LOGGED = "LOGGED"


class OutboxMessage(Model):
    id = fields.BigIntField(primary_key=True)
    kind = fields.CharField(max_length=32)
    to_email = fields.CharField(max_length=254)
    # What to render when the e-mail is sent (rows written by `enqueue`); rows of older releases
    # carry their rendered subject and bodies instead.
    template = fields.CharField(max_length=40, null=True)
    locale = fields.CharField(max_length=5, null=True)
    context = fields.JSONField(null=True)
    subject = fields.CharField(max_length=300, null=True)
    text_body = fields.TextField(null=True)
    html_body = fields.TextField(null=True)
    message_id = fields.CharField(max_length=200, unique=True)  # the Message-ID header, for de-duplication
    link = fields.CharField(max_length=500, null=True)  # the action link, shown on the embedded outbox page
    status = fields.CharEnumField(OutboxStatus, max_length=8, default=OutboxStatus.PENDING, db_index=True)
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField(null=True, db_index=True)
    locked_until = fields.DatetimeField(null=True)
    sent_at = fields.DatetimeField(null=True)
    last_error = fields.TextField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "outbox_messages"
