"""Normalising what people type: e-mail addresses, phone numbers, CUIs.

email-validator and phonenumbers decide what is valid. The everyday shapes (a plain ASCII address,
a Romanian number with or without +40) take a shortcut to the same answer: the libraries' general
machinery costs ~0.2 ms a value, most of a 1,000-row `sendInvitations`. A property test holds each
shortcut to its library: it never accepts what the library refuses and always gives its answer.
"""

import re

import email_validator
import phonenumbers
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.ro import cui as ro_cui

from domain.kernel.errors import DomainError, ErrorCode


# A dot-atom of ASCII letters, digits and _ % + - before the @ (at most 64), dotted letter-digit-
# hyphen labels after it (no label starts or ends with a hyphen, none holds "--", so nothing is
# Punycode) and an alphabetic top-level domain; 254 characters at most.
_PLAIN_EMAIL = re.compile(r"(?=.{6,254}$)(?=[^@]{1,64}@)[A-Za-z0-9_%+-]+(?:\.[A-Za-z0-9_%+-]+)*"
                          r"@(?!.*--)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+([A-Za-z]{2,63})")
_SPECIAL_USE = frozenset(email_validator.SPECIAL_USE_DOMAIN_NAMES)


def plain_email(text: str) -> str | None:
    """The normalised form of an everyday address without the library's work, or None."""
    match = _PLAIN_EMAIL.fullmatch(text)
    if match is None or match.group(1).lower() in _SPECIAL_USE:
        return None
    return text.lower()


def normalise_email(raw: str, *, field: str = "email") -> str:
    """Lower-cased normalised address; e-mail is unique case-insensitively."""
    text = (raw or "").strip()
    if (plain := plain_email(text)) is not None:
        return plain
    try:
        info = email_validator.validate_email(text, check_deliverability=False)
    except email_validator.EmailNotValidError as exc:
        raise DomainError(ErrorCode.INVALID_EMAIL, f"Enter a valid e-mail address ({exc}).",
                          "Introduceți o adresă de e-mail validă.", field=[field]) from None
    return info.normalized.lower()


# A Romanian number written 07xx xxx xxx, +40 7xx..., 0040 7xx... with spaces, dots, dashes or
# slashes between the digits: its national number, without phonenumbers' general parser.
_RO_NUMBER = re.compile(r"(?:\+40|0040|0)([1-9][0-9]{8})")
_SEPARATORS = re.compile(r"[ ./-]+")


def _parse_phone(text: str) -> phonenumbers.PhoneNumber | None:
    if (match := _RO_NUMBER.fullmatch(_SEPARATORS.sub("", text))) is not None:
        return phonenumbers.PhoneNumber(country_code=40, national_number=int(match.group(1)))
    try:
        return phonenumbers.parse(text, "RO")
    except phonenumbers.NumberParseException:
        return None


def normalise_phone(raw: str, *, field: str = "phone") -> str:
    """E.164; numbers without a country code are read as Romanian."""
    number = _parse_phone((raw or "").strip())
    if number is None or not phonenumbers.is_valid_number(number):
        raise DomainError(ErrorCode.INVALID_PHONE, "Enter a valid phone number, e.g. 0722 123 456 or +40 722 123 456.",
                          "Introduceți un număr de telefon valid, de ex. 0722 123 456 sau +40 722 123 456.", field=[field])
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_cui(raw: str, *, field: str = "cui") -> str:
    """The bare CUI: spaces and a leading RO removed, check digit verified (python-stdnum)."""
    try:
        return ro_cui.validate((raw or "").strip())
    except StdnumError:
        shown = (raw or "").strip()[:20]
        raise DomainError(ErrorCode.INVALID_CUI, f"“{shown}” is not a valid CUI: 2 to 10 digits, optionally after RO, with a correct check digit.",
                          f"„{shown}” nu este un CUI valid: 2–10 cifre, opțional precedate de RO, cu cifra de control corectă.", field=[field]) from None


def clean_name(raw: str, *, field: str = "name", max_length: int = 200) -> str:
    name = " ".join((raw or "").split())
    if not name:
        raise DomainError(ErrorCode.INVALID_INPUT, "Enter a name.", "Introduceți un nume.", field=[field])
    if len(name) > max_length:
        raise DomainError(ErrorCode.INVALID_INPUT, f"Keep the name under {max_length} characters.",
                          f"Numele trebuie să aibă sub {max_length} caractere.", field=[field])
    return name
