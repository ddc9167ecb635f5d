"""People and their sessions."""

from tortoise import fields
from tortoise.models import Model


class User(Model):
    id = fields.BigIntField(primary_key=True)
    # Stored lower-cased (normalised by email-validator first), so uniqueness is case-insensitive
    # on every database without relying on a collation.
    email = fields.CharField(max_length=254, unique=True)
    name = fields.CharField(max_length=200)
    phone = fields.CharField(max_length=20, null=True)
    password_hash = fields.CharField(max_length=255)
    locale = fields.CharField(max_length=5, default="ro")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "users"


class Session(Model):
    id = fields.BigIntField(primary_key=True)
    user = fields.ForeignKeyField("models.User", related_name="sessions", on_delete=fields.CASCADE)
    # SHA-256 of the 256-bit bearer token; the token itself is never stored.
    token_hash = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField(db_index=True)
    revoked_at = fields.DatetimeField(null=True)
    client_address = fields.CharField(max_length=64, null=True)

    class Meta:
        table = "sessions"
