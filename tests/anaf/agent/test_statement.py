"""A statement signed on the token verifies; any change, other key, bad date or foreign issuer does not."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from anaf.agent.statement import (
    BadSignature, CertificateExpired, CertificateNotYetValid, MalformedStatement, SignedStatement,
    Statement, UntrustedIssuer, sign_statement, verify_statement,
)
from anaf.agent.token import TokenSigner
from anaf.sandbox.ca import SandboxCA, issue_holder_certificate, load_ca

pytestmark = pytest.mark.softhsm
TRUSTED = [load_ca().certificate]
NOW = dt.datetime.now(dt.timezone.utc)


def _statement(holder) -> Statement:
    return Statement(
        certificate_serial=holder.serial, holder_cnp=holder.cnp, cuis=holder.cuis, cnps=holder.cnps,
        fetched_at=NOW.replace(microsecond=0), pairing_code="K7Q-2MX-9TD",
    )


async def _signed(softhsm, label: str, statement: Statement) -> SignedStatement:
    async with TokenSigner(softhsm.module, label, softhsm.tokens[label].pin) as signer:
        return await sign_statement(statement, signer)


def _verify(signed: SignedStatement, *, certificate_pem: str | None = None, now: dt.datetime = NOW):
    return verify_statement(
        signed.statement_b64, signed.signature_b64, certificate_pem or signed.certificate_pem,
        trusted_cas=TRUSTED, now=now,
    )


def _pem(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


async def test_signed_statement_verifies_and_exposes_its_fields(softhsm):
    holder = softhsm.tokens["persons"].holder
    signed = await _signed(softhsm, "persons", _statement(holder))
    assert signed.upload_body()["algorithm"] == "RSA-PSS-SHA256"
    verified = _verify(signed)
    assert verified.statement == _statement(holder)
    assert verified.certificate_serial == holder.serial
    assert verified.holder_name == holder.name
    raw = json.loads(base64.b64decode(signed.statement_b64))
    assert raw["fetchedAt"].endswith("Z") and raw["version"] == 1 and raw["cnps"] == list(holder.cnps)


async def test_tampered_statement_is_refused(softhsm):
    holder = softhsm.tokens["small"].holder
    signed = await _signed(softhsm, "small", _statement(holder))
    raw = json.loads(base64.b64decode(signed.statement_b64))
    raw["cuis"].append("18547290")
    tampered = base64.b64encode(json.dumps(raw, sort_keys=True, separators=(",", ":")).encode()).decode()
    with pytest.raises(BadSignature) as refused:
        verify_statement(tampered, signed.signature_b64, signed.certificate_pem, trusted_cas=TRUSTED, now=NOW)
    assert refused.value.code == "BAD_SIGNATURE"


async def test_statement_signed_by_another_token_key_is_refused(softhsm):
    holder = softhsm.tokens["small"].holder
    # The other token holds a certificate for the same holder, but its own key pair.
    signed_elsewhere = await _signed(softhsm, "other-small", _statement(holder))
    with pytest.raises(BadSignature):
        _verify(signed_elsewhere, certificate_pem=softhsm.tokens["small"].certificate.pem)


async def test_expired_and_not_yet_valid_certificates_are_refused(softhsm):
    token = softhsm.tokens["small"]
    signed = await _signed(softhsm, "small", _statement(token.holder))
    expired = issue_holder_certificate(
        token.certificate.certificate.public_key(), token.holder,
        not_before=NOW - dt.timedelta(days=400), not_after=NOW - dt.timedelta(days=35),
    )
    with pytest.raises(CertificateExpired, match="expired on"):
        _verify(signed, certificate_pem=_pem(expired))
    with pytest.raises(CertificateNotYetValid):
        _verify(signed, now=token.certificate.not_before - dt.timedelta(days=1))


def _software_signed(holder, certificate_for) -> SignedStatement:
    """A statement signed by a software key, with the certificate ``certificate_for(key)`` makes."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    data = _statement(holder).canonical_bytes()
    signature = key.sign(data, padding.PSS(padding.MGF1(hashes.SHA256()), 32), hashes.SHA256())
    return SignedStatement(
        base64.b64encode(data).decode(), base64.b64encode(signature).decode(), _pem(certificate_for(key))
    )


def _self_signed(holder, key) -> x509.Certificate:
    """Everything a sandbox certificate carries about the holder, but signed by its own key."""
    genuine = issue_holder_certificate(key.public_key(), holder)
    return (
        x509.CertificateBuilder().subject_name(genuine.subject).issuer_name(genuine.subject)
        .public_key(key.public_key()).serial_number(genuine.serial_number)
        .not_valid_before(genuine.not_valid_before_utc).not_valid_after(genuine.not_valid_after_utc)
        .sign(key, hashes.SHA256())
    )


def test_self_signed_certificate_with_the_holders_name_is_refused(softhsm):
    holder = softhsm.tokens["small"].holder
    signed = _software_signed(holder, lambda key: _self_signed(holder, key))
    with pytest.raises(UntrustedIssuer) as refused:
        _verify(signed)
    assert refused.value.code == "UNTRUSTED_ISSUER"


def test_certificate_naming_the_sandbox_ca_but_signed_by_another_key_is_refused(softhsm):
    holder = softhsm.tokens["small"].holder
    impostor_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    impostor = SandboxCA(certificate=load_ca().certificate, private_key=impostor_key)
    with pytest.raises(UntrustedIssuer):
        _verify(_software_signed(holder, lambda key: issue_holder_certificate(key.public_key(), holder, ca=impostor)))


@pytest.mark.parametrize(
    ("statement_b64", "signature_b64"),
    [("not base64!", "AAAA"), (base64.b64encode(b"{}").decode(), "%%%")],
)
def test_garbage_is_malformed(softhsm, statement_b64, signature_b64):
    with pytest.raises(MalformedStatement):
        verify_statement(statement_b64, signature_b64, softhsm.tokens["small"].certificate.pem,
                         trusted_cas=TRUSTED, now=NOW)
