"""The sandbox's token authority: ANAF-shaped JWTs (RS512) and bearer-token checks.

Owns the signing key (a fresh RSA key per sandbox start, so tokens never outlive the sandbox that
issued them), the issue of access/refresh pairs with ANAF's claims, single use of refresh tokens
(rotation, as ANAF does), and `bearer_holder`, which every sandbox route that takes
`Authorization: Bearer` (e-Factura, the TestOauth hello) uses to find the certificate holder.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.requests import Request
from starlette.responses import JSONResponse

from anaf.sandbox.dataset import Holder

if TYPE_CHECKING:
    from anaf.sandbox.state import SandboxState

ISSUER = "https://logincert.anaf.ro"
ALGORITHM = "RS512"
ACCESS = "Bearer"
REFRESH = "refresh"
SCOPE = "EFACTURA"


@dataclass
class TokenAuthority:
    client_id: str
    access_ttl: int
    refresh_ttl: int
    _key: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048), repr=False
    )
    # jti of refresh tokens issued and not used yet: using one removes it (rotation).
    _live_refresh: set[str] = field(default_factory=set)

    def issue(self, serial: str) -> dict:
        """A token answer for the certificate `serial`, shaped like ANAF's."""
        now = int(time.time())
        refresh_jti = secrets.token_hex(16)
        self._live_refresh.add(refresh_jti)
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

    def redeem_refresh(self, token: str) -> str | None:
        """Spend a refresh token: its certificate serial the first time, None ever after."""
        claims = self._verify(token, REFRESH)
        if claims is None or claims.get("jti") not in self._live_refresh:
            return None
        self._live_refresh.discard(claims["jti"])
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
            "roles": [SCOPE],
            "jti": jti,
        }
        return jwt.encode(claims, self._key, algorithm=ALGORITHM)

    def _verify(self, token: str, token_type: str) -> dict | None:
        try:
            claims = jwt.decode(
                token,
                self._key.public_key(),
                algorithms=[ALGORITHM],
                issuer=ISSUER,
                options={"require": ["exp", "iat", "serial", "token_type", "jti"]},
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
        authority = TokenAuthority(config.oauth_client_id, config.access_token_ttl, config.refresh_token_ttl)
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
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S"),
            "status": 401,
            "error": "Unauthorized",
            "message": "Unauthorized",
        },
        status_code=401,
        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
    )
