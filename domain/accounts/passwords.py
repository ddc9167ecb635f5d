"""Password rules a person can understand, and argon2id hashing.

Guessability is judged by zxcvbn (its lists of the most common passwords, names and words, keyboard
patterns, sequences and repeats), with the person's e-mail and name counted as known to an attacker.
"""

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from zxcvbn import zxcvbn

from domain.kernel.errors import DomainError, ErrorCode

MIN_LENGTH = 10
MAX_LENGTH = 128
_hasher = PasswordHasher()  # argon2id with the library's recommended parameters
# Hash of a random password: verified against when the e-mail is unknown, so a failed sign-in
# costs the same time whether or not the account exists.
_DUMMY_HASH = _hasher.hash("not-a-real-password-0")
# zxcvbn's score: 0-1 fall to an online attack within hours (common passwords such as `qwerty1234`,
# a word plus digits, keyboard rows); 2 and above need at least 10^8 guesses.
MIN_SCORE = 2


def check_password_rules(password: str, *, email: str, name: str | None = None) -> None:
    field = ["password"]
    if len(password) < MIN_LENGTH:
        raise DomainError(ErrorCode.INVALID_PASSWORD, f"Choose a password of at least {MIN_LENGTH} characters.",
                          f"Alegeți o parolă de cel puțin {MIN_LENGTH} caractere.", field=field)
    if len(password) > MAX_LENGTH:
        raise DomainError(ErrorCode.INVALID_PASSWORD, f"Choose a password of at most {MAX_LENGTH} characters.",
                          f"Alegeți o parolă de cel mult {MAX_LENGTH} caractere.", field=field)
    known = [email, email.split("@")[0], *email.split("@")[0].replace("_", ".").replace("-", ".").split("."), *(name or "").split()]
    if len(set(password)) < 4 or zxcvbn(password[:72], user_inputs=[k for k in known if k])["score"] < MIN_SCORE:
        raise DomainError(ErrorCode.INVALID_PASSWORD, "This password is too easy to guess: avoid your e-mail address, repeated characters and common passwords.",
                          "Parola este prea ușor de ghicit: evitați adresa de e-mail, caracterele repetate și parolele des folosite.", field=field)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False
