"""The one clock of the domain: aware UTC datetimes, so every comparison and column agrees."""

from __future__ import annotations

from datetime import datetime, timezone


def now() -> datetime:
    return datetime.now(timezone.utc)
