"""Races on PostgreSQL over real HTTP: concurrent accepts make exactly one collaboration; concurrent
sends invite a company once; a retried call with the same idempotency key sends nothing twice."""

import asyncio

import pytest

from tests.support.invitations import RESPOND, SIGN_UP, link_token, ready_firm, row, send

pytestmark = pytest.mark.postgres


async def test_concurrent_accepts_make_one_collaboration(service, db):
    from domain.invitations.models import Collaboration

    firm = await ready_firm(service)
    sent = (await send(service, firm, [row(firm.cuis[0])]))["invitations"][0]
    signed = (await service.client().execute(SIGN_UP, input={"token": await link_token(sent["id"]), "password": "parola-clientului-1"}))
    token = signed["acceptInvitationSignUp"]["token"]
    answers = await asyncio.gather(*(service.client(token).execute(RESPOND, id=sent["id"], accept=True) for _ in range(6)))
    codes = sorted(tuple(e["code"] for e in a["respondToCollaboration"]["errors"]) for a in answers)
    assert codes == [()] + [("INVITATION_ALREADY_USED",)] * 5
    assert await Collaboration.filter(firm_id=int(firm.id)).count() == 1


async def test_concurrent_sends_invite_once(service, db):
    from domain.invitations.models import Invitation
    from domain.mail.models import OutboxMessage

    firm = await ready_firm(service)
    results = await asyncio.gather(*(send(service, firm, [row(firm.cuis[0], n)]) for n in range(5)))
    assert sorted(len(r["invitations"]) for r in results) == [0, 0, 0, 0, 1]
    assert all(r["errors"][0]["code"] == "ALREADY_INVITED" for r in results if not r["invitations"])
    assert await Invitation.all().count() == 1 and await OutboxMessage.all().count() == 1
    same_key = await asyncio.gather(*(send(service, firm, [row(firm.cuis[1])], key="retry") for _ in range(4)))
    assert all(r == same_key[0] for r in same_key) and len(same_key[0]["invitations"]) == 1
    assert await OutboxMessage.all().count() == 2
