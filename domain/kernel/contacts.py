"""Normalising what people type: e-mail addresses, phone numbers, CUIs."""

import email_validator
import phonenumbers
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.ro import cui as ro_cui

from domain.kernel.errors import DomainError, ErrorCode


def normalise_email(raw: str, *, field: str = "email") -> str:
    """Lower-cased normalised address; e-mail is unique case-insensitively."""
    try:
        info = email_validator.validate_email((raw or "").strip(), check_deliverability=False)
    except email_validator.EmailNotValidError as exc:
        raise DomainError(ErrorCode.INVALID_EMAIL, f"Enter a valid e-mail address ({exc}).",
                          "Introduceți o adresă de e-mail validă.", field=[field]) from None
    return info.normalized.lower()


def normalise_phone(raw: str, *, field: str = "phone") -> str:
    """E.164; numbers without a country code are read as Romanian."""
    try:
        number = phonenumbers.parse((raw or "").strip(), "RO")
    except phonenumbers.NumberParseException:
        number = None
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
