"""Accounts over real HTTP: sign-up, sign-in, sign-out, `me`, throttling."""

import pytest

from tests.support.graphql import GraphQLError

SIGN_UP = """mutation($input: SignUpInput!) { signUp(input: $input) { token user { id email name phone } errors { code field message } } }"""
SIGN_IN = """mutation($email: String!, $password: String!) { signIn(email: $email, password: $password) { token user { email } errors { code field message } } }"""
ME = "{ me { id email name } }"


async def sign_up(client, email="Ana.Pop@Example.RO", password="corect-horse-7", name="Ana Pop", phone="0722 123 456"):
    data = await client.execute(SIGN_UP, input={"email": email, "password": password, "name": name, "phone": phone})
    return data["signUp"]


async def test_sign_up_creates_account_and_session(service):
    result = await sign_up(service.client())
    assert result["errors"] == []
    assert result["user"]["email"] == "ana.pop@example.ro"
    assert result["user"]["phone"] == "+40722123456"
    me = await service.client(result["token"]).execute(ME)
    assert me["me"]["email"] == "ana.pop@example.ro"


async def test_email_unique_case_insensitively(service):
    await sign_up(service.client())
    again = await sign_up(service.client(), email="ANA.POP@example.ro")
    assert [e["code"] for e in again["errors"]] == ["EMAIL_TAKEN"]
    assert again["token"] is None


@pytest.mark.parametrize("field,value,code", [
    ("email", "not-an-email", "INVALID_EMAIL"),
    ("phone", "12", "INVALID_PHONE"),
    ("password", "short", "INVALID_PASSWORD"),
    ("password", "aaaaaaaaaaaa", "INVALID_PASSWORD"),
    ("password", "qwerty1234", "INVALID_PASSWORD"),  # among the most common passwords
    ("password", "Parola1234", "INVALID_PASSWORD"),  # a common word and a sequence
    ("name", "   ", "INVALID_INPUT"),
])
async def test_bad_sign_up_input_is_coded_and_writes_nothing(service, db, field, value, code):
    from domain.accounts.models import User

    args = {"email": "x@example.ro", "password": "corect-horse-7", "name": "X Y", "phone": "0722123456", field: value}
    result = await sign_up(service.client(), **args)
    assert [(e["code"], e["field"]) for e in result["errors"]] == [(code, [field])]
    assert await User.all().count() == 0


async def test_common_password_is_refused_in_both_languages(service):
    en = await sign_up(service.client(lang="en"), password="qwerty1234")
    ro = await sign_up(service.client(lang="ro"), password="qwerty1234")
    assert "too easy to guess" in en["errors"][0]["message"]
    assert "prea ușor de ghicit" in ro["errors"][0]["message"]


async def test_messages_follow_accept_language(service):
    result = await sign_up(service.client(lang="ro-RO,ro;q=0.9,en;q=0.5"), email="bad")
    assert "Introduceți" in result["errors"][0]["message"]


async def test_sign_in_and_out(service):
    await sign_up(service.client())
    signed = (await service.client().execute(SIGN_IN, email="ANA.pop@example.ro", password="corect-horse-7"))["signIn"]
    assert signed["errors"] == [] and signed["token"]
    client = service.client(signed["token"])
    assert (await client.execute("mutation { signOut }"))["signOut"] is True
    assert (await client.execute(ME))["me"] is None
    with pytest.raises(GraphQLError) as err:
        await client.execute("{ companies { company { id } } }")
    assert err.value.codes == ["UNAUTHENTICATED"]


async def test_failed_sign_in_does_not_reveal_whether_email_exists(service):
    await sign_up(service.client())
    wrong_password = (await service.client().execute(SIGN_IN, email="ana.pop@example.ro", password="wrong-password-1"))["signIn"]
    unknown = (await service.client().execute(SIGN_IN, email="nobody@example.ro", password="wrong-password-1"))["signIn"]
    assert wrong_password["errors"] == unknown["errors"]
    assert wrong_password["errors"][0]["code"] == "INVALID_CREDENTIALS"


async def test_repeated_failures_are_throttled_even_with_the_right_password(service):
    await sign_up(service.client())
    client = service.client()
    for _ in range(5):
        r = (await client.execute(SIGN_IN, email="ana.pop@example.ro", password="wrong-password-1"))["signIn"]
        assert r["errors"][0]["code"] == "INVALID_CREDENTIALS"
    blocked = (await client.execute(SIGN_IN, email="ana.pop@example.ro", password="corect-horse-7"))["signIn"]
    assert blocked["errors"][0]["code"] == "RATE_LIMITED" and blocked["token"] is None


async def test_expired_session_is_unauthenticated(service, db):
    from datetime import datetime, timedelta, timezone

    from domain.accounts.models import Session

    token = (await sign_up(service.client()))["token"]
    await Session.all().update(expires_at=datetime.now(timezone.utc) - timedelta(seconds=1))
    assert (await service.client(token).execute(ME))["me"] is None


async def test_garbage_bearer_token_is_anonymous(service):
    assert (await service.client("nonsense").execute(ME))["me"] is None
