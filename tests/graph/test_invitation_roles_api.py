"""Who may send, resend and revoke a firm's invitations (owners and administrators, or every member
when the firm allows it), and what someone else's invitation looks like (exactly like none)."""

import pytest

from tests.support.factories import api_user
from tests.support.graphql import GraphQLError
from tests.support.invitations import RESEND, RESPOND, REVOKE, ready_firm, row, send

SET_MEMBERS_MAY_INVITE = """mutation($id: ID!, $enabled: Boolean!) { setMembersMayInvite(companyId: $id, enabled: $enabled) {
  company { id membersMayInvite } errors { code message } } }"""
SETTING = """query($id: ID!) { company(id: $id) { membersMayInvite } }"""


async def colleague(service, firm, role: str) -> str:
    """A colleague of the firm's accountant with `role` (there is no API to add one yet)."""
    from domain.companies.models import CompanyVerification, Membership

    token, user = await api_user(service, name=f"Coleg {role.title()}")
    await Membership.create(user_id=int(user["id"]), company_id=int(firm.id), role=role,
                            verification=CompanyVerification.VERIFIED_BY_INVITATION)
    return token


async def test_a_plain_member_may_not_invite_unless_the_firm_allows_it(service, db):
    from domain.mail.models import OutboxMessage

    firm = await ready_firm(service, count=3)
    member = await colleague(service, firm, "MEMBER")
    admin = await colleague(service, firm, "ADMIN")
    sent = (await send(service, firm, [row(firm.cuis[0], 0)]))["invitations"][0]
    mails = await OutboxMessage.all().count()

    as_member = service.client(member)
    for operation, variables in ((RESEND, {"id": sent["id"]}), (REVOKE, {"id": sent["id"]})):
        with pytest.raises(GraphQLError) as err:
            await as_member.execute(operation, **variables)
        assert err.value.codes == ["FORBIDDEN"]
    with pytest.raises(GraphQLError) as err:
        await send(service, type(firm)(member, {}, firm.company, firm.cuis), [row(firm.cuis[1], 1)])
    assert err.value.codes == ["FORBIDDEN"]
    with pytest.raises(GraphQLError) as err:  # nor may a member change the setting
        await as_member.execute(SET_MEMBERS_MAY_INVITE, id=firm.id, enabled=True)
    assert err.value.codes == ["FORBIDDEN"]
    assert await OutboxMessage.all().count() == mails
    assert (await as_member.execute(SETTING, id=firm.id))["company"] == {"membersMayInvite": False}

    # An administrator may invite, and may let every member do it.
    as_admin_firm = type(firm)(admin, {}, firm.company, firm.cuis)
    assert (await send(service, as_admin_firm, [row(firm.cuis[1], 1)]))["errors"] == []
    allowed = (await service.client(admin).execute(SET_MEMBERS_MAY_INVITE, id=firm.id, enabled=True))["setMembersMayInvite"]
    assert allowed == {"company": {"id": firm.id, "membersMayInvite": True}, "errors": []}
    as_member_firm = type(firm)(member, {}, firm.company, firm.cuis)
    assert (await send(service, as_member_firm, [row(firm.cuis[2], 2)]))["errors"] == []
    assert (await as_member.execute(RESEND, id=sent["id"]))["resendInvitation"]["errors"] == []
    assert (await as_member.execute(REVOKE, id=sent["id"]))["revokeInvitation"]["invitation"]["status"] == "REVOKED"


async def test_another_firms_invitation_reads_exactly_like_a_missing_one(service, db):
    firm = await ready_firm(service)
    other = await ready_firm(service, key="medium")
    theirs = (await send(service, other, [row(other.cuis[0], 0)]))["invitations"][0]
    # Their client signs up, so the invitation has a client company the stranger is no member of.
    from tests.support.invitations import SIGN_UP, link_token

    signed = (await service.client().execute(SIGN_UP, input={"token": await link_token(theirs["id"]), "password": "o-parola-lunga-1"}))
    assert signed["acceptInvitationSignUp"]["errors"] == []
    stranger = service.client(firm.token)
    for operation, extra in ((RESPOND, {"accept": True}), (RESEND, {}), (REVOKE, {})):
        answers = []
        for invitation_id in (theirs["id"], "999999"):
            with pytest.raises(GraphQLError) as err:
                await stranger.execute(operation, id=invitation_id, **extra)
            answers.append([(e["extensions"]["code"], e["message"]) for e in err.value.errors])
        assert answers[0] == answers[1] == [("NOT_FOUND", "No invitation with that id.")], operation
