"""Accounts and sessions: sign-up, sign-in with throttling, sign-out, resolving a bearer token."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from tortoise.exceptions import IntegrityError

from domain.accounts.models import Session, User
from domain.accounts.passwords import check_password_rules, hash_password, verify_password
from domain.kernel import clock, sql, throttle
from domain.kernel.contacts import clean_name, normalise_email, normalise_phone
from domain.kernel.errors import DomainError, ErrorCode
from domain.kernel.events import unit_of_work
from domain.kernel.secrets import hash_secret, new_secret

# Failed sign-ins count per e-mail *and* client address, so a stranger elsewhere cannot lock the
# owner out; per address, over every e-mail (one machine guessing many accounts); and per e-mail
# from addresses the account never signed in from (many machines guessing one account), which
# never applies where the owner signed in before.
SIGNIN_WINDOW = timedelta(minutes=15)
SIGNIN_LIMIT_PER_EMAIL = 5
SIGNIN_LIMIT_PER_ADDRESS = 30
SIGNIN_LIMIT_PER_EMAIL_FROM_NEW_ADDRESSES = 20
SIGNUP_WINDOW = timedelta(hours=1)
SIGNUP_LIMIT_PER_ADDRESS = 20


@dataclass(frozen=True)
class SignedIn:
    user: User
    token: str
    session: Session


def _email_taken() -> DomainError:
    return DomainError(ErrorCode.EMAIL_TAKEN, "An account with this e-mail already exists. Sign in instead.",
                       "Există deja un cont cu această adresă de e-mail. Autentificați-vă.", field=["email"])


async def email_exists(email: str) -> bool:
    return await User.filter(email=email.lower()).exists()


async def create_user(*, email: str, password: str, name: str, phone: str | None, locale: str = "ro") -> User:
    """Validate and create a user inside the caller's transaction. `email` must be normalised."""
    check_password_rules(password, email=email, name=name)
    if await email_exists(email):
        raise _email_taken()
    try:
        return await User.create(email=email, name=name, phone=phone, password_hash=hash_password(password),
                                 locale=locale if locale in ("ro", "en") else "ro")
    except IntegrityError:
        raise _email_taken() from None


async def open_session(user: User, *, ttl_seconds: int, client_address: str | None = None) -> SignedIn:
    token, token_hash = new_secret()
    session = await Session.create(user=user, token_hash=token_hash, client_address=client_address,
                                   expires_at=clock.now() + timedelta(seconds=ttl_seconds))
    return SignedIn(user=user, token=token, session=session)


async def sign_up(*, email: str, password: str, name: str, phone: str | None, locale: str, ttl_seconds: int,
                  client_address: str | None = None, limit_per_address: int = SIGNUP_LIMIT_PER_ADDRESS) -> SignedIn:
    email = normalise_email(email)
    name = clean_name(name)
    phone = normalise_phone(phone) if phone else None
    async with unit_of_work():
        user = await create_user(email=email, password=password, name=name, phone=phone, locale=locale)
        await count_sign_up(client_address, limit=limit_per_address)
        return await open_session(user, ttl_seconds=ttl_seconds, client_address=client_address)


async def count_sign_up(client_address: str | None, *, limit: int = SIGNUP_LIMIT_PER_ADDRESS) -> None:
    """One more account from this address, inside the sign-up's transaction (a failed sign-up
    does not count), or RATE_LIMITED."""
    await throttle.hit(throttle.Limit(throttle.key_for("signup:addr", client_address or "-"), limit, SIGNUP_WINDOW),
                       what="Too many accounts were created from this network address.",
                       what_ro="Din această adresă de rețea s-au creat prea multe conturi.")


def _bad_credentials() -> DomainError:
    # The same answer whether the e-mail is unknown or the password wrong.
    return DomainError(ErrorCode.INVALID_CREDENTIALS, "The e-mail or the password is wrong.",
                       "Adresa de e-mail sau parola este greșită.")


async def sign_in(*, email: str, password: str, ttl_seconds: int, client_address: str | None = None) -> SignedIn:
    email = (email or "").strip().lower()
    address = client_address or "-"
    pair = throttle.Limit(throttle.key_for("signin:pair", f"{email} {address}"), SIGNIN_LIMIT_PER_EMAIL, SIGNIN_WINDOW)
    limits = [pair, throttle.Limit(throttle.key_for("signin:addr", address), SIGNIN_LIMIT_PER_ADDRESS, SIGNIN_WINDOW)]
    # Asked whether or not the e-mail has an account, so the answer's timing does not tell.
    if not await Session.filter(user__email=email, client_address=address).exists():
        limits.append(throttle.Limit(throttle.key_for("signin:email", email), SIGNIN_LIMIT_PER_EMAIL_FROM_NEW_ADDRESSES, SIGNIN_WINDOW))
    # The attempt takes its slots before the password is checked: parallel guesses cannot all pass.
    taken = await throttle.hit(*limits)
    user = await User.get_or_none(email=email)
    if not verify_password(user.password_hash if user else None, password or ""):
        raise _bad_credentials()
    await throttle.release(taken)  # a success is not a failed attempt
    await throttle.clear(pair.key)
    return await open_session(user, ttl_seconds=ttl_seconds, client_address=client_address)


async def sign_out(session_id: int) -> bool:
    return await Session.filter(id=session_id, revoked_at__isnull=True).update(revoked_at=clock.now()) > 0


async def resolve_session(token: str | None) -> Session | None:
    """The live session for a bearer token (with its user), or None if unknown, expired or revoked."""
    if not token:
        return None
    rows = await sql.fetch(f"SELECT {sql.columns(Session, 's', 's__')}, {sql.columns(User, 'u', 'u__')} FROM sessions s "
                           "JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1", hash_secret(token))
    if not rows:
        return None
    session = sql.model(Session, rows[0], "s__")
    if session.revoked_at is not None or session.expires_at <= clock.now():
        return None
    sql.attach(session, "user", sql.model(User, rows[0], "u__"))
    return session


async def session_is_live(session_id: int) -> bool:
    return await Session.filter(id=session_id, revoked_at__isnull=True, expires_at__gt=clock.now()).exists()
