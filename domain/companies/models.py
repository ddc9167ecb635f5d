"""Companies on the platform and who may act for them."""

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class MemberRole(StrEnum):
    OWNER = "OWNER"
    ADMIN = "ADMIN"
    MEMBER = "MEMBER"


class CompanyVerification(StrEnum):
    """How a member's tie to a company is proven (ARCHITECTURE.md, "Ownership is proven")."""

    VERIFIED_BY_EFACTURA = "VERIFIED_BY_EFACTURA"  # their e-Factura authorization showed rights on the CUI
    VERIFIED_BY_INVITATION = "VERIFIED_BY_INVITATION"  # they hold the link of an invitation from a firm with rights on it
    UNVERIFIED = "UNVERIFIED"  # a claim: registered the CUI, nothing proves it


class RegistryStatus(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"
    DEREGISTERED = "deregistered"


class Company(Model):
    id = fields.BigIntField(primary_key=True)
    cui = fields.CharField(max_length=10, unique=True)  # bare digits, no RO
    name = fields.CharField(max_length=300)
    address = fields.CharField(max_length=500, null=True)
    registration_number = fields.CharField(max_length=40, null=True)
    registry_status = fields.CharEnumField(RegistryStatus, max_length=16, default=RegistryStatus.ACTIVE)
    vat_payer = fields.BooleanField(default=False)
    provides_accounting_services = fields.BooleanField(default=False)
    # Plain members may send, resend and revoke invitations too (otherwise owners and administrators only).
    members_may_invite = fields.BooleanField(default=False)
    registry_checked_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "companies"


# What lists of companies read of each (the companies list, the bell): everything but the registry
# check's time and the row's creation.
LISTED_FIELDS = ("id", "cui", "name", "address", "registration_number", "registry_status", "vat_payer",
                 "provides_accounting_services", "members_may_invite")


class Membership(Model):
    id = fields.BigIntField(primary_key=True)
    user = fields.ForeignKeyField("models.User", related_name="memberships", on_delete=fields.CASCADE)
    company = fields.ForeignKeyField("models.Company", related_name="memberships", on_delete=fields.CASCADE)
    role = fields.CharEnumField(MemberRole, max_length=8)
    verification = fields.CharEnumField(CompanyVerification, max_length=24, default=CompanyVerification.UNVERIFIED)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "memberships"
        unique_together = (("user", "company"),)


class RegistryAnswer(Model):
    """ANAF's public registry answer for a CUI, as last fetched.

    `record` holds the record's fields (NULL when ANAF did not know the CUI), so look-ups within
    `REGISTRY_CACHE_SECONDS` of `fetched_at` cost ANAF nothing."""

    cui = fields.CharField(max_length=10, primary_key=True)
    record = fields.JSONField(null=True)
    fetched_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "registry_answers"
