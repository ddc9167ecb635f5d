"""Limits that hold: sign-in throttling per e-mail and address (a stranger cannot lock the owner
out), X-Forwarded-For believed only from TRUSTED_PROXIES, sign-ups per address, daily caps on
invitation e-mails per recipient and per firm. The parallel cases are in test_limit_races.py."""

from tests.support.invitations import RESEND, REVOKE, ready_firm, row, send

SIGN_IN = """mutation($email: String!, $password: String!) { signIn(email: $email, password: $password) { token errors { code message } } }"""
SIGN_UP = """mutation($input: SignUpInput!) { signUp(input: $input) { token errors { code field message } } }"""


def from_address(client, address: str):
    client.http.headers["X-Forwarded-For"] = address
    return client


async def sign_in(client, email: str, password: str) -> dict:
    return (await client.execute(SIGN_IN, email=email, password=password))["signIn"]


async def test_a_stranger_cannot_lock_the_owner_out(start_service, db):
    service = await start_service(trusted_proxies=("127.0.0.1",))
    owner_home = from_address(service.client(), "198.51.100.7")
    assert (await owner_home.execute(SIGN_UP, input={"email": "ana@example.ro", "password": "parola-buna-2024", "name": "Ana Pop"}))["signUp"]["token"]
    stranger = from_address(service.client(), "203.0.113.66")
    codes = [(await sign_in(stranger, "ana@example.ro", f"ghicit-{n}-parola"))["errors"][0]["code"] for n in range(8)]
    assert codes == ["INVALID_CREDENTIALS"] * 5 + ["RATE_LIMITED"] * 3
    # The stranger is locked out, even with the right password; the owner, at home, is not.
    assert (await sign_in(stranger, "ana@example.ro", "parola-buna-2024"))["errors"][0]["code"] == "RATE_LIMITED"
    home = await sign_in(owner_home, "ana@example.ro", "parola-buna-2024")
    assert home["errors"] == [] and home["token"]


async def test_many_addresses_guessing_one_account_are_stopped_but_not_at_the_owners_address(start_service, db):
    service = await start_service(trusted_proxies=("127.0.0.1",))
    owner_home = from_address(service.client(), "198.51.100.7")
    await owner_home.execute(SIGN_UP, input={"email": "ana@example.ro", "password": "parola-buna-2024", "name": "Ana Pop"})
    codes = []
    for n in range(25):  # 5 machines, 5 guesses each: under each one's own limit
        codes.append((await sign_in(from_address(service.client(), f"203.0.113.{n // 5}"), "ana@example.ro", f"ghicit-{n}-parola"))["errors"][0]["code"])
    assert codes.count("INVALID_CREDENTIALS") == 20 and codes[20:] == ["RATE_LIMITED"] * 5
    assert (await sign_in(owner_home, "ana@example.ro", "parola-buna-2024"))["errors"] == []


async def test_forwarded_for_is_believed_only_from_trusted_proxies(start_service, db):
    from domain.accounts.models import Session

    for trusted, expected in (((), "127.0.0.1"), (("127.0.0.1",), "203.0.113.9")):
        service = await start_service(trusted_proxies=trusted)
        client = from_address(service.client(), "203.0.113.9")
        email = f"p{len(trusted)}@example.ro"
        await client.execute(SIGN_UP, input={"email": email, "password": "parola-buna-2024", "name": "Ana Pop"})
        session = await Session.filter(user__email=email).get()
        assert session.client_address == expected
        await service.stop()


async def test_sign_ups_are_limited_per_address(start_service, db):
    from domain.accounts.models import User

    service = await start_service(signups_per_address_hour=3, trusted_proxies=("127.0.0.1",))
    results = []
    for n in range(5):
        results.append((await from_address(service.client(), "203.0.113.5").execute(
            SIGN_UP, input={"email": f"u{n}@example.ro", "password": "parola-buna-2024", "name": "U"}))["signUp"])
    assert [r["errors"][0]["code"] if r["errors"] else None for r in results] == [None] * 3 + ["RATE_LIMITED"] * 2
    assert "network address" in results[3]["errors"][0]["message"]
    # A refused sign-up wrote nothing; another address still signs up.
    assert await User.all().count() == 3
    other = await from_address(service.client(), "198.51.100.1").execute(
        SIGN_UP, input={"email": "u9@example.ro", "password": "parola-buna-2024", "name": "U"})
    assert other["signUp"]["errors"] == []


async def test_one_address_gets_a_few_invitation_emails_a_day_whatever_is_revoked(start_service, db):
    from domain.mail.models import OutboxMessage

    service = await start_service(invitation_emails_per_recipient_day=4)
    firm = await ready_firm(service)
    client = service.client(firm.token)
    codes = []
    for n in range(10):  # send, revoke, send again: each send is an e-mail to the same person
        result = await send(service, firm, [row(firm.cuis[0], email="victim@example.ro")])
        codes.append([(e["code"], e["field"]) for e in result["errors"]])
        if result["invitations"]:
            await client.execute(REVOKE, id=result["invitations"][0]["id"])
    assert codes == [[]] * 4 + [[("RATE_LIMITED", ["invitations", "0", "email"])]] * 6
    assert await OutboxMessage.filter(to_email="victim@example.ro").count() == 4
    # Other recipients are not held back by one that is.
    mixed = await send(service, firm, [row(firm.cuis[1], email="victim@example.ro"), row(firm.cuis[2], 2)])
    assert [e["code"] for e in mixed["errors"]] == ["RATE_LIMITED"] and len(mixed["invitations"]) == 1


async def test_resends_count_toward_the_recipient_cap(start_service, db):
    service = await start_service(invitation_emails_per_recipient_day=2)
    firm = await ready_firm(service)
    sent = (await send(service, firm, [row(firm.cuis[0])]))["invitations"][0]
    client = service.client(firm.token)
    assert (await client.execute(RESEND, id=sent["id"]))["resendInvitation"]["errors"] == []
    third = (await client.execute(RESEND, id=sent["id"]))["resendInvitation"]
    assert [e["code"] for e in third["errors"]] == ["RATE_LIMITED"] and "tomorrow" in third["errors"][0]["message"]


async def test_a_firm_sends_a_capped_number_of_invitation_emails_a_day(start_service, db):
    service = await start_service(invitation_emails_per_firm_day=3)
    firm = await ready_firm(service)
    result = await send(service, firm, [row(c, n) for n, c in enumerate(firm.cuis[:5])])
    assert len(result["invitations"]) == 3
    assert [(e["code"], e["field"][1]) for e in result["errors"]] == [("RATE_LIMITED", "3"), ("RATE_LIMITED", "4")]
    assert "firm" in result["errors"][0]["message"]
