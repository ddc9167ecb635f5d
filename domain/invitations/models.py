"""Invitations from a firm to its clients, their audit trail, and the collaborations they lead to."""

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class InvitationStatus(StrEnum):
    PENDING = "PENDING"
    ACCOUNT_CREATED = "ACCOUNT_CREATED"
    ACCEPTED = "ACCEPTED"
    DECLINED = "DECLINED"
    EXPIRED = "EXPIRED"
    REVOKED = "REVOKED"


OPEN_INVITATION_STATUSES = (InvitationStatus.PENDING, InvitationStatus.ACCOUNT_CREATED)


class Invitation(Model):
    id = fields.BigIntField(primary_key=True)
    firm = fields.ForeignKeyField("models.Company", related_name="sent_invitations", on_delete=fields.CASCADE)
    cui = fields.CharField(max_length=10)
    company_name = fields.CharField(max_length=300)
    representative_name = fields.CharField(max_length=200)
    email = fields.CharField(max_length=254)
    phone = fields.CharField(max_length=20)
    message = fields.TextField(null=True)
    locale = fields.CharField(max_length=5, default="ro")
    status = fields.CharEnumField(InvitationStatus, max_length=16, default=InvitationStatus.PENDING, db_index=True)
    token_hash = fields.CharField(max_length=64, unique=True)
    # A reminder sends a fresh link; the link before it keeps working until the next one (a resend,
    # by contrast, kills every earlier link).
    previous_token_hash = fields.CharField(max_length=64, unique=True, null=True)
    # "<firm id>:<cui>" while the invitation is open, NULL once closed: a unique column that allows
    # many NULLs gives "at most one open invitation per firm and CUI" on SQLite and PostgreSQL alike.
    open_key = fields.CharField(max_length=32, unique=True, null=True)
    created_by = fields.ForeignKeyField("models.User", related_name=False, null=True, on_delete=fields.SET_NULL)
    sent_at = fields.DatetimeField()
    expires_at = fields.DatetimeField(db_index=True)
    account_created_at = fields.DatetimeField(null=True)
    accepted_at = fields.DatetimeField(null=True)
    answered_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)
    expired_at = fields.DatetimeField(null=True)
    reminders_sent = fields.IntField(default=0)
    client_company = fields.ForeignKeyField("models.Company", related_name="received_invitations", null=True, on_delete=fields.SET_NULL)
    client_user = fields.ForeignKeyField("models.User", related_name=False, null=True, on_delete=fields.SET_NULL)

    class Meta:
        table = "invitations"
        indexes = (("firm_id", "status"), ("status", "expires_at"))


# What lists of invitations read of each (the bell): what the invitation says and where it stands,
# not its links, keys or bookkeeping. `effective_status` needs `status` and `expires_at`.
LISTED_FIELDS = ("id", "firm_id", "client_company_id", "cui", "company_name", "representative_name", "email", "phone",
                 "message", "status", "sent_at", "expires_at", "accepted_at", "answered_at")


class InvitationEvent(Model):
    """The audit trail: who did what to an invitation, when."""

    id = fields.BigIntField(primary_key=True)
    invitation = fields.ForeignKeyField("models.Invitation", related_name="events", on_delete=fields.CASCADE)
    actor = fields.ForeignKeyField("models.User", related_name=False, null=True, on_delete=fields.SET_NULL)
    action = fields.CharField(max_length=32)
    detail = fields.TextField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "invitation_events"


class CollaborationStatus(StrEnum):
    ACTIVE = "ACTIVE"
    ENDED = "ENDED"


class Collaboration(Model):
    id = fields.BigIntField(primary_key=True)
    firm = fields.ForeignKeyField("models.Company", related_name="client_collaborations", on_delete=fields.CASCADE)
    client = fields.ForeignKeyField("models.Company", related_name="firm_collaborations", on_delete=fields.CASCADE)
    invitation = fields.ForeignKeyField("models.Invitation", related_name=False, null=True, on_delete=fields.SET_NULL)
    status = fields.CharEnumField(CollaborationStatus, max_length=8, default=CollaborationStatus.ACTIVE)
    since = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "collaborations"
        unique_together = (("firm", "client"),)


class IdempotencyRecord(Model):
    """The first answer to a call made with an idempotency key, returned again on a retry."""

    id = fields.BigIntField(primary_key=True)
    company = fields.ForeignKeyField("models.Company", related_name=False, on_delete=fields.CASCADE)
    user = fields.ForeignKeyField("models.User", related_name=False, on_delete=fields.CASCADE)
    operation = fields.CharField(max_length=32)
    key = fields.CharField(max_length=128)
    result = fields.JSONField(default=dict)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "idempotency_records"
        unique_together = (("company", "operation", "key"),)
