"""Client for ANAF's OAuth 2.0 authorization-code flow (logincert.anaf.ro, or the sandbox).

Owns: the authorize URL the browser is sent to, the code exchange, the refresh with rotation
(ANAF returns a new access AND a new refresh token: both must be stored, or the next refresh
fails and the certificate holder has to log in again), and reading the claims of ANAF's JWTs.

Failures are split in two so callers can act on them:
- `OAuthGrantError`: ANAF refused (HTTP 400/401: invalid_grant, invalid_client, ...). Never retried;
  for invalid_grant the authorization is dead and the user must authorize again in the browser.
- `AnafUnavailable`: network errors, timeouts, 5xx after a few quick retries. The code is valid for
  60 seconds only, so the code exchange retries briefly rather than patiently.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import httpx
import jwt

from anaf.certificates import canonical_serial
from anaf.errors import AnafError
from anaf.retry import RetryableAnswer, retry_after_seconds, with_retries

ANAF_OAUTH_BASE = "https://logincert.anaf.ro/anaf-oauth2/v1"
# ANAF's documented refresh-token lifetime, used when the token does not carry its own `exp`.
REFRESH_TOKEN_LIFETIME = timedelta(days=365)


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    access_expires_at: datetime
    refresh_expires_at: datetime
    serial: str | None  # serial number of the certificate that authorized
    issued_at: datetime


class OAuthGrantError(AnafError):
    """ANAF refused the grant or the client; retrying the same request cannot succeed."""

    def __init__(self, error: str, description: str | None = None, *, status: int = 400) -> None:
        super().__init__(f"ANAF OAuth error {error}: {description or ''}".rstrip(": "))
        self.error = error
        self.description = description
        self.status = status


def read_claims(jwt_token: str) -> dict:
    """The claims of an ANAF JWT (`serial`, `exp`, `iat`, `token_type`, ...), or {} for an opaque token.

    The signature is not verified: ANAF publishes no key for it, and we need not trust it — the token
    came to us directly from ANAF's token endpoint over TLS, and ANAF checks it at every use.
    """
    try:
        return jwt.decode(jwt_token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return {}


def _timestamp(claims: dict, name: str) -> datetime | None:
    value = claims.get(name)
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    return None


class OAuthClient:
    """Talks to ANAF's `authorize` and `token` endpoints under `base_url` (…/anaf-oauth2/v1)."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        base_url: str = ANAF_OAUTH_BASE,
        *,
        client_id: str,
        client_secret: str,
        redirect_uri: str,
        timeout: float = 10.0,
        max_attempts: int = 3,
    ) -> None:
        self._http = http
        self._base_url = base_url.rstrip("/")
        self._client_id = client_id
        self._client_secret = client_secret
        self._redirect_uri = redirect_uri
        self._timeout = timeout
        self._max_attempts = max_attempts

    def authorize_url(self, state: str) -> str:
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self._client_id,
                "redirect_uri": self._redirect_uri,
                "token_content_type": "jwt",
                "state": state,
            }
        )
        return f"{self._base_url}/authorize?{query}"

    async def exchange_code(self, code: str) -> TokenPair:
        return await self._token_request(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": self._redirect_uri,
                "token_content_type": "jwt",
            },
            what="code exchange",
        )

    async def refresh(self, refresh_token: str) -> TokenPair:
        """Both returned tokens replace the stored ones: the old refresh token is now spent."""
        return await self._token_request(
            {"grant_type": "refresh_token", "refresh_token": refresh_token, "token_content_type": "jwt"},
            what="token refresh",
        )

    async def _token_request(self, form: dict[str, str], *, what: str) -> TokenPair:
        async def attempt() -> TokenPair:
            response = await self._http.post(
                f"{self._base_url}/token",
                data=form,
                auth=(self._client_id, self._client_secret),
                timeout=self._timeout,
            )
            return self._token_pair(response)

        # Short, fixed-size pauses: a code dies 60 s after it was issued.
        return await with_retries(
            attempt, what=what, max_attempts=self._max_attempts, backoff_initial=0.2, backoff_max=2.0
        )

    @staticmethod
    def _token_pair(response: httpx.Response) -> TokenPair:
        if response.status_code >= 500 or response.status_code == 429:
            raise RetryableAnswer(f"HTTP {response.status_code}", retry_after=retry_after_seconds(response))
        body = _json_object(response)
        if response.status_code in (400, 401):
            raise OAuthGrantError(
                str(body.get("error") or f"http_{response.status_code}"),
                body.get("error_description"),
                status=response.status_code,
            )
        if response.status_code != 200:
            raise AnafError(f"ANAF token endpoint answered HTTP {response.status_code}")
        access, refresh = body.get("access_token"), body.get("refresh_token")
        if not isinstance(access, str) or not isinstance(refresh, str):
            raise AnafError("ANAF token answer lacks access_token or refresh_token")
        now = datetime.now(UTC)
        access_claims, refresh_claims = read_claims(access), read_claims(refresh)
        expires_in = body.get("expires_in")
        access_expires_at = _timestamp(access_claims, "exp") or (
            now + timedelta(seconds=float(expires_in)) if isinstance(expires_in, int | float) else now
        )
        return TokenPair(
            access_token=access,
            refresh_token=refresh,
            access_expires_at=access_expires_at,
            refresh_expires_at=_timestamp(refresh_claims, "exp") or now + REFRESH_TOKEN_LIFETIME,
            serial=_serial(access_claims.get("serial") or refresh_claims.get("serial")),
            issued_at=_timestamp(access_claims, "iat") or now,
        )


def _serial(claim: object) -> str | None:
    """The certificate serial of the token, in the project's one written form (compare with
    :func:`anaf.certificates.same_serial` anyway)."""
    return canonical_serial(claim) if isinstance(claim, str) and claim else None


def _json_object(response: httpx.Response) -> dict:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
