"""The sandbox's token authority: ANAF-shaped JWTs (RS512) and bearer-token checks.

Owns the signing key (made once and kept in the sandbox's store, so tokens outlive a restart as
ANAF's do, and every process mounting the sandbox accepts them), the issue of access/refresh pairs
with ANAF's claims, single use of refresh tokens (rotation, as ANAF does), and `bearer_holder`, which every sandbox route that takes
`Authorization: Bearer` (e-Factura, the TestOauth hello) uses to find the certificate holder.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.requests import Request
from starlette.responses import JSONResponse

from anaf.sandbox.dataset import Holder
from anaf.sandbox.efactura_messages import anaf_timestamp
from anaf.sandbox.store import SandboxStore

if TYPE_CHECKING:
    from anaf.sandbox.state import SandboxState

ISSUER = "https://logincert.anaf.ro"
ALGORITHM = "RS512"
ACCESS = "Bearer"
REFRESH = "refresh"
# As two integrators' decoded live tokens show them: `roles` is ONE string of @-joined roles.
ROLES = "HELLO@EFACTURA@ETRANSPORT@SRV_EFACTURA"
SCOPE = "clientappid info issuer role serial"
SIGNING_KEY = "oauth_signing_key"


class RefreshRefused(Exception):
    """A refresh token ANAF would not take: `error` and `description` as its token endpoint says them."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


def _new_key_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


@dataclass
class TokenAuthority:
    """Signs with the key kept in the sandbox's store (made once, shared by every process), and keeps
    the jti of each refresh token issued and not used yet there: using one removes it (rotation)."""

    client_id: str
    access_ttl: int
    refresh_ttl: int
    store: SandboxStore
    _key: rsa.RSAPrivateKey = field(init=False, repr=False)

    def __post_init__(self) -> None:
        pem = self.store.setting_once(SIGNING_KEY, _new_key_pem)
        self._key = serialization.load_pem_private_key(pem.encode(), password=None)  # type: ignore[assignment]

    def issue(self, serial: str) -> dict:
        """A token answer for the certificate `serial`, shaped like ANAF's."""
        now = int(time.time())
        refresh_jti = secrets.token_hex(16)
        self.store.add_refresh(refresh_jti, now + self.refresh_ttl)
        return {
            "access_token": self._sign(serial, ACCESS, now, self.access_ttl, secrets.token_hex(16)),
            "refresh_token": self._sign(serial, REFRESH, now, self.refresh_ttl, refresh_jti),
            "token_type": "Bearer",
            "expires_in": self.access_ttl,
        }

    def access_serial(self, token: str) -> str | None:
        """The certificate serial of a valid, unexpired access token; None otherwise."""
        claims = self._verify(token, ACCESS)
        return claims["serial"] if claims else None

    def redeem_refresh(self, token: str) -> str:
        """Spend a refresh token: its certificate serial the first time; `RefreshRefused` ever after.

        An expired one is refused as ANAF is reported to refuse it (`invalid_request`, "Refresh Token
        status is expired"); a spent, forged or unknown one with `invalid_grant`."""
        claims = self._verify(token, REFRESH)
        if claims is None:
            if self._verify(token, REFRESH, check_expiry=False) is not None:
                raise RefreshRefused("invalid_request", "Refresh Token status is expired")
            raise RefreshRefused("invalid_grant", "Invalid refresh token")
        if not self.store.spend_refresh(str(claims.get("jti")), now=time.time()):
            raise RefreshRefused("invalid_grant", "Invalid refresh token")
        return claims["serial"]

    def _sign(self, serial: str, token_type: str, now: int, ttl: int, jti: str) -> str:
        claims = {
            "iss": ISSUER,
            "iat": now,
            "nbf": now,
            "exp": now + ttl,
            "token_type": token_type,
            "clientappid": self.client_id,
            "serial": serial,
            "scope": SCOPE,
            "roles": ROLES,
            "jti": jti,
        }
        return jwt.encode(claims, self._key, algorithm=ALGORITHM)

    def _verify(self, token: str, token_type: str, *, check_expiry: bool = True) -> dict | None:
        try:
            claims = jwt.decode(
                token,
                self._key.public_key(),
                algorithms=[ALGORITHM],
                issuer=ISSUER,
                options={"require": ["exp", "iat", "serial", "token_type", "jti"], "verify_exp": check_expiry},
            )
        except jwt.PyJWTError:
            return None
        if claims.get("token_type") != token_type or claims.get("clientappid") != self.client_id:
            return None
        return claims


def token_authority(state: SandboxState) -> TokenAuthority:
    """The sandbox's one token authority, created on first use and kept on its state."""
    authority = getattr(state, "tokens", None)
    if authority is None:
        config = state.config
        authority = TokenAuthority(config.oauth_client_id, config.access_token_ttl, config.refresh_token_ttl, state.store)
        state.tokens = authority
    return authority


def bearer_holder(state: SandboxState, request: Request) -> Holder | None:
    """The certificate holder behind the request's bearer access token, or None (→ HTTP 401)."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    serial = token_authority(state).access_serial(token.strip())
    return state.dataset.holder_by_serial(serial) if serial else None


def unauthorized() -> JSONResponse:
    """ANAF's API gateway answer to a missing, invalid or expired bearer token."""
    return JSONResponse(
        {
            "timestamp": anaf_timestamp(),
            "status": 401,
            "error": "Unauthorized",
            "message": "Unauthorized",
        },
        status_code=401,
        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
    )
