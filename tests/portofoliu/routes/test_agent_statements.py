"""The token agent uploading a SoftHSM2 token's SPV rights list to `POST /agent/statements`."""

import base64
import datetime as dt
import json

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from anaf.agent.discover import DiscoveryFailed, DiscoveryRequest, run_discovery
from anaf.agent.statement import Statement
from anaf.sandbox.ca import SandboxCA, ca_certificate_path, issue_holder_certificate, load_ca
from tests.support.discovery import accounting_firm, all_entries, finished_run
from tests.support.factories import holder

pytestmark = pytest.mark.softhsm
PAIR = """mutation($id: ID!) { createAgentPairing(companyId: $id) { pairing { code expiresAt command } errors { code } } }"""


async def pairing_code(service, token: str, company_id: str) -> dict:
    result = (await service.client(token).execute(PAIR, id=company_id))["createAgentPairing"]
    assert result["errors"] == []
    return result["pairing"]


async def agent_discover(softhsm, spv_server, service, code: str, label: str = "small"):
    request = DiscoveryRequest(server_url=service.url, pairing_code=code, module_path=softhsm.module, token_label=label,
                               spv_url=spv_server.base_url, ca_bundle=ca_certificate_path())
    return await run_discovery(request, softhsm.tokens[label].pin, lambda line: None)


async def test_agent_uploads_the_spv_list_and_entries_are_marked_spv(service, db, softhsm, spv_server):
    from domain.portfolio.models import SpvRightsUpload

    token, firm = await accounting_firm(service, "persons")
    pairing = await pairing_code(service, token, firm["id"])
    assert len(pairing["code"]) == 9 and pairing["code"][4] == "-"
    assert pairing["command"].startswith("portofoliu agent discover --server ") and pairing["code"] in pairing["command"]
    result = await agent_discover(softhsm, spv_server, service, pairing["code"], "persons")
    h = holder("persons")
    assert (result.companies, result.persons) == (len(h.cuis), len(h.cnps))
    [upload] = await SpvRightsUpload.all()
    assert sorted(upload.cnps) == sorted(h.cnps) and not set(upload.cnps) & set(upload.cuis)
    run = await finished_run(service, token, firm["id"])
    assert run["status"] == "SUCCEEDED" and run["found"] == len(h.cuis) - 1
    entries = await all_entries(service, token, firm["id"])
    assert {e["cui"] for e in entries} == set(h.cuis) - {h.firm_cui}
    # The SPV list names every client; those the firm invoiced lately are found by both sources.
    from anaf.sandbox.efactura_messages import invoicing

    invoiced = set(invoicing(h.firm_cui).clients)
    assert invoiced and all(e["sources"] == (["INVOICED", "SPV"] if e["cui"] in invoiced else ["SPV"]) for e in entries)
    assert not {e["cui"] for e in entries} & set(h.cnps)
    # The code is spent.
    with pytest.raises(DiscoveryFailed, match="PAIRING_USED"):
        await agent_discover(softhsm, spv_server, service, pairing["code"], "persons")


async def test_statement_for_another_firms_certificate_is_refused(service, db, softhsm, spv_server):
    from domain.portfolio.models import AgentPairing, SpvRightsUpload

    token, firm = await accounting_firm(service, "medium")  # authorized with the medium holder's certificate
    pairing = await pairing_code(service, token, firm["id"])
    with pytest.raises(DiscoveryFailed, match="SERIAL_MISMATCH"):
        await agent_discover(softhsm, spv_server, service, pairing["code"], "small")
    assert await SpvRightsUpload.all().count() == 0
    assert (await AgentPairing.get()).used_at is None  # a refused upload does not spend the code


async def test_expired_and_unknown_codes_are_refused(service, db, softhsm, spv_server):
    from domain.portfolio.models import AgentPairing

    token, firm = await accounting_firm(service)
    pairing = await pairing_code(service, token, firm["id"])
    await AgentPairing.all().update(expires_at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1))
    with pytest.raises(DiscoveryFailed, match="PAIRING_EXPIRED"):
        await agent_discover(softhsm, spv_server, service, pairing["code"])
    with pytest.raises(DiscoveryFailed, match="PAIRING_INVALID"):
        await agent_discover(softhsm, spv_server, service, "ABCD-EFGH")


def _signed_body(key, certificate, statement: Statement, *, tamper: bool = False) -> dict:
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding

    data = statement.canonical_bytes()
    signature = key.sign(data, padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32), hashes.SHA256())
    if tamper:
        data = data.replace(statement.cuis[0].encode(), b"18547290")
    return {"statement": base64.b64encode(data).decode(), "signature": base64.b64encode(signature).decode(),
            "certificate": certificate.public_bytes(serialization.Encoding.PEM).decode(), "algorithm": "RSA-PSS-SHA256"}


def _self_made_ca() -> SandboxCA:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, load_ca().certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value)])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30)).add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    return SandboxCA(certificate=cert, private_key=key)


@pytest.mark.parametrize("case,code", [
    ("tampered", "BAD_SIGNATURE"),
    ("other_key", "BAD_SIGNATURE"),
    ("expired", "CERTIFICATE_EXPIRED"),
    ("untrusted", "UNTRUSTED_ISSUER"),
])
async def test_bad_statements_are_refused_with_their_code(service, db, case, code):
    from domain.portfolio.models import SpvRightsUpload

    token, firm = await accounting_firm(service)
    pairing = await pairing_code(service, token, firm["id"])
    h = holder("small")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = dt.datetime.now(dt.timezone.utc)
    ca = _self_made_ca() if case == "untrusted" else load_ca()
    validity = {"not_before": now - dt.timedelta(days=400), "not_after": now - dt.timedelta(days=1)} if case == "expired" else {}
    certificate = issue_holder_certificate(key.public_key(), h, ca=ca, **validity)
    signing_key = rsa.generate_private_key(public_exponent=65537, key_size=2048) if case == "other_key" else key
    statement = Statement(certificate_serial=format(certificate.serial_number, "016X"), holder_cnp=h.cnp, cuis=h.cuis,
                          cnps=(), fetched_at=now, pairing_code=pairing["code"])
    body = _signed_body(signing_key, certificate, statement, tamper=case == "tampered")
    async with httpx.AsyncClient() as http:
        response = await http.post(f"{service.url}/agent/statements", json=body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code and response.json()["error"]["message"]
    assert await SpvRightsUpload.all().count() == 0


async def test_garbage_is_refused(service):
    async with httpx.AsyncClient() as http:
        response = await http.post(f"{service.url}/agent/statements", content=b"not json")
        assert response.status_code == 400 and response.json()["error"]["code"] == "MALFORMED_STATEMENT"
        response = await http.post(f"{service.url}/agent/statements", content=json.dumps({"statement": 1}))
        assert response.json()["error"]["code"] == "MALFORMED_STATEMENT"
