"""Certificate serials are numbers: hex case, leading zeros and colons never make two serials differ."""

from __future__ import annotations

import pytest

from anaf.agent.discover import DiscoveryFailed, DiscoveryRequest, run_discovery
from anaf.certificates import canonical_serial, parse_serial, same_serial
from anaf.sandbox.ca import ca_certificate_path
from anaf.sandbox.dataset import get_dataset
from tests.support.discovery import accounting_firm, all_entries, finished_run

PAIR = """mutation($id: ID!) { createAgentPairing(companyId: $id) { pairing { code } errors { code } } }"""


def _colons(serial: str, *, lower: bool = True, zeros: int = 2) -> str:
    padded = "0" * zeros + serial
    if len(padded) % 2:
        padded = "0" + padded
    text = ":".join(padded[i:i + 2] for i in range(0, len(padded), 2))
    return text.lower() if lower else text


def test_the_written_forms_of_one_serial_are_the_same_serial():
    serial = get_dataset().holders["small"].serial
    forms = [serial, serial.lower(), "00" + serial, _colons(serial), _colons(serial, lower=False, zeros=4),
             "0x" + serial.lower(), int(serial, 16)]
    assert {parse_serial(form) for form in forms} == {int(serial, 16)}
    assert all(same_serial(serial, form) for form in forms)
    assert canonical_serial(_colons(serial)) == serial
    assert not same_serial(serial, get_dataset().holders["medium"].serial)
    assert not same_serial(serial, "not a serial") and not same_serial(serial, None)


def test_the_sandbox_finds_a_holder_by_any_form_of_its_serial():
    holder = get_dataset().holders["persons"]
    assert get_dataset().holder_by_serial(_colons(holder.serial)) is holder
    assert get_dataset().holder_by_serial("zz") is None


@pytest.mark.softhsm
async def test_the_server_matches_the_oauth_serial_to_the_statement_as_a_number(service, db, softhsm, spv_server):
    """The firm's e-Factura authorization may carry the serial in another written form than the
    statement's certificate: still the same certificate, the list is accepted."""
    from tortoise import Tortoise

    integration_model = Tortoise.apps["models"]["EfacturaIntegration"]
    serial = softhsm.tokens["small"].holder.serial
    token, firm = await accounting_firm(service, "small")
    await integration_model.filter(company_id=int(firm["id"])).update(certificate_serial=_colons(serial, zeros=4))
    code = (await service.client(token).execute(PAIR, id=firm["id"]))["createAgentPairing"]["pairing"]["code"]

    request = DiscoveryRequest(server_url=service.url, pairing_code=code, module_path=softhsm.module,
                               token_label="small", spv_url=spv_server.base_url, ca_bundle=ca_certificate_path())
    result = await run_discovery(request, "1234", lambda line: None)
    h = softhsm.tokens["small"].holder
    assert result.companies == len(h.cuis)
    # The discovery run the upload started finds that upload by the authorization's serial too.
    assert (await finished_run(service, token, firm["id"]))["status"] == "SUCCEEDED"
    entries = await all_entries(service, token, firm["id"])
    assert {e["cui"] for e in entries if "SPV" in e["sources"]} == set(h.cuis) - {h.firm_cui}

    # A different number is still refused.
    await integration_model.filter(company_id=int(firm["id"])).update(certificate_serial=_colons("1" + serial))
    code = (await service.client(token).execute(PAIR, id=firm["id"]))["createAgentPairing"]["pairing"]["code"]
    with pytest.raises(DiscoveryFailed, match="SERIAL_MISMATCH"):
        await run_discovery(DiscoveryRequest(**{**request.__dict__, "pairing_code": code}), "1234", lambda line: None)


def test_the_oauth_tokens_serial_is_kept_in_the_projects_one_written_form():
    """An authorization stores the serial of ANAF's token as the certificate's (uppercase hex), however
    the token's claim writes it."""
    import httpx
    import jwt

    from anaf.oauth import OAuthClient

    serial = get_dataset().holders["small"].serial
    claims = {"serial": _colons(serial, zeros=2), "exp": 4102444800, "iat": 1700000000}
    token = jwt.encode(claims, "not-checked-here-0123456789abcdef", algorithm="HS256")
    answer = httpx.Response(200, json={"access_token": token, "refresh_token": token, "expires_in": 3600})
    assert OAuthClient._token_pair(answer).serial == serial
