"""The token vault: AES-GCM with keys from SECRET_KEY, rotation, and values bound to their place."""

import pytest

from domain.efactura.token_vault import TokenVault, VaultError

OLD = ("k1", b"old-secret-0123456789abcdef")
NEW = ("k2", b"new-secret-0123456789abcdef")


def test_round_trip_hides_the_plaintext_and_names_the_key():
    vault = TokenVault([OLD])
    sealed = vault.encrypt("eyJhbGciOi.secret-token", aad="efactura:1:access")
    assert sealed.startswith("k1:") and "secret-token" not in sealed
    assert vault.decrypt(sealed, aad="efactura:1:access") == "eyJhbGciOi.secret-token"
    assert vault.encrypt("same", aad="a") != vault.encrypt("same", aad="a")  # fresh nonce each time


def test_values_sealed_with_an_old_key_open_after_rotation():
    sealed_before = TokenVault([OLD]).encrypt("token", aad="a")
    rotated = TokenVault([NEW, OLD])
    assert rotated.decrypt(sealed_before, aad="a") == "token"
    assert rotated.encrypt("token", aad="a").startswith("k2:")
    with pytest.raises(VaultError, match="no key 'k1'"):
        TokenVault([NEW]).decrypt(sealed_before, aad="a")


@pytest.mark.parametrize("tamper", [
    lambda s: s,  # opened with another key under the same id
    lambda s: "k1:" + s[3:-4] + ("AAAA" if not s.endswith("AAAA") else "BBBB"),
    lambda s: "k1:not base64!",
])
def test_wrong_key_or_tampered_value_does_not_open(tamper):
    sealed = TokenVault([OLD]).encrypt("token", aad="a")
    other = TokenVault([("k1", b"another-secret-0123456789")])
    with pytest.raises(VaultError):
        other.decrypt(tamper(sealed), aad="a")
    if tamper(sealed) != sealed:
        with pytest.raises(VaultError):
            TokenVault([OLD]).decrypt(tamper(sealed), aad="a")


def test_value_does_not_open_in_another_place():
    vault = TokenVault([OLD])
    sealed = vault.encrypt("token", aad="efactura:1:access")
    for elsewhere in ("efactura:2:access", "efactura:1:refresh"):
        with pytest.raises(VaultError):
            vault.decrypt(sealed, aad=elsewhere)
