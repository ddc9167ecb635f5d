"""The shortcuts for everyday e-mail addresses and Romanian phone numbers give exactly the libraries'
answers: never accepting what the library refuses, never normalising differently."""

from __future__ import annotations

import email_validator
import phonenumbers
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from domain.kernel.contacts import normalise_email, normalise_phone, plain_email
from domain.kernel.errors import DomainError

FAST = settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def library_email(text: str) -> str | None:
    try:
        return email_validator.validate_email(text, check_deliverability=False).normalized.lower()
    except email_validator.EmailNotValidError:
        return None


def library_phone(text: str) -> str | None:
    try:
        number = phonenumbers.parse(text, "RO")
    except phonenumbers.NumberParseException:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) if phonenumbers.is_valid_number(number) else None


# Address-like strings from the characters that matter at the edges of the rules.
atoms = st.text(alphabet="abcXYZ019_%+-.\"'!#~ ", min_size=0, max_size=70)
labels = st.text(alphabet="abcxnXN09-", min_size=0, max_size=65)
tlds = st.sampled_from(["ro", "com", "RO", "test", "local", "localhost", "invalid", "onion", "arpa", "c", "x1", "123", "co-uk", ""])


@FAST
@given(local=atoms, domain=st.lists(labels, min_size=0, max_size=4), tld=tlds)
@example(local="ana.pop", domain=["example"], tld="ro")
@example(local="a..b", domain=["x"], tld="ro")
@example(local="a", domain=["xn--bcher-kva"], tld="ro")
@example(local="a", domain=["ab--cd"], tld="ro")
@example(local="a" * 65, domain=["x"], tld="ro")
@example(local="a", domain=["a" * 64], tld="ro")
@example(local="a", domain=["x"], tld="test")
def test_the_email_shortcut_agrees_with_email_validator(local, domain, tld):
    text = f"{local}@{'.'.join([*domain, tld])}"
    fast = plain_email(text)
    assert fast is None or fast == library_email(text), text


@pytest.mark.parametrize("text", ["Ana.Pop@Example.RO", "ștefan@exemplu.ro", "\"quoted\"@example.ro", "a@b.test"])
def test_emails_give_the_library_answer_whichever_path_they_take(text):
    expected = library_email(text)
    if expected is None:
        with pytest.raises(DomainError):
            normalise_email(text)
    else:
        assert normalise_email(text) == expected


digits = st.text(alphabet="0123456789", min_size=0, max_size=12)
separators = st.sampled_from(["", " ", ".", "-", "/", "  ", " - "])


@FAST
@given(prefix=st.sampled_from(["", "0", "+40", "0040", "+4", "40", "+400", "00"]), parts=st.lists(digits, min_size=1, max_size=4), sep=separators)
@example(prefix="0", parts=["722", "123", "456"], sep=" ")
@example(prefix="+40", parts=["722123456"], sep="")
@example(prefix="0", parts=["212", "345", "678"], sep=".")
@example(prefix="0", parts=["800", "123", "456"], sep="-")
def test_the_phone_shortcut_agrees_with_phonenumbers(prefix, parts, sep):
    text = prefix + sep.join(parts)
    expected = library_phone(text)
    if expected is None:
        with pytest.raises(DomainError):
            normalise_phone(text)
    else:
        assert normalise_phone(text) == expected, text
