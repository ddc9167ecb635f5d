"""Random bearer secrets (sessions, invitation links, OAuth states, pairing codes) and their hashes.

Only the SHA-256 of a secret is stored: a database leak does not hand out working links or
sessions. 256 random bits make a slow hash unnecessary.
"""

import hashlib
import secrets


def new_secret() -> tuple[str, str]:
    """A URL-safe token of 256 random bits and the hash to store."""
    token = secrets.token_urlsafe(32)
    return token, hash_secret(token)


def hash_secret(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
