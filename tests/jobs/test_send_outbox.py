"""The outbox job against a real SMTP server on loopback: delivery, connection reuse, AUTH and TLS,
outages and refusals, crash recovery, concurrent senders (PostgreSQL), and the log-only default."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from types import SimpleNamespace

import httpx
import pytest

from domain.kernel.clock import now
from domain.kernel.events import unit_of_work
from domain.mail.models import OutboxMessage, OutboxStatus
from domain.mail.outbox import enqueue
from jobs.send_outbox import MAX_ATTEMPTS, send_pending
from portofoliu.app import outbox_page_mounted
from portofoliu.mail import LogMailer, SmtpConfig, SmtpMailer
from portofoliu.settings import Settings
from tests.support.smtp import free_port, html_of, links_in, text_of
from tests.support.tls import make_loopback_tls

SENDER = "Portofoliu <no-reply@portofoliu.test>"


def context(n: int = 1) -> dict:
    return {"firm_name": "Contabilitate Științifică SRL", "company_name": f"Țesătoria {n} SRL", "cui": "14399840",
            "representative_name": "Ștefan Ionescu", "message": None, "expires_at": now() + timedelta(days=15)}


async def enqueue_invitations(count: int, *, locale: str = "ro") -> list[OutboxMessage]:
    async with unit_of_work():
        return [await enqueue(kind="invitation", to=f"client{n}@example.ro", locale=locale, template="invitation",
                              context=context(n), link=f"http://app.test/invite/tok-{n}") for n in range(count)]


def sender_for(url: str, **kwargs) -> SimpleNamespace:
    """What `send_pending` needs of the process's Services: its mailer."""
    return SimpleNamespace(mailer=SmtpMailer(SmtpConfig.from_url(url), sender=SENDER, **kwargs))


async def statuses() -> list[str]:
    return [r.status for r in await OutboxMessage.all().order_by("id")]


async def make_due() -> None:
    """Time passes: every waiting row is due now."""
    await OutboxMessage.filter(status=OutboxStatus.PENDING).update(next_attempt_at=now() - timedelta(seconds=1))


async def test_a_batch_is_delivered_over_one_connection_and_marked_sent(db, smtp_server):
    rows = await enqueue_invitations(5)
    assert await send_pending(sender_for(smtp_server.url)) == 5
    received = await smtp_server.wait_for(5)
    assert smtp_server.sessions == 1
    assert await statuses() == [OutboxStatus.SENT] * 5
    assert [m["Message-ID"] for m in received] == [r.message_id for r in rows]
    first = received[0]
    assert first["To"] == "client0@example.ro" and first["From"] == SENDER
    assert first["Subject"] == "Contabilitate Științifică SRL vă invită să colaborați în Portofoliu"
    assert "Țesătoria 0 SRL" in text_of(first) and "Țesătoria 0 SRL" in html_of(first)
    assert links_in(first) == ["http://app.test/invite/tok-0", "http://app.test/invite/tok-0#decline"]  # accept, decline
    sent = await OutboxMessage.get(id=rows[0].id)
    assert sent.attempts == 1 and sent.sent_at is not None and sent.locked_until is None
    assert await send_pending(sender_for(smtp_server.url)) == 0  # nothing is sent twice


async def test_login_with_the_credentials_of_the_url(db, start_smtp_server):
    server = start_smtp_server(auth=("portofoliu", "p@ss word"))
    await enqueue_invitations(1)
    assert await send_pending(sender_for(server.url.replace("p@ss word", "p%40ss%20word"))) == 1
    await server.wait_for(1)

    await enqueue_invitations(1)
    wrong = f"smtp://portofoliu:wrong@127.0.0.1:{server.port}"
    assert await send_pending(sender_for(wrong)) == 0
    refused = await OutboxMessage.filter(status=OutboxStatus.PENDING).get()
    assert "535" in refused.last_error or "uthentication" in refused.last_error
    assert len(server.messages) == 1


async def test_starttls_is_used_when_the_server_requires_it(db, start_smtp_server, tmp_path):
    tls = make_loopback_tls(tmp_path)
    server = start_smtp_server(tls=tls, auth=("portofoliu", "secret"))
    await enqueue_invitations(2)
    assert await send_pending(sender_for(server.url, tls_context=tls.client_context())) == 2
    await server.wait_for(2)
    assert server.sessions == 1


async def test_starttls_with_an_untrusted_certificate_sends_nothing(db, start_smtp_server, tmp_path):
    server = start_smtp_server(tls=make_loopback_tls(tmp_path))
    await enqueue_invitations(1)
    assert await send_pending(sender_for(server.url)) == 0  # the system CAs do not trust the test CA
    assert await statuses() == [OutboxStatus.PENDING] and server.messages == []


async def test_implicit_tls_with_smtps(db, start_smtp_server, tmp_path):
    tls = make_loopback_tls(tmp_path)
    server = start_smtp_server(tls=tls, implicit_tls=True)
    assert server.url.startswith("smtps://")
    await enqueue_invitations(1)
    assert await send_pending(sender_for(server.url, tls_context=tls.client_context())) == 1
    await server.wait_for(1)


async def test_smtp_down_delays_mail_with_backoff_and_loses_none(db, start_smtp_server):
    port = free_port()
    await enqueue_invitations(3)
    sender = sender_for(f"smtp://127.0.0.1:{port}")

    started = now()
    assert await send_pending(sender) == 0
    rows = await OutboxMessage.all().order_by("id")
    assert [r.status for r in rows] == [OutboxStatus.PENDING] * 3
    assert all(r.attempts == 1 and "cannot use SMTP server" in r.last_error for r in rows)
    assert all(started + timedelta(seconds=20) < r.next_attempt_at < started + timedelta(seconds=40) for r in rows)
    assert await send_pending(sender) == 0  # not due yet: nothing is tried

    await make_due()
    assert await send_pending(sender) == 0  # still down: the wait doubles
    again = await OutboxMessage.all().order_by("id")
    assert all(r.attempts == 2 and r.next_attempt_at > now() + timedelta(seconds=45) for r in again)

    server = start_smtp_server(port=port)  # the server comes back
    await make_due()
    assert await send_pending(sender) == 3
    assert len(await server.wait_for(3)) == 3
    assert await statuses() == [OutboxStatus.SENT] * 3


async def test_an_outage_never_fails_a_message(db, start_smtp_server):
    await enqueue_invitations(1)
    await OutboxMessage.all().update(attempts=MAX_ATTEMPTS + 3)
    assert await send_pending(sender_for(f"smtp://127.0.0.1:{free_port()}")) == 0
    assert await statuses() == [OutboxStatus.PENDING]


async def test_temporary_refusals_are_retried_a_bounded_number_of_times(db, smtp_server):
    smtp_server.reject_with = "451 4.3.0 Try again later"
    rows = await enqueue_invitations(2)
    await OutboxMessage.filter(id=rows[1].id).update(attempts=MAX_ATTEMPTS - 1)
    assert await send_pending(sender_for(smtp_server.url)) == 0
    fresh, last = await OutboxMessage.all().order_by("id")
    assert fresh.status == OutboxStatus.PENDING and fresh.attempts == 1 and "451" in fresh.last_error
    assert last.status == OutboxStatus.FAILED and last.attempts == MAX_ATTEMPTS and "451" in last.last_error
    assert smtp_server.sessions == 1  # a refusal does not cost the batch its connection

    smtp_server.reject_with = None
    await make_due()
    assert await send_pending(sender_for(smtp_server.url)) == 1
    assert await statuses() == [OutboxStatus.SENT, OutboxStatus.FAILED]


async def test_a_permanent_refusal_fails_at_once(db, smtp_server):
    smtp_server.reject_with = "550 5.1.1 No such mailbox"
    await enqueue_invitations(1)
    assert await send_pending(sender_for(smtp_server.url)) == 0
    row = await OutboxMessage.get()
    assert row.status == OutboxStatus.FAILED and row.attempts == 1 and "550" in row.last_error


async def test_an_unusable_address_fails_alone(db, smtp_server):
    rows = await enqueue_invitations(4)
    await OutboxMessage.filter(id=rows[1].id).update(to_email="a b@example.ro")
    await OutboxMessage.filter(id=rows[2].id).update(to_email="a@example.ro\r\nBcc: c@example.ro")
    assert await send_pending(sender_for(smtp_server.url)) == 2
    assert await statuses() == [OutboxStatus.SENT, OutboxStatus.FAILED, OutboxStatus.FAILED, OutboxStatus.SENT]
    assert "553" in (await OutboxMessage.get(id=rows[1].id)).last_error
    assert [r for rs in smtp_server.recipients for r in rs] == ["client0@example.ro", "client3@example.ro"]


async def test_a_sending_row_whose_lease_expired_is_sent_again(db, smtp_server):
    crashed, leased = await enqueue_invitations(2)
    # One process died while sending `crashed`; another still holds a live lease on `leased`.
    await OutboxMessage.filter(id=crashed.id).update(status=OutboxStatus.SENDING, locked_until=now() - timedelta(seconds=1))
    await OutboxMessage.filter(id=leased.id).update(status=OutboxStatus.SENDING, locked_until=now() + timedelta(minutes=4))
    assert await send_pending(sender_for(smtp_server.url)) == 1
    (message,) = await smtp_server.wait_for(1)
    assert message["Message-ID"] == crashed.message_id  # the same Message-ID as the lost attempt
    assert await statuses() == [OutboxStatus.SENT, OutboxStatus.SENDING]


@pytest.mark.postgres
async def test_two_concurrent_senders_deliver_each_message_exactly_once(db, smtp_server):
    rows = await enqueue_invitations(60)
    smtp_server.delay = 0.005  # each batch takes a while, so the two claims overlap

    async def process(sender) -> int:
        total = 0
        while (sent := await send_pending(sender, batch=5)):
            total += sent
        return total

    # Two processes: separate mailers, and each transaction takes its own pooled connection.
    first, second = await asyncio.gather(process(sender_for(smtp_server.url)), process(sender_for(smtp_server.url)))
    received = await smtp_server.wait_for(60)
    assert first + second == 60 and first > 0 and second > 0
    assert sorted(m["Message-ID"] for m in received) == sorted(r.message_id for r in rows)
    assert len(received) == 60
    assert await statuses() == [OutboxStatus.SENT] * 60


async def test_without_smtp_url_mail_is_logged_and_shown_on_the_outbox_page(db, service, caplog):
    assert isinstance(service.services.mailer, LogMailer)
    await enqueue_invitations(1)
    with caplog.at_level(logging.INFO, logger="portofoliu.mail"):
        assert await send_pending(service.services) == 1
    assert "client0@example.ro" in caplog.text and "vă invită să colaborați" in caplog.text
    assert "http://app.test/invite/tok-0" in caplog.text
    assert await statuses() == [OutboxStatus.LOGGED]

    async with httpx.AsyncClient() as http:
        page = await http.get(f"{service.url}/_outbox")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    assert '<a class="action" href="http://app.test/invite/tok-0">' in page.text
    assert "client0@example.ro" in page.text and "LOGGED" in page.text
    assert "Contabilitate Științifică SRL vă invită să colaborați în Portofoliu" in page.text
    assert "Bună ziua, Ștefan Ionescu" in page.text  # the text body
    assert "demo tool" in page.text


def test_the_outbox_page_is_only_mounted_without_real_mail():
    assert outbox_page_mounted(Settings())
    production = Settings(database_url="postgres://db.example/portofoliu", smtp_url="smtp://mail.example:587", anaf_mode="production")
    assert not outbox_page_mounted(production)
    assert outbox_page_mounted(Settings(database_url="postgres://db.example/portofoliu"))  # sandbox, no SMTP


async def test_a_process_with_jobs_enabled_runs_them_by_itself(start_service, db):
    """The app shell starts the scheduler it finds through the `portofoliu.background` entry points."""
    service = await start_service(jobs_enabled=True)
    async with unit_of_work():
        message = await enqueue(kind="invitation", to="client@example.ro", locale="ro", template="invitation",
                                context=context(), link="http://app.test/invite/x")
    for _ in range(100):
        await message.refresh_from_db()
        if message.status is OutboxStatus.LOGGED:
            break
        await asyncio.sleep(0.1)
    assert message.status is OutboxStatus.LOGGED
    await service.stop()
