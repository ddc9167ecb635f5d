"""Encryption at rest for secrets the product must read back (ANAF's OAuth tokens).

AES-256-GCM with a key derived (HKDF-SHA256) from each of `settings.secret_keys`, newest first.
A ciphertext is `"<key id>:<base64(nonce + ciphertext + tag)>"`: new values are sealed with the
newest key, and values sealed with an older key still open as long as that key stays listed, so a
key rotation needs no re-encryption pass. The caller's associated data (e.g. which company and which
token) is authenticated too, so a ciphertext copied into another row or column does not open.

The process's vault is installed once at start-up (`install`, from `portofoliu.services`); domain
functions that need it take `vault=` and fall back to it.
"""

from __future__ import annotations

import base64
import binascii
import os
from typing import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

NONCE_BYTES = 12
# Distinct from any other use of the same secret (e.g. signing), so one derived key never serves two purposes.
KDF_INFO = b"portofoliu token vault v1"


class VaultError(Exception):
    """A value cannot be opened: unknown key id, wrong key, tampered or malformed ciphertext."""


def _derive(secret: bytes) -> AESGCM:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=KDF_INFO).derive(secret)
    return AESGCM(key)


class TokenVault:
    def __init__(self, keys: Sequence[tuple[str, bytes]]):
        if not keys:
            raise ValueError("a vault needs at least one key")
        for key_id, _ in keys:
            if not key_id or ":" in key_id:
                raise ValueError(f"key id {key_id!r} must be non-empty and without ':'")
        self._current_id = keys[0][0]
        self._ciphers = {key_id: _derive(secret) for key_id, secret in keys}

    def encrypt(self, plaintext: str, *, aad: str) -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._ciphers[self._current_id].encrypt(nonce, plaintext.encode(), self._aad(self._current_id, aad))
        return f"{self._current_id}:{base64.b64encode(nonce + sealed).decode()}"

    def decrypt(self, value: str, *, aad: str) -> str:
        key_id, sep, encoded = value.partition(":")
        cipher = self._ciphers.get(key_id)
        if not sep or cipher is None:
            raise VaultError(f"no key {key_id!r} to open this value (was SECRET_KEY rotated without keeping the old key?)")
        try:
            raw = base64.b64decode(encoded, validate=True)
            return cipher.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], self._aad(key_id, aad)).decode()
        except (binascii.Error, InvalidTag, ValueError):
            raise VaultError("the value does not open with its key: wrong key or tampered data") from None

    @staticmethod
    def _aad(key_id: str, aad: str) -> bytes:
        # The key id is authenticated too: relabelling a value with another id cannot go unnoticed.
        return f"{key_id}\x00{aad}".encode()


_installed: TokenVault | None = None


def install(vault: TokenVault | None) -> None:
    global _installed
    _installed = vault


def current(vault: TokenVault | None = None) -> TokenVault:
    """`vault` when given, else the process's vault."""
    if vault is not None:
        return vault
    if _installed is None:
        raise RuntimeError("no token vault installed: build the process's Services first")
    return _installed
