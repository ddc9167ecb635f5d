"""The e-mail outbox: rendering a message from its templates and writing it as a row in the
caller's transaction, so an e-mail exists exactly when the change that caused it commits.

Delivery is the outbox job's business (`jobs/send_outbox.py`); the domain only enqueues.
Templates live in `domain/mail_templates/<locale>/<template>.txt|.html`: the text template sets
`subject` and renders the plain-text part, the HTML template (autoescaped) the HTML part.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, TemplateNotFound, UndefinedError, pass_context
from jinja2 import select_autoescape

from domain.mail_format import format_date, format_datetime, format_days, normalise_locale
from domain.models.outbox import OutboxMessage, OutboxStatus
from domain.throttle import now

TEMPLATES = (
    "invitation",
    "invitation_reminder",
    "client_accepted",
    "client_declined",
    "collaboration_request",
    "efactura_reauthorize",
    "efactura_expiry_warning",
)
MESSAGE_ID_DOMAIN = "portofoliu.mail"


class MailTemplateError(ValueError):
    """A template name that does not exist, or a context missing a variable the template needs."""


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    text: str
    html: str


@pass_context
def _date_filter(ctx, value):
    return format_date(value, ctx.get("locale"))


@pass_context
def _datetime_filter(ctx, value):
    return format_datetime(value, ctx.get("locale"))


_env = Environment(
    loader=PackageLoader("domain", "mail_templates"),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False, default=False),
    undefined=StrictUndefined,  # a missing variable is a bug of the caller: fail at enqueue, not in an inbox
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
_env.filters["date"] = _date_filter
_env.filters["datetime"] = _datetime_filter
_env.filters["days"] = pass_context(lambda ctx, value: format_days(value, ctx.get("locale")))


def render(template: str, locale: str, context: dict[str, Any]) -> RenderedMail:
    """Subject, plain text and HTML of `template` in `locale` ("ro" by default, or "en")."""
    if template not in TEMPLATES:
        raise MailTemplateError(f"unknown mail template {template!r} (known: {', '.join(TEMPLATES)})")
    locale = normalise_locale(locale)
    values = {"link": None, **context, "locale": locale}
    try:
        text_module = _env.get_template(f"{locale}/{template}.txt").make_module(values)
        subject = " ".join(str(text_module.subject).split())
        html = _env.get_template(f"{locale}/{template}.html").render({**values, "subject": subject})
    except (UndefinedError, TemplateNotFound) as exc:
        raise MailTemplateError(f"mail template {template!r} ({locale}): {exc}") from exc
    return RenderedMail(subject=subject, text=str(text_module).strip() + "\n", html=html)


def new_message_id() -> str:
    """A globally unique Message-ID, kept for every retry so receivers can drop duplicates."""
    return f"<{uuid.uuid4().hex}@{MESSAGE_ID_DOMAIN}>"


def _message(*, kind: str, to: str, locale: str, template: str, context: dict[str, Any], link: str | None = None) -> OutboxMessage:
    """An unsaved outbox row: `template` rendered in `locale` with `context` (and `link`)."""
    link = link if link is not None else context.get("link")
    mail = render(template, locale, {**context, "link": link})
    return OutboxMessage(
        kind=kind,
        to_email=to,
        subject=mail.subject[:300],
        text_body=mail.text,
        html_body=mail.html,
        message_id=new_message_id(),
        link=link,
        status=OutboxStatus.PENDING,
        next_attempt_at=now(),
    )


async def enqueue(*, kind: str, to: str, locale: str, template: str, context: dict[str, Any],
                  link: str | None = None) -> OutboxMessage:
    """Render and store one e-mail for the outbox job to send.

    Call it inside the caller's `unit_of_work()`: the row commits or rolls back with the change it
    announces. `link` is the action link (also given to the template as `link`); it is kept on the
    row so the embedded outbox page can show it.
    """
    message = _message(kind=kind, to=to, locale=locale, template=template, context=context, link=link)
    await message.save()
    return message


async def enqueue_many(messages: list[dict[str, Any]]) -> int:
    """`enqueue` for many e-mails in one INSERT; each item holds `enqueue`'s keyword arguments."""
    rows = [_message(**m) for m in messages]
    if rows:
        await OutboxMessage.bulk_create(rows, batch_size=len(rows))
    return len(rows)


async def latest(limit: int = 50) -> list[OutboxMessage]:
    """The most recent messages, newest first (for the embedded outbox page)."""
    return await OutboxMessage.all().order_by("-id").limit(limit)
