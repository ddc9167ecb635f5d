"""Sending the e-mail outbox: claim due rows, send them over one connection, record the outcome.

Claiming: a short transaction selects due rows — PENDING whose `next_attempt_at` has come, or
SENDING whose lease (`locked_until`) ran out because the process sending them died — with
`SELECT ... FOR UPDATE SKIP LOCKED` on PostgreSQL, and marks them SENDING with a fresh lease. Two
processes therefore never take the same row; on SQLite (one process by definition of the embedded
set-up) the lock is a no-op. A batch stops sending once half its lease has passed and hands the rest
back, so a lease never runs out under a process that is still sending.

Delivery guarantee: at-least-once. Each row is marked SENT right after the SMTP server accepted
it; a crash (or a lost connection) between the server's acceptance and that update sends the
message again after the lease expires. The Message-ID is fixed when the row is written and reused
on every attempt, so receiving servers and mail clients can recognise such a duplicate.

Failures:
- The server cannot be used (down, TLS or login failing, connection lost): `MailUnavailable`. The
  batch's rows go back to PENDING with exponential backoff (capped at an hour) and keep waiting as
  long as the outage lasts: an outage delays mail and loses none.
- The server refuses a message: a 5xx reply fails it at once (FAILED, with the server's words in
  `last_error`); a 4xx reply is retried with backoff until `MAX_ATTEMPTS`, then FAILED.
Without `SMTP_URL` the transport only logs, and delivered rows are marked LOGGED instead of SENT.
"""

from __future__ import annotations

import logging
import random
import time
from datetime import timedelta
from typing import Any

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from domain.kernel.clock import now
from domain.mail.models import OutboxMessage, OutboxStatus
from domain.mail.outbox import MailTemplateError, RenderedMail, rendered_many
from jobs.scheduler import periodic
from portofoliu.mail import MailRejected, MailUnavailable, OutgoingMail

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
LEASE = timedelta(minutes=5)
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=1)
BATCH = 100


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, ... up to an hour, with ±20% jitter so retries of a burst spread out."""
    delay = min(BACKOFF_CAP, BACKOFF_BASE * (2 ** max(0, attempts - 1)))
    return delay * random.uniform(0.8, 1.2)


async def claim(batch: int) -> list[OutboxMessage]:
    """Take up to `batch` due rows for this process (SENDING, leased until now + LEASE)."""
    at = now()
    due = (Q(status=OutboxStatus.PENDING) & (Q(next_attempt_at__lte=at) | Q(next_attempt_at__isnull=True))) | Q(
        status=OutboxStatus.SENDING, locked_until__lt=at)
    async with in_transaction():
        rows = await OutboxMessage.filter(due).order_by("id").limit(batch).select_for_update(skip_locked=True)
        if rows:
            await OutboxMessage.filter(id__in=[r.id for r in rows]).update(status=OutboxStatus.SENDING, locked_until=at + LEASE)
    return rows


def outgoing(row: OutboxMessage, mail: RenderedMail) -> OutgoingMail:
    return OutgoingMail(to=row.to_email, subject=mail.subject, text=mail.text, html=mail.html or None,
                        message_id=row.message_id, link=row.link)


async def _delivered(row: OutboxMessage, *, logged: bool) -> None:
    await OutboxMessage.filter(id=row.id).update(
        status=OutboxStatus.LOGGED if logged else OutboxStatus.SENT, sent_at=now(), attempts=row.attempts + 1,
        locked_until=None, next_attempt_at=None, last_error=None)


async def _refused(row: OutboxMessage, exc: MailRejected) -> None:
    attempts = row.attempts + 1
    if exc.permanent or attempts >= MAX_ATTEMPTS:
        await _failed(row, attempts, str(exc))
    else:
        await _retry_later(row, attempts, str(exc))


async def _failed(row: OutboxMessage, attempts: int, error: str) -> None:
    log.warning("e-mail %s to %s failed for good after %d attempts: %s", row.id, row.to_email, attempts, error)
    await OutboxMessage.filter(id=row.id).update(status=OutboxStatus.FAILED, attempts=attempts, locked_until=None,
                                                 next_attempt_at=None, last_error=error[:2000])


async def _retry_later(row: OutboxMessage, attempts: int, error: str) -> None:
    await OutboxMessage.filter(id=row.id).update(status=OutboxStatus.PENDING, attempts=attempts, locked_until=None,
                                                 next_attempt_at=now() + backoff(attempts), last_error=error[:2000])


async def _hand_back(rows: list[OutboxMessage]) -> None:
    """Release rows this batch had no time left for; not an attempt, due again at once."""
    await OutboxMessage.filter(id__in=[r.id for r in rows]).update(status=OutboxStatus.PENDING, locked_until=None)


async def send_pending(services: Any, *, batch: int = BATCH) -> int:
    """Claim and send one batch of due messages; returns how many were delivered (sent or logged)."""
    rows = await claim(batch)
    if not rows:
        return 0
    mailer = services.mailer
    stop_at = time.monotonic() + LEASE.total_seconds() / 2
    delivered = 0
    mails = {}
    for row, mail in zip(rows, rendered_many(rows)):
        if isinstance(mail, MailTemplateError):  # cannot get better by waiting
            await _failed(row, row.attempts + 1, f"cannot render the e-mail: {mail}")
        else:
            mails[row.id] = mail
    remaining = [row for row in rows if row.id in mails]
    try:
        async with mailer.connection() as conn:
            while remaining and time.monotonic() < stop_at:
                row = remaining[0]
                try:
                    await conn.send(outgoing(row, mails[row.id]))
                except MailRejected as exc:
                    await _refused(row, exc)
                else:
                    await _delivered(row, logged=mailer.logs_only)
                    delivered += 1
                remaining.pop(0)
    except MailUnavailable as exc:
        log.warning("SMTP unavailable, %d e-mail(s) wait for the next attempt: %s", len(remaining), exc)
        for row in remaining:
            await _retry_later(row, row.attempts + 1, str(exc))
        remaining = []
    if remaining:
        await _hand_back(remaining)
    return delivered


@periodic("send-outbox", seconds=3)
async def run(services: Any) -> None:
    """Drain the outbox a batch at a time (bounded per tick so one tick never runs for long)."""
    for _ in range(20):
        if await send_pending(services) < BATCH:
            return
