"""Limits under real concurrency on PostgreSQL, over HTTP: parallel requests can never all see the
same count (the count and the record are one atomic statement)."""

import asyncio

import pytest

from tests.graph.test_limits import SIGN_IN, SIGN_UP, from_address
from tests.support.invitations import RESEND, ready_firm, row, send

pytestmark = pytest.mark.postgres


async def test_thirty_parallel_wrong_passwords_make_five_attempts(service, db):
    await service.client().execute(SIGN_UP, input={"email": "ana@example.ro", "password": "parola-buna-2024", "name": "Ana Pop"})
    answers = await asyncio.gather(*(service.client().execute(SIGN_IN, email="ana@example.ro", password=f"ghicit-{n}-parola")
                                     for n in range(30)))
    codes = sorted(a["signIn"]["errors"][0]["code"] for a in answers)
    assert codes == ["INVALID_CREDENTIALS"] * 5 + ["RATE_LIMITED"] * 25


async def test_twenty_parallel_resends_send_three_emails(service, db):
    from domain.mail.models import OutboxMessage

    firm = await ready_firm(service)
    sent = (await send(service, firm, [row(firm.cuis[0])]))["invitations"][0]
    client = service.client(firm.token)
    answers = await asyncio.gather(*(client.execute(RESEND, id=sent["id"]) for _ in range(20)))
    codes = sorted(tuple(e["code"] for e in a["resendInvitation"]["errors"]) for a in answers)
    assert codes == [()] * 3 + [("RATE_LIMITED",)] * 17
    assert await OutboxMessage.filter(to_email=sent["email"]).count() == 1 + 3


async def test_thirty_parallel_sign_ups_from_one_address_make_the_limit(start_service, db):
    from domain.accounts.models import User

    service = await start_service(signups_per_address_hour=10, trusted_proxies=("127.0.0.1",))
    answers = await asyncio.gather(*(from_address(service.client(), "203.0.113.5").execute(
        SIGN_UP, input={"email": f"u{n}@example.ro", "password": "parola-buna-2024", "name": "U"}) for n in range(30)))
    codes = sorted(a["signUp"]["errors"][0]["code"] if a["signUp"]["errors"] else "" for a in answers)
    assert codes == [""] * 10 + ["RATE_LIMITED"] * 20
    assert await User.all().count() == 10


async def test_thirty_parallel_sends_to_one_address_respect_its_daily_cap(start_service, db):
    from domain.mail.models import OutboxMessage

    service = await start_service(invitation_emails_per_recipient_day=4)
    firm = await ready_firm(service, count=30)
    answers = await asyncio.gather(*(send(service, firm, [row(cui, email="victim@example.ro")]) for cui in firm.cuis))
    assert sum(len(a["invitations"]) for a in answers) == 4
    assert await OutboxMessage.filter(to_email="victim@example.ro").count() == 4
