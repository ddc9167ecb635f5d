"""Rendering outbox e-mail in Romanian and English, and writing it in the caller's transaction."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from domain.kernel.events import unit_of_work
from domain.mail.format import format_date, format_datetime, format_days, normalise_locale
from domain.mail.models import OutboxMessage, OutboxStatus
from domain.mail.outbox import TEMPLATES, MailTemplateError, enqueue, enqueue_many, freeze, render, rendered, rendered_many, thaw

EXPIRES = datetime(2026, 12, 12, 10, 0, tzinfo=timezone.utc)
LINK = "http://app.test/invite/tok-123"
SAMPLE = {
    "firm_name": "Contabilitate Științifică SRL",
    "company_name": "Brânzeturi Țărănești SRL",
    "cui": "14399840",
    "representative_name": "Ștefan Ionescu",
    "message": "Vă aștept în Portofoliu!",
    "link": LINK,
    "expires_at": EXPIRES,
    "days_left": 3,
    "client_name": "Ana Pătrașcu",
    "user_name": "Ioana Popescu",
    "reason": "Autorizarea a fost revocată la ANAF.",
}


def test_invitation_in_romanian_has_diacritics_link_and_date_in_both_parts():
    mail = render("invitation", "ro", SAMPLE)
    assert mail.subject == "Contabilitate Științifică SRL vă invită să colaborați în Portofoliu"
    for part in (mail.text, mail.html):
        assert "Bună ziua, Ștefan Ionescu" in part
        assert "Brânzeturi Țărănești SRL" in part and "CUI 14399840" in part
        assert LINK in part
        assert "12 decembrie 2026" in part
        assert "Vă aștept în Portofoliu!" in part
    assert '<html lang="ro">' in mail.html and f'href="{LINK}"' in mail.html
    assert "<p>" not in mail.text and "<strong>" not in mail.text  # the text part is text, not markup


def test_invitation_in_english():
    mail = render("invitation", "en-GB", SAMPLE)
    assert mail.subject == "Contabilitate Științifică SRL invites you to work together on Portofoliu"
    for part in (mail.text, mail.html):
        assert "12 December 2026" in part and LINK in part and "Ștefan Ionescu" in part
    assert '<html lang="en">' in mail.html
    assert "Bună ziua" not in mail.text


def test_personal_message_is_escaped_in_html_and_verbatim_in_text():
    note = 'Salut! <script>alert("x")</script> & mulțumesc'
    mail = render("invitation", "ro", {**SAMPLE, "message": note})
    assert "<script>" not in mail.html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; mulțumesc" in mail.html
    assert note in mail.text


def test_the_personal_message_is_optional():
    context = {k: v for k, v in SAMPLE.items() if k != "message"}
    mail = render("invitation", "ro", context)
    assert "Mesaj de la" not in mail.text and "Mesaj de la" not in mail.html


@pytest.mark.parametrize("locale", ["ro", "en"])
@pytest.mark.parametrize("template", TEMPLATES)
def test_every_template_renders_subject_text_and_html(template, locale):
    mail = render(template, locale, SAMPLE)
    assert mail.subject and "\n" not in mail.subject
    assert "Brânzeturi Țărănești SRL" in mail.subject + mail.text
    assert mail.text.strip() and f'<html lang="{locale}">' in mail.html
    assert ("Bună ziua" in mail.text) == (locale == "ro")


def test_reminder_counts_days_in_each_language():
    assert "expiră în 1 zi" in render("invitation_reminder", "ro", {**SAMPLE, "days_left": 1}).subject
    assert "expires in 3 days" in render("invitation_reminder", "en", SAMPLE).subject


def test_a_missing_variable_or_unknown_template_is_a_clear_error():
    with pytest.raises(MailTemplateError, match="firm_name"):
        render("invitation", "ro", {k: v for k, v in SAMPLE.items() if k != "firm_name"})
    with pytest.raises(MailTemplateError, match="unknown mail template"):
        render("no_such_mail", "ro", SAMPLE)


def test_dates_in_each_language_are_in_romanian_time():
    assert format_date(date(2026, 12, 12), "ro") == "12 decembrie 2026"
    assert format_date(date(2026, 12, 12), "en") == "12 December 2026"
    late = datetime(2026, 2, 28, 23, 30, tzinfo=timezone.utc)  # already 1 March in Bucharest
    assert format_date(late, "ro") == "1 martie 2026"
    assert format_datetime(late, "ro") == "1 martie 2026, ora 01:30"
    assert format_datetime(late, "en") == "1 March 2026 at 01:30"
    assert normalise_locale("fr") == "ro" and normalise_locale("EN_us") == "en"


def test_days_agree_in_romanian():
    assert [format_days(n, "ro") for n in (1, 2, 19, 20, 101, 120)] == [
        "1 zi", "2 zile", "19 zile", "20 de zile", "101 zile", "120 de zile"]
    assert [format_days(n, "en") for n in (1, 2)] == ["1 day", "2 days"]


async def test_enqueue_writes_a_pending_row_with_a_unique_message_id(db):
    async with unit_of_work():
        first = await enqueue(kind="invitation", to="client@example.ro", locale="ro", template="invitation", context=SAMPLE, link=LINK)
        second = await enqueue(kind="invitation", to="client@example.ro", locale="en", template="invitation", context=SAMPLE, link=LINK)
    rows = await OutboxMessage.all().order_by("id")
    assert [r.id for r in rows] == [first.id, second.id]
    assert rows[0].status == OutboxStatus.PENDING and rows[0].next_attempt_at is not None
    mail = rendered(rows[0])  # rendered from the stored template, language and context
    assert rows[0].link == LINK and "Țărănești" in mail.text and mail.html.startswith("<!DOCTYPE html>")
    assert mail == render("invitation", "ro", {**SAMPLE, "link": LINK})
    assert rendered(rows[1]).subject == "Contabilitate Științifică SRL invites you to work together on Portofoliu"
    assert rows[0].message_id != rows[1].message_id
    assert rows[0].message_id.startswith("<") and rows[0].message_id.endswith(">")


async def test_enqueue_in_a_rolled_back_transaction_writes_nothing(db):
    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        async with unit_of_work():
            await enqueue(kind="invitation", to="client@example.ro", locale="ro", template="invitation", context=SAMPLE, link=LINK)
            assert await OutboxMessage.all().count() == 1  # visible inside the transaction
            raise Boom
    assert await OutboxMessage.all().count() == 0


async def test_a_template_error_fails_the_caller_at_enqueue_not_in_an_inbox(db):
    with pytest.raises(MailTemplateError):
        async with unit_of_work():
            await enqueue(kind="invitation", to="client@example.ro", locale="ro", template="invitation",
                          context={k: v for k, v in SAMPLE.items() if k != "company_name"}, link=LINK)
    assert await OutboxMessage.all().count() == 0


async def test_rows_of_a_batch_render_as_each_would_alone_and_older_rendered_rows_as_stored(db):
    contexts = [{**SAMPLE, "company_name": f"Firma <{n}> & Fiii SRL", "representative_name": f"Ana {n}"} for n in range(5)]
    async with unit_of_work():
        await enqueue_many([dict(kind="invitation", to=f"c{n}@example.ro", locale="ro", template="invitation", context=c, link=LINK)
                            for n, c in enumerate(contexts)])
        await OutboxMessage.create(kind="legacy", to_email="old@example.ro", subject="Old", text_body="Stored text", html_body=None,
                                   message_id="<legacy@portofoliu.mail>")
    rows = await OutboxMessage.all().order_by("id")
    mails = rendered_many(rows)
    assert mails[:5] == [render("invitation", "ro", {**c, "link": LINK}) for c in contexts]
    assert (mails[5].subject, mails[5].text) == ("Old", "Stored text")
    assert freeze(SAMPLE) != SAMPLE and thaw(freeze(SAMPLE)) == SAMPLE  # dates survive the JSON column
