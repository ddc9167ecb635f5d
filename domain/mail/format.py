"""Dates as people read them in each language of the product ("12 decembrie 2026" / "12 December 2026").

Datetimes are shown in Romania's time zone: the product's users and their clients are there, and a
deadline stored at 23:30 UTC falls on the next calendar day in Bucharest.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

LOCALES = ("ro", "en")
DEFAULT_LOCALE = "ro"
ROMANIA = ZoneInfo("Europe/Bucharest")

_MONTHS = {
    "ro": ("ianuarie", "februarie", "martie", "aprilie", "mai", "iunie", "iulie", "august",
           "septembrie", "octombrie", "noiembrie", "decembrie"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
}


def normalise_locale(locale: str | None) -> str:
    """"ro", "ro-RO", "en_GB"... → "ro" / "en"; anything else falls back to Romanian."""
    language = (locale or "").replace("_", "-").split("-")[0].strip().lower()
    return language if language in LOCALES else DEFAULT_LOCALE


def _local(value: date | datetime) -> date | datetime:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(ROMANIA)
    return value


def format_date(value: date | datetime, locale: str = DEFAULT_LOCALE) -> str:
    value = _local(value)
    return f"{value.day} {_MONTHS[normalise_locale(locale)][value.month - 1]} {value.year}"


def format_datetime(value: datetime, locale: str = DEFAULT_LOCALE) -> str:
    """"12 decembrie 2026, ora 14:30" / "12 December 2026 at 14:30" (Romania's time)."""
    value = _local(value)
    joiner = ", ora" if normalise_locale(locale) == "ro" else " at"
    return f"{format_date(value, locale)}{joiner} {value:%H:%M}"


def format_days(days: int, locale: str = DEFAULT_LOCALE) -> str:
    """"1 zi", "3 zile", "20 de zile" / "1 day", "3 days" (Romanian puts "de" after 20-99 of each hundred)."""
    if normalise_locale(locale) == "en":
        return f"{days} day" if days == 1 else f"{days} days"
    if days == 1:
        return "1 zi"
    rest = abs(days) % 100
    return f"{days} de zile" if rest >= 20 or (rest == 0 and days != 0) else f"{days} zile"
