"""The agent sees the token's certificates without a PIN, and a wrong PIN is reported, not retried."""

from __future__ import annotations

import pytest
from pkcs11 import Attribute, KeyType, ObjectClass

from anaf.agent.token import TokenSigner, WrongPin, list_certificates, open_token
from anaf.sandbox.ca import CA_NAME

pytestmark = pytest.mark.softhsm


def test_lists_certificates_without_pin(softhsm):
    token = softhsm.tokens["small"]
    [found] = list_certificates(softhsm.module, "small")
    assert found.serial_hex == token.holder.serial
    assert token.holder.name in found.subject
    assert f"PNORO-{token.holder.cnp}" in found.subject
    assert CA_NAME in found.issuer
    assert found.not_before < found.not_after
    assert found.key_id == token.certificate.key_id


def test_lists_certificates_of_every_token_when_no_label_given(softhsm):
    serials = {c.token_label: c.serial_hex for c in list_certificates(softhsm.module)}
    assert serials["persons"] == softhsm.tokens["persons"].holder.serial
    assert "empty" not in serials


def test_private_key_stays_on_the_token(softhsm):
    token = open_token(softhsm.module, "small")
    with token.open(user_pin=softhsm.tokens["small"].pin) as session:
        key = session.get_key(object_class=ObjectClass.PRIVATE_KEY, key_type=KeyType.RSA,
                              id=bytes.fromhex(softhsm.tokens["small"].certificate.key_id))
        assert key[Attribute.SENSITIVE] is True
        assert key[Attribute.EXTRACTABLE] is False


def test_wrong_pin_raises_wrong_pin_and_the_token_still_opens_with_the_right_one(softhsm):
    with pytest.raises(WrongPin, match="not tried again"):
        TokenSigner(softhsm.module, "small", "9999").open()
    with TokenSigner(softhsm.module, "small", softhsm.tokens["small"].pin) as signer:
        assert signer.certificate.serial_hex == softhsm.tokens["small"].holder.serial
