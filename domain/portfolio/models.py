"""An accounting firm's portfolio: companies its certificate has rights for, and how they were found."""

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class PortfolioStatus(StrEnum):
    DISCOVERED = "DISCOVERED"
    INVITED = "INVITED"
    ACCOUNT_CREATED = "ACCOUNT_CREATED"
    COLLABORATING = "COLLABORATING"
    DECLINED = "DECLINED"
    EXPIRED = "EXPIRED"
    REVOKED = "REVOKED"


class RightsSource(StrEnum):
    EFACTURA = "EFACTURA"  # ANAF's e-Factura `cui` field, if it ever lists several CUIs
    INVOICED = "INVOICED"  # a beneficiary of the firm's own sent invoices, verified by a probe
    IMPORT = "IMPORT"  # a row of a client list the accountant uploaded, verified by a probe
    SPV = "SPV"
    MANUAL = "MANUAL"


class DiscoveryStatus(StrEnum):
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    PARTIAL = "PARTIAL"
    FAILED = "FAILED"


class PortfolioEntry(Model):
    id = fields.BigIntField(primary_key=True)
    firm = fields.ForeignKeyField("models.Company", related_name="portfolio_entries", on_delete=fields.CASCADE)
    cui = fields.CharField(max_length=10)
    name = fields.CharField(max_length=300)
    address = fields.CharField(max_length=500, null=True)
    registration_number = fields.CharField(max_length=40, null=True)
    registry_status = fields.CharField(max_length=16, null=True)
    vat_payer = fields.BooleanField(default=False)
    sources = fields.JSONField(default=list)  # list[RightsSource]
    status = fields.CharEnumField(PortfolioStatus, max_length=16, default=PortfolioStatus.DISCOVERED)
    discovered_at = fields.DatetimeField(auto_now_add=True)
    last_seen_at = fields.DatetimeField(null=True)
    rights_verified_at = fields.DatetimeField(null=True)
    rights_lost_at = fields.DatetimeField(null=True)
    is_new = fields.BooleanField(default=True)
    # The run that first found the entry (NULL when added by hand): a later run clears `is_new`
    # on entries it did not create.
    discovered_by_run_id = fields.BigIntField(null=True)
    invitation = fields.ForeignKeyField("models.Invitation", related_name=False, null=True, on_delete=fields.SET_NULL)
    client_company = fields.ForeignKeyField("models.Company", related_name=False, null=True, on_delete=fields.SET_NULL)

    class Meta:
        table = "portfolio_entries"
        unique_together = (("firm", "cui"),)
        indexes = (("firm_id", "name"), ("firm_id", "status"), ("invitation_id",))


class DiscoveryRun(Model):
    id = fields.BigIntField(primary_key=True)
    firm = fields.ForeignKeyField("models.Company", related_name="discovery_runs", on_delete=fields.CASCADE)
    started_by = fields.ForeignKeyField("models.User", related_name=False, null=True, on_delete=fields.SET_NULL)
    status = fields.CharEnumField(DiscoveryStatus, max_length=16, default=DiscoveryStatus.RUNNING)
    total = fields.IntField(default=0)
    checked = fields.IntField(default=0)
    found = fields.IntField(default=0)
    new_count = fields.IntField(default=0)
    error = fields.TextField(null=True)
    # What is left to do, so a run interrupted by a restart resumes where it stopped.
    state = fields.JSONField(default=dict)
    started_at = fields.DatetimeField(auto_now_add=True)
    finished_at = fields.DatetimeField(null=True)
    heartbeat_at = fields.DatetimeField(null=True)
    # The firm's id while the run is RUNNING, NULL once it ends: a unique column that allows many
    # NULLs gives "at most one running discovery per firm" on SQLite and PostgreSQL alike, so two
    # processes can never both start one.
    running_key = fields.CharField(max_length=20, unique=True, null=True)

    class Meta:
        table = "discovery_runs"
        indexes = (("firm_id", "id"),)


class AgentPairing(Model):
    id = fields.BigIntField(primary_key=True)
    company = fields.ForeignKeyField("models.Company", related_name=False, on_delete=fields.CASCADE)
    created_by = fields.ForeignKeyField("models.User", related_name=False, on_delete=fields.CASCADE)
    code_hash = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "agent_pairings"


class SpvRightsUpload(Model):
    id = fields.BigIntField(primary_key=True)
    company = fields.ForeignKeyField("models.Company", related_name=False, on_delete=fields.CASCADE)
    certificate_serial = fields.CharField(max_length=64)
    holder_name = fields.CharField(max_length=200, null=True)
    holder_cnp = fields.CharField(max_length=13, null=True)
    cuis = fields.JSONField(default=list)
    cnps = fields.JSONField(default=list)  # natural persons: kept apart, never turned into companies
    fetched_at = fields.DatetimeField()
    uploaded_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "spv_rights_uploads"
        indexes = (("company_id", "id"),)


# A client as the accountant's own list describes it (imported CSV/XLSX): the representative's name,
# e-mail and phone, offered as the pre-filled values of that company's invitation. Kept per (firm,
# CUI) from the moment of import, before ANAF has confirmed the rights; the portfolio entry appears
# once it has.
class PortfolioContact(Model):
    id = fields.BigIntField(primary_key=True)
    firm = fields.ForeignKeyField("models.Company", related_name=False, on_delete=fields.CASCADE)
    cui = fields.CharField(max_length=10)
    company_name = fields.CharField(max_length=300, null=True)  # as the file names it
    representative_name = fields.CharField(max_length=200, null=True)
    email = fields.CharField(max_length=254, null=True)
    phone = fields.CharField(max_length=32, null=True)
    row_number = fields.IntField(null=True)  # in the latest file that listed it
    imported_by = fields.ForeignKeyField("models.User", related_name=False, null=True, on_delete=fields.SET_NULL)
    imported_at = fields.DatetimeField()

    class Meta:
        table = "portfolio_contacts"
        unique_together = (("firm", "cui"),)
