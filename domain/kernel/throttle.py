"""Counting attempts per key in a sliding window, in the database so every process agrees."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from domain.kernel.clock import now
from domain.kernel.errors import DomainError, ErrorCode
from domain.kernel.models import ThrottleEvent


def key_for(kind: str, value: str) -> str:
    """Keys hash what they count (e-mail, address) so the table holds no personal data."""
    return f"{kind}:{hashlib.sha256(value.lower().encode()).hexdigest()[:40]}"


async def count(key: str, window: timedelta) -> int:
    return await ThrottleEvent.filter(key=key, created_at__gte=now() - window).count()


async def record(*keys: str) -> None:
    at = now()
    await ThrottleEvent.bulk_create([ThrottleEvent(key=k, created_at=at) for k in keys])


async def clear(key: str) -> None:
    await ThrottleEvent.filter(key=key).delete()


async def ensure_allowed(key: str, *, limit: int, window: timedelta) -> None:
    if await count(key, window) >= limit:
        minutes = max(1, int(window.total_seconds() // 60))
        raise DomainError(ErrorCode.RATE_LIMITED, f"Too many attempts. Wait {minutes} minutes and try again.",
                          f"Prea multe încercări. Așteptați {minutes} minute și încercați din nou.")


async def purge_older_than(age: timedelta) -> int:
    return await ThrottleEvent.filter(created_at__lt=now() - age).delete()
