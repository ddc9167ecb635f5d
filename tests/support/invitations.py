"""Test data for the invitation flow: a firm ready to invite (flag on, e-Factura ACTIVE, portfolio
entries written directly), and the GraphQL operations the tests paste."""

from __future__ import annotations

from dataclasses import dataclass

from anaf.sandbox.dataset import get_dataset
from tests.support.factories import api_company, api_user, holder

INVITATION_FIELDS = """id cui companyName representativeName email phone status sentAt expiresAt acceptedAt
  accountingFirm { id name } clientCompany { id cui name }"""
SEND = f"""mutation($companyId: ID!, $rows: [InvitationInput!]!, $key: String) {{
  sendInvitations(companyId: $companyId, invitations: $rows, idempotencyKey: $key) {{
    invitations {{ {INVITATION_FIELDS} }} errors {{ code field message }} }} }}"""
RESEND = f"mutation($id: ID!) {{ resendInvitation(id: $id) {{ invitation {{ {INVITATION_FIELDS} }} errors {{ code field message }} }} }}"
REVOKE = f"mutation($id: ID!) {{ revokeInvitation(id: $id) {{ invitation {{ {INVITATION_FIELDS} }} errors {{ code field message }} }} }}"
PREVIEW = """query($token: String!) { invitationPreview(token: $token) {
  accountingFirmName companyName cui representativeName email status expiresAt accountExists } }"""
SIGN_UP = """mutation($input: AcceptInvitationSignUpInput!) { acceptInvitationSignUp(input: $input) {
  token user { id email name phone } errors { code field message } } }"""
CLAIM = f"mutation($token: String!) {{ claimInvitation(token: $token) {{ invitation {{ {INVITATION_FIELDS} }} errors {{ code field message }} }} }}"
RESPOND = f"""mutation($id: ID!, $accept: Boolean!) {{ respondToCollaboration(invitationId: $id, accept: $accept) {{
  invitation {{ {INVITATION_FIELDS} }} errors {{ code field message }} }} }}"""
REQUESTS = f"{{ collaborationRequests {{ {INVITATION_FIELDS} }} }}"
LIST = f"""query($companyId: ID!, $status: InvitationStatus, $first: Int, $after: String) {{
  invitations(companyId: $companyId, status: $status, first: $first, after: $after) {{
    totalCount pageInfo {{ hasNextPage endCursor }} edges {{ cursor node {{ {INVITATION_FIELDS} events {{ action actor {{ email }} at }} }} }} }} }}"""
COMPANIES = "query($rel: CompanyRelationship) { companies(relationship: $rel) { relationship company { id cui name } via { id } since } }"


@dataclass
class Firm:
    token: str
    user: dict
    company: dict
    cuis: list[str]

    @property
    def id(self) -> str:
        return self.company["id"]


def row(cui: str, n: int = 0, **overrides) -> dict:
    values = {"cui": cui, "representativeName": f"Andrei Pop {n}", "email": f"client{n}.{cui}@example.ro",
              "phone": f"0722 {100000 + n:06d}"[:12], "message": None}
    values.update(overrides)
    return values


async def make_ready(company_id: int | str, *, active: bool = True) -> None:
    from domain.efactura.models import EfacturaIntegration, EfacturaStatus
    from domain.kernel.clock import now

    # ACTIVE here stands for an authorization whose rights on the firm a probe confirmed, which also
    # verified the owner who authorized.
    await EfacturaIntegration.create(company_id=int(company_id), status=EfacturaStatus.ACTIVE if active else EfacturaStatus.PENDING,
                                     rights_checked_at=now() if active else None)
    if active:
        from domain.companies.models import CompanyVerification, Membership

        await Membership.filter(company_id=int(company_id), role="OWNER").update(verification=CompanyVerification.VERIFIED_BY_EFACTURA)


async def add_to_portfolio(company_id: int | str, cuis: list[str]) -> None:
    from domain.portfolio.models import PortfolioEntry

    companies = get_dataset().companies
    await PortfolioEntry.bulk_create([PortfolioEntry(firm_id=int(company_id), cui=c, name=companies[c].name.upper() if c in companies else f"FIRMA {c}",
                                                     sources=["EFACTURA"]) for c in cuis])


async def ready_firm(service, *, key: str = "small", count: int = 5, email: str | None = None) -> Firm:
    """A signed-up accountant whose firm provides accounting services, has ACTIVE e-Factura, and has
    `count` companies of the sandbox holder `key` in its portfolio (needs the `db` fixture)."""
    who = holder(key)
    token, user = await api_user(service, email=email, name="Elena Contabil")
    company = await api_company(service, token, who.firm_cui, accounting=True)
    await make_ready(company["id"])
    cuis = [c for c in who.cuis if c != who.firm_cui][:count]
    await add_to_portfolio(company["id"], cuis)
    return Firm(token=token, user=user, company=company, cuis=cuis)


async def send(service, firm: Firm, rows: list[dict], *, key: str | None = None) -> dict:
    return (await service.client(firm.token).execute(SEND, companyId=firm.id, rows=rows, key=key))["sendInvitations"]


async def link_token(invitation_id: int | str, app_url: str = "http://app.test") -> str:
    """The link of an invitation as its latest e-mail carries it (read from the outbox row)."""
    from domain.invitations.models import Invitation
    from domain.mail.models import OutboxMessage

    invitation = await Invitation.get(id=int(invitation_id))
    message = await OutboxMessage.filter(to_email=invitation.email, kind__in=["invitation", "invitation_reminder"]).order_by("-id").first()
    assert message is not None and message.link.startswith(f"{app_url}/invite/")
    return message.link.rsplit("/", 1)[1]
