"""The agent calls the sandbox SPV over TLS with the token key; the service trusts only its CA."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import ssl

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from anaf.agent.spv_client import (
    SpvConnectionRefused, SpvNoMessages, SpvNoRights, TlsliteTransport, fetch_rights, load_ca_bundle,
    rights_url,
)
from anaf.agent.token import TokenSigner
from anaf.sandbox.ca import SandboxCA, ca_certificate_path, issue_holder_certificate

pytestmark = pytest.mark.softhsm
CA_BUNDLE = ca_certificate_path()


def _signer(softhsm, label: str) -> TokenSigner:
    token = softhsm.tokens[label]
    return TokenSigner(softhsm.module, label, token.pin)


async def _rights(softhsm, spv_server, label: str, **kwargs):
    async with _signer(softhsm, label) as signer:
        return await fetch_rights(
            spv_server.base_url, signer, signer.certificate.certificate, ca_bundle=CA_BUNDLE, **kwargs
        )


async def test_small_holder_gets_every_company_it_has_rights_for(softhsm, spv_server):
    holder = softhsm.tokens["small"].holder
    rights = await _rights(softhsm, spv_server, "small")
    assert rights.cuis == list(holder.cuis)
    assert rights.cnps == []
    assert rights.serial == holder.serial
    assert rights.cnp == holder.cnp


async def test_natural_persons_are_separated_from_companies(softhsm, spv_server):
    holder = softhsm.tokens["persons"].holder
    rights = await _rights(softhsm, spv_server, "persons")
    assert rights.cnps == list(holder.cnps) and len(rights.cnps) == 3
    assert rights.cuis == list(holder.cuis)


async def test_a_narrow_window_has_no_messages_and_no_rights_list(softhsm, spv_server):
    async with _signer(softhsm, "small") as signer:
        transport = TlsliteTransport(signer, signer.certificate.certificate, load_ca_bundle(CA_BUNDLE))
        response = await asyncio.to_thread(transport.get, rights_url(spv_server.base_url, 5))
        assert response.status == 200
        assert json.loads(response.body) == {"titlu": "Lista Mesaje", "eroare": "Nu exista mesaje in ultimele 5 zile"}
    with pytest.raises(SpvNoMessages, match="more days"):
        await _rights(softhsm, spv_server, "small", days=5)


async def test_holder_without_rights_is_told_so(softhsm, spv_server):
    with pytest.raises(SpvNoRights, match="Nu exista niciun CIF"):
        await _rights(softhsm, spv_server, "none")


async def test_agent_refuses_a_server_its_bundle_does_not_trust(softhsm, spv_server, tmp_path):
    other_ca = _software_ca("Some Other CA")
    bundle = tmp_path / "other.pem"
    bundle.write_bytes(other_ca.certificate.public_bytes(serialization.Encoding.PEM))
    async with _signer(softhsm, "small") as signer:
        with pytest.raises(SpvConnectionRefused, match="not trusted"):
            await fetch_rights(spv_server.base_url, signer, signer.certificate.certificate, ca_bundle=bundle)


async def test_server_refuses_a_client_without_certificate(spv_server):
    context = ssl.create_default_context(cafile=str(CA_BUNDLE))
    async with httpx.AsyncClient(verify=context) as client:
        with pytest.raises(httpx.TransportError):
            await client.get(f"{spv_server.base_url}listaMesaje?zile=500")


async def _get_with_software_certificate(spv_server, holder, ca: SandboxCA | None, directory):
    client_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    certificate = issue_holder_certificate(client_key.public_key(), holder, ca=ca)
    (directory / "client.pem").write_bytes(
        certificate.public_bytes(serialization.Encoding.PEM)
        + client_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                   serialization.NoEncryption())
    )
    context = ssl.create_default_context(cafile=str(CA_BUNDLE))
    context.load_cert_chain(directory / "client.pem")
    async with httpx.AsyncClient(verify=context) as client:
        return await client.get(f"{spv_server.base_url}listaMesaje?zile=500")


async def test_server_accepts_any_client_with_a_sandbox_ca_certificate(softhsm, spv_server, tmp_path):
    holder = softhsm.tokens["persons"].holder
    response = await _get_with_software_certificate(spv_server, holder, None, tmp_path)
    assert response.json()["cui"] == ",".join([*holder.cuis, *holder.cnps])


async def test_server_refuses_a_certificate_from_another_ca(softhsm, spv_server, tmp_path):
    other_ca = _software_ca("Portofoliu Sandbox Qualified CA")  # same name, other key
    with pytest.raises(httpx.TransportError):
        await _get_with_software_certificate(spv_server, softhsm.tokens["small"].holder, other_ca, tmp_path)


def _software_ca(common_name: str) -> SandboxCA:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.timezone.utc)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return SandboxCA(certificate=certificate, private_key=key)



async def test_a_large_portfolio_arrives_whole_through_the_token_connection(softhsm, spv_server):
    holder = softhsm.tokens["large"].holder
    rights = await _rights(softhsm, spv_server, "large")
    assert len(rights.cuis) == 2000
    assert rights.cuis == list(holder.cuis)
