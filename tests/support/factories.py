"""Test data made through the domain (fast) or the API (end to end), and sandbox look-ups."""

from __future__ import annotations

import itertools

from anaf.sandbox.dataset import get_dataset

_counter = itertools.count(1)

SIGN_UP = """mutation($input: SignUpInput!) { signUp(input: $input) { token user { id email } errors { code field message } } }"""
CREATE_COMPANY = """mutation($input: CreateCompanyInput!) {
  createCompany(input: $input) { company { id cui name address registrationNumber providesAccountingServices } errors { code field message } } }"""


def holder(key: str = "small"):
    return get_dataset().holders[key]


def sandbox_company(cui: str):
    return get_dataset().companies[cui]


def unused_valid_cui() -> str:
    """A CUI with a valid check digit that the sandbox registry does not know."""
    from stdnum.ro import cui as ro_cui

    known = get_dataset().companies
    for base in range(10_000_000, 10_100_000):
        digits = str(base)
        candidate = digits + ro_cui.calc_check_digit(digits)
        if candidate not in known:
            return candidate
    raise AssertionError("no free CUI")


async def api_user(service, *, email: str | None = None, name: str = "Ioana Popescu", password: str = "parola-buna-2024") -> tuple[str, dict]:
    """Sign up through the API; returns (token, user)."""
    email = email or f"user{next(_counter)}@example.ro"
    data = await service.client().execute(SIGN_UP, input={"email": email, "password": password, "name": name})
    result = data["signUp"]
    assert result["errors"] == [], result["errors"]
    return result["token"], result["user"]


async def api_company(service, token: str, cui: str, *, accounting: bool = False) -> dict:
    data = await service.client(token).execute(CREATE_COMPANY, input={"cui": cui, "providesAccountingServices": accounting})
    result = data["createCompany"]
    assert result["errors"] == [], result["errors"]
    return result["company"]
