"""A company's RO e-Factura authorization at ANAF and the one-time OAuth states that lead to it."""

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class EfacturaStatus(StrEnum):
    NOT_CONFIGURED = "NOT_CONFIGURED"
    PENDING = "PENDING"
    ACTIVE = "ACTIVE"
    EXPIRED = "EXPIRED"
    ERROR = "ERROR"


class EfacturaIntegration(Model):
    id = fields.BigIntField(primary_key=True)
    company = fields.OneToOneField("models.Company", related_name="efactura_integration", on_delete=fields.CASCADE)
    status = fields.CharEnumField(EfacturaStatus, max_length=16, default=EfacturaStatus.NOT_CONFIGURED)
    authorized_by = fields.ForeignKeyField("models.User", related_name=False, null=True, on_delete=fields.SET_NULL)
    authorized_at = fields.DatetimeField(null=True)
    # AES-GCM ciphertexts ("<key id>:<nonce+ciphertext, base64>"); both rotate together.
    access_token_enc = fields.TextField(null=True)
    refresh_token_enc = fields.TextField(null=True)
    access_expires_at = fields.DatetimeField(null=True)
    refresh_expires_at = fields.DatetimeField(null=True)
    certificate_serial = fields.CharField(max_length=64, null=True)
    # When a probe last confirmed the certificate's rights on the company's own CUI; NULL while that is
    # unknown (ANAF did not answer right after the authorization): checked again before portfolio work.
    rights_checked_at = fields.DatetimeField(null=True)
    last_error = fields.TextField(null=True)
    last_refreshed_at = fields.DatetimeField(null=True)
    next_refresh_at = fields.DatetimeField(null=True, db_index=True)
    expiry_warning_sent_at = fields.DatetimeField(null=True)
    # What ANAF's e-Factura said the authorizing certificate lacks, as the last discovery learnt it:
    # "OWN_CUI" (no SPV rights on the company itself) or "ANY" (no SPV rights at all); NULL when fine.
    rights_problem = fields.CharField(max_length=16, null=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "efactura_integrations"


class OAuthState(Model):
    id = fields.BigIntField(primary_key=True)
    state_hash = fields.CharField(max_length=64, unique=True)
    user = fields.ForeignKeyField("models.User", related_name=False, on_delete=fields.CASCADE)
    company = fields.ForeignKeyField("models.Company", related_name=False, on_delete=fields.CASCADE)
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "oauth_states"
