"""Synthetic, deterministic e-Factura messages for the sandbox's list endpoints.

Each CIF gets the same messages on every run (seeded by the CIF), spread over the 60 days ANAF keeps
them, counted back from the start of the current day (UTC) so that a list does not shift while a
test runs. CIFs fall in three profiles, by their seed:
  - "quiet"  (about 1 in 5): no messages at all  → `Nu exista mesaje in ultimele N zile`
  - "busy"   (about 1 in 10): 1,100–1,400 messages → several pages of 500 in the paginated list
  - "normal" (the rest): 1–40 messages
"""

from __future__ import annotations

import functools
import hashlib
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

RETENTION = timedelta(days=60)
ANAF_TIMEZONE = ZoneInfo("Europe/Bucharest")

# filtru letter -> message type, as ANAF names them in `tip`
TYPES_BY_FILTER = {
    "P": "FACTURA PRIMITA",
    "T": "FACTURA TRIMISA",
    "E": "ERORI FACTURA",
    "R": "MESAJ CUMPARATOR PRIMIT / MESAJ CUMPARATOR TRANSMIS",
}
# Most traffic is received and sent invoices; errors and buyer messages are rare.
_TYPE_WEIGHTS = (("P", 55), ("T", 35), ("E", 7), ("R", 3))


@dataclass(frozen=True)
class Message:
    created: datetime  # UTC
    kind: str  # a key of TYPES_BY_FILTER
    fields: dict[str, str]  # the message as ANAF lists it


def _rng(cif: str) -> random.Random:
    return random.Random(int.from_bytes(hashlib.sha256(f"efactura:{cif}".encode()).digest()[:8], "big"))


def profile(cif: str) -> str:
    """"quiet", "busy" or "normal": how many messages `cif` has (see the module docstring)."""
    draw = _rng(cif).random()
    return "quiet" if draw < 0.2 else "busy" if draw < 0.3 else "normal"


def _count(cif: str, rng: random.Random) -> int:
    kind = profile(cif)
    if kind == "quiet":
        return 0
    return rng.randint(1100, 1400) if kind == "busy" else rng.randint(1, 40)


def _detalii(kind: str, cif: str, other: str, upload_id: str) -> str:
    if kind == "P":
        return f"Factura cu id_incarcare={upload_id} emisa de cif_emitent={other} pentru cif_beneficiar={cif}"
    if kind == "T":
        return f"Factura cu id_incarcare={upload_id} emisa de cif_emitent={cif} pentru cif_beneficiar={other}"
    if kind == "E":
        return f"Erori de validare identificate la factura primita cu id_incarcare={upload_id}"
    return f"Mesaj cumparator pentru factura cu id_incarcare={upload_id} emisa de cif_emitent={other}"


@functools.lru_cache(maxsize=256)
def _messages(cif: str, anchor_day: date) -> tuple[Message, ...]:
    rng = _rng(cif)
    rng.random()  # the profile draw
    anchor = datetime(anchor_day.year, anchor_day.month, anchor_day.day, tzinfo=UTC)
    kinds = [k for k, _ in _TYPE_WEIGHTS]
    weights = [w for _, w in _TYPE_WEIGHTS]
    messages = []
    for _ in range(_count(cif, rng)):
        created = anchor - timedelta(minutes=rng.randrange(1, int(RETENTION.total_seconds() // 60)))
        kind = rng.choices(kinds, weights)[0]
        upload_id = str(rng.randrange(4_000_000_000, 5_000_000_000))
        other = str(rng.randrange(1_000_000, 49_999_999))
        messages.append(
            Message(
                created,
                kind,
                {
                    "data_creare": created.astimezone(ANAF_TIMEZONE).strftime("%Y%m%d%H%M"),
                    "cif": cif,
                    "id_solicitare": upload_id,
                    "detalii": _detalii(kind, cif, other, upload_id),
                    "tip": TYPES_BY_FILTER[kind],
                    "id": str(rng.randrange(3_000_000_000, 4_000_000_000)),
                },
            )
        )
    messages.sort(key=lambda m: m.created, reverse=True)
    return tuple(messages)


def messages_between(cif: str, start: datetime, end: datetime, kind: str | None = None) -> list[dict[str, str]]:
    """The messages of `cif` created in [start, end], newest first, optionally of one filtru kind."""
    found = _messages(cif, datetime.now(UTC).date())
    return [m.fields for m in found if start <= m.created <= end and (kind is None or m.kind == kind)]
