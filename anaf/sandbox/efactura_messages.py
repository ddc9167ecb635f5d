"""Synthetic, deterministic e-Factura messages for the sandbox's list endpoints.

Each CIF gets the same messages on every run (seeded by the CIF), spread over the 60 days ANAF keeps
them, counted back from the start of the current day (UTC) so that a list does not shift while a
test runs. CIFs fall in these profiles:
  - "firm"   a holder's own accounting firm: its invoicing history (`invoicing`), a `FACTURA TRIMISA`
             or two a month to most, not all, of its clients — some in the self-billing wording —,
             to a few buyers its certificate has no rights for, to natural persons (CNP) and to
             foreign buyers; plus the invoices it received. The large holder's firm fills several
             pages of 500, and its simple list answers the over-500 text.
  - "flood"  one client of each holder: 600 messages a day (yesterday and today), so even `zile=1`
             is over 500
  - "quiet"  (about 1 in 5 of the others): no messages at all → `Nu exista mesaje in ultimele N zile`
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

from stdnum.ro import cnp as cnp_rules

from anaf.sandbox.dataset import Holder, get_dataset

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


def anaf_timestamp(moment: datetime | None = None) -> str:
    """A moment as ANAF writes it in texts and error bodies: dd-MM-yyyy HH:mm:ss, Romania's time."""
    return (moment or datetime.now(UTC)).astimezone(ANAF_TIMEZONE).strftime("%d-%m-%Y %H:%M:%S")


@dataclass(frozen=True)
class Message:
    created: datetime  # UTC
    kind: str  # a key of TYPES_BY_FILTER
    fields: dict[str, str]  # the message as ANAF lists it


def _rng(cif: str) -> random.Random:
    return random.Random(int.from_bytes(hashlib.sha256(f"efactura:{cif}".encode()).digest()[:8], "big"))


def profile(cif: str) -> str:
    """"firm", "flood", "quiet", "busy" or "normal": how many messages `cif` has (module docstring)."""
    if cif in _firms():
        return "firm"
    if cif in _flooded():
        return "flood"
    draw = _rng(cif).random()
    return "quiet" if draw < 0.2 else "busy" if draw < 0.3 else "normal"


@functools.cache
def _firms() -> dict[str, Holder]:
    return {h.firm_cui: h for h in get_dataset().holders.values() if h.firm_cui}


@functools.cache
def _flooded() -> frozenset[str]:
    """One client of each holder that has clients: the first, in CUI order."""
    return frozenset(h.clients[0] for h in get_dataset().holders.values() if h.clients)


FLOOD_PER_DAY = 600
INVOICE_DAYS = 50  # the firm's invoices lie within this many days, well inside any 60-day window


@dataclass(frozen=True)
class Invoicing:
    """Who a holder's firm invoiced over the last 60 days (its `FACTURA TRIMISA` messages)."""

    firm: str
    clients: tuple[str, ...]  # invoiced clients the certificate has rights for
    self_billed: frozenset[str]  # of those, the ones whose invoices use the self-billing wording
    without_rights: tuple[str, ...]  # buyers the certificate has no SPV rights for
    persons: tuple[str, ...]  # natural persons (CNP)
    foreign: tuple[str, ...]  # foreign buyers (their VAT numbers)

    @property
    def buyers(self) -> tuple[str, ...]:
        return self.clients + self.without_rights + self.persons + self.foreign


@functools.cache
def invoicing(firm_cui: str) -> Invoicing:
    """The invoicing history of the holder whose firm is `firm_cui` (see the module docstring)."""
    holder = _firms()[firm_cui]
    rng = random.Random(f"invoicing:{firm_cui}")
    clients = list(holder.clients)
    invoiced = sorted(set(rng.sample(clients, round(len(clients) * 0.85))) | (_flooded() & set(clients)))
    self_billed = frozenset(rng.sample(invoiced, max(1, len(invoiced) // 10))) if invoiced else frozenset()
    dataset = get_dataset()
    others = sorted(c for c in dataset.companies if c not in holder.cuis and c != firm_cui)
    without_rights = tuple(sorted(rng.sample(others, max(2, len(invoiced) // 10))))
    persons = tuple(sorted({_cnp(rng) for _ in range(3)} | set(holder.cnps)))
    foreign = (f"DE{rng.randrange(100_000_000, 999_999_999)}", f"HU{rng.randrange(10_000_000, 99_999_999)}")
    return Invoicing(firm_cui, tuple(invoiced), self_billed, without_rights, persons, foreign)


def _cnp(rng: random.Random) -> str:
    while True:
        first = f"{rng.choice('12')}{rng.randrange(60, 99)}{rng.randrange(1, 13):02d}{rng.randrange(1, 29):02d}{rng.randrange(1, 47):02d}{rng.randrange(1, 1000):03d}"
        try:
            return first + cnp_rules.calc_check_digit(first)
        except Exception:  # noqa: BLE001 - an impossible date or county: draw again
            continue


def _count(cif: str, rng: random.Random) -> int:
    kind = profile(cif)
    if kind == "quiet":
        return 0
    if kind == "flood":
        return FLOOD_PER_DAY * 2
    return rng.randint(1100, 1400) if kind == "busy" else rng.randint(1, 40)


def _detalii(kind: str, cif: str, other: str, upload_id: str) -> str:
    if kind == "P":
        return f"Factura cu id_incarcare={upload_id} emisa de cif_emitent={other} pentru cif_beneficiar={cif}"
    if kind == "T":
        return f"Factura cu id_incarcare={upload_id} emisa de cif_emitent={cif} pentru cif_beneficiar={other}"
    if kind == "E":
        return f"Erori de validare identificate la factura primita cu id_incarcare={upload_id}"
    return f"Mesaj cumparator pentru factura cu id_incarcare={upload_id} emisa de cif_emitent={other}"


def _message(rng: random.Random, cif: str, created: datetime, kind: str, detalii: str, upload_id: str) -> Message:
    return Message(
        created,
        kind,
        {
            "data_creare": created.astimezone(ANAF_TIMEZONE).strftime("%Y%m%d%H%M"),
            "cif": cif,
            "id_solicitare": upload_id,
            "detalii": detalii,
            "tip": TYPES_BY_FILTER[kind],
            "id": str(rng.randrange(3_000_000_000, 4_000_000_000)),
        },
    )


def _upload_id(rng: random.Random) -> str:
    return str(rng.randrange(4_000_000_000, 5_000_000_000))


def self_billing_detalii(upload_id: str, buyer: str, seller: str) -> str:
    # Production shows a double space before "ca autofactura".
    return f"Factura cu id_incarcare={upload_id} transmisa de cif={buyer}  ca autofactura in numele cif={seller}"


def _firm_messages(cif: str, anchor: datetime) -> list[Message]:
    plan = invoicing(cif)
    rng = random.Random(f"firm-messages:{cif}")
    messages = []
    for buyer in plan.buyers:
        # An invoice a month, on a day of its own for each buyer; sometimes a second one.
        first = rng.randrange(1, INVOICE_DAYS - 30)
        days = [first, first + 30] + ([rng.randrange(1, INVOICE_DAYS)] if rng.random() < 0.2 else [])
        for day in days:
            created = anchor - timedelta(days=day, minutes=rng.randrange(8 * 60, 18 * 60))
            upload_id = _upload_id(rng)
            if buyer in plan.self_billed:
                detalii = self_billing_detalii(upload_id, buyer, cif)
            else:
                detalii = _detalii("T", cif, buyer, upload_id)
            messages.append(_message(rng, cif, created, "T", detalii, upload_id))
    for _ in range(len(messages) // 3 + 3):  # supplier invoices received, and a few errors
        kind = "P" if rng.random() < 0.9 else "E"
        created = anchor - timedelta(minutes=rng.randrange(1, INVOICE_DAYS * 24 * 60))
        upload_id = _upload_id(rng)
        supplier = str(rng.randrange(1_000_000, 49_999_999))
        messages.append(_message(rng, cif, created, kind, _detalii(kind, cif, supplier, upload_id), upload_id))
    return messages


@functools.lru_cache(maxsize=256)
def _messages(cif: str, anchor_day: date) -> tuple[Message, ...]:
    anchor = datetime(anchor_day.year, anchor_day.month, anchor_day.day, tzinfo=UTC)
    if profile(cif) == "firm":
        messages = _firm_messages(cif, anchor)
    else:
        rng = _rng(cif)
        rng.random()  # the profile draw
        kinds = [k for k, _ in _TYPE_WEIGHTS]
        weights = [w for _, w in _TYPE_WEIGHTS]
        messages = []
        # A flooded CIF's messages fill yesterday and today (the lists only show those already past),
        # so that the last 24 hours hold about 600 of them, whatever the hour.
        end, span = (anchor + timedelta(days=1), timedelta(days=2)) if profile(cif) == "flood" else (anchor, RETENTION)
        for _ in range(_count(cif, rng)):
            created = end - timedelta(minutes=rng.randrange(1, int(span.total_seconds() // 60)))
            kind = rng.choices(kinds, weights)[0]
            upload_id = _upload_id(rng)
            other = str(rng.randrange(1_000_000, 49_999_999))
            messages.append(_message(rng, cif, created, kind, _detalii(kind, cif, other, upload_id), upload_id))
    messages.sort(key=lambda m: m.created, reverse=True)
    return tuple(messages)


def messages_between(cif: str, start: datetime, end: datetime, kind: str | None = None) -> list[dict[str, str]]:
    """The messages of `cif` created in [start, end], newest first, optionally of one filtru kind."""
    found = _messages(cif, datetime.now(UTC).date())
    return [m.fields for m in found if start <= m.created <= end and (kind is None or m.kind == kind)]
