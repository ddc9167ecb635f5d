"""The e-mail outbox: writing a message as a row in the caller's transaction, so an e-mail exists
exactly when the change that caused it commits, and rendering it from its templates.

A row keeps its template, language and context; the outbox job renders it when it sends it
(`rendered_many`, a batch at a time), so a request that queues 1,000 invitations writes 1,000 small
rows instead of rendering and storing 1,000 bodies. `enqueue` still renders one e-mail of each
template it is given, so a missing variable fails the caller at once, not in an inbox.
Delivery is the outbox job's business (`jobs/send_outbox.py`); the domain only enqueues.
Templates live in `domain/mail/templates/<locale>/<template>.txt|.html`: the text template sets
`subject` and renders the plain-text part, the HTML template (autoescaped) the HTML part.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Hashable

from jinja2 import Environment, PackageLoader, StrictUndefined, TemplateNotFound, UndefinedError, pass_context, select_autoescape
from markupsafe import escape

from domain.kernel.bulk import insert_rows
from domain.kernel.clock import now
from domain.mail.format import format_date, format_datetime, format_days, normalise_locale
from domain.mail.models import OutboxMessage, OutboxStatus

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
    loader=PackageLoader("domain.mail", "templates"),
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


# Placeholders for the values that differ between the e-mails of a batch: private-use characters
# that no template text, HTML escaping or real value contains (values that do are rendered alone).
_OPEN, _CLOSE = "\ue000", "\ue001"
_PLACEHOLDER = re.compile(f"{_OPEN}(\\d+){_CLOSE}")


def _shape(value: Any) -> Hashable:
    """What a template may branch on besides printing: a string's truthiness, any other value itself."""
    return ("str", bool(value)) if isinstance(value, str) else value


def render_many(template: str, locale: str, contexts: list[dict[str, Any]]) -> list[RenderedMail]:
    """`render` for many contexts, rendering the templates once per group of contexts that differ
    only in the text of string values, then putting each context's values in (HTML-escaped in the
    HTML part, exactly as autoescape would). Strings that differ are grouped by truthiness (what
    `{% if value %}` sees); anything else that differs (dates...) splits the groups. A group falls
    back to rendering each context when a placeholder does not come out whole, lands in the subject
    (which is whitespace-normalised) or does not give its first context's own rendering."""
    if len(contexts) < 2:
        return [render(template, locale, c) for c in contexts]
    keys = set().union(*contexts)
    varying = sorted(k for k in keys if any(k not in c or c[k] != contexts[0][k] for c in contexts[1:]))
    strings = [k for k in varying if all(isinstance(c.get(k), str) for c in contexts)]
    out: list[RenderedMail | None] = [None] * len(contexts)
    groups: dict[Hashable, list[int]] = {}
    for i, context in enumerate(contexts):
        try:
            shape = tuple(_shape(context.get(k)) for k in varying)
            hash(shape)
        except TypeError:
            shape = ("alone", i)
        if any(_OPEN in context[k] or _CLOSE in context[k] for k in strings):
            shape = ("alone", i)
        groups.setdefault(shape, []).append(i)
    for members in groups.values():
        first = contexts[members[0]]
        mails = _render_group(template, locale, first, strings, [contexts[i] for i in members]) if len(members) > 1 else None
        for n, i in enumerate(members):
            out[i] = mails[n] if mails is not None else render(template, locale, contexts[i])
    return out  # type: ignore[return-value]


def _render_group(template: str, locale: str, first: dict[str, Any], strings: list[str],
                  contexts: list[dict[str, Any]]) -> list[RenderedMail] | None:
    slots = {k: f"{_OPEN}{n}{_CLOSE}" for n, k in enumerate(strings) if first.get(k)}  # empty strings print nothing
    marked = render(template, locale, {**first, **slots})
    index = {str(n): k for n, k in enumerate(strings)}
    whole = lambda text: text.count(_OPEN) == text.count(_CLOSE) == len(_PLACEHOLDER.findall(text))  # noqa: E731
    if _OPEN in marked.subject or not (whole(marked.text) and whole(marked.html)):
        return None

    def fill(mail: RenderedMail, context: dict[str, Any]) -> RenderedMail:
        value = lambda m: context[index[m.group(1)]]  # noqa: E731
        return RenderedMail(subject=mail.subject, text=_PLACEHOLDER.sub(lambda m: str(value(m)), mail.text),
                            html=_PLACEHOLDER.sub(lambda m: str(escape(value(m))), mail.html))

    if fill(marked, first) != render(template, locale, first):
        return None
    return [fill(marked, c) for c in contexts]


def new_message_id() -> str:
    """A globally unique Message-ID, kept for every retry so receivers can drop duplicates."""
    return f"<{uuid.uuid4().hex}@{MESSAGE_ID_DOMAIN}>"


def _row(*, kind: str, to: str, link: str | None, template: str, locale: str, context: dict[str, Any]) -> dict[str, Any]:
    """The fields of a new outbox row; the e-mail is rendered when it is sent."""
    return dict(kind=kind, to_email=to, template=template, locale=normalise_locale(locale), context=freeze(context),
                message_id=new_message_id(), link=link, status=OutboxStatus.PENDING, next_attempt_at=now())


def _link(context: dict[str, Any], link: str | None) -> str | None:
    return link if link is not None else context.get("link")


# Context values JSON has no type for, tagged so `thaw` gives the templates what they were given.
_TAGS = {"__datetime__": datetime, "__date__": date}


def freeze(value: Any) -> Any:
    """A template context as JSON-ready values (datetimes and dates tagged)."""
    if isinstance(value, datetime):
        return {"__datetime__": value.isoformat()}
    if isinstance(value, date):
        return {"__date__": value.isoformat()}
    if isinstance(value, dict):
        return {k: freeze(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [freeze(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise MailTemplateError(f"an e-mail context holds a {type(value).__name__}, which cannot wait in the outbox")


def thaw(value: Any) -> Any:
    if isinstance(value, dict):
        if len(value) == 1 and (tag := next(iter(value))) in _TAGS:
            return _TAGS[tag].fromisoformat(value[tag])
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, list):
        return [thaw(v) for v in value]
    return value


async def enqueue(*, kind: str, to: str, locale: str, template: str, context: dict[str, Any],
                  link: str | None = None) -> OutboxMessage:
    """Store one e-mail for the outbox job to render and send.

    Call it inside the caller's `unit_of_work()`: the row commits or rolls back with the change it
    announces. `link` is the action link (also given to the template as `link`); it is kept on the
    row so the embedded outbox page can show it.
    """
    link = _link(context, link)
    context = {**context, "link": link}
    render(template, locale, context)  # a template or context error fails here, not at sending time
    message = OutboxMessage(**_row(kind=kind, to=to, link=link, template=template, locale=locale, context=context))
    await message.save()
    return message


async def enqueue_many(messages: list[dict[str, Any]]) -> int:
    """`enqueue` for many e-mails in one INSERT; each item holds `enqueue`'s keyword arguments.
    One e-mail per template and language is rendered now, as a check."""
    checked: set[tuple[str, str]] = set()
    rows = []
    for m in messages:
        link = _link(m["context"], m.get("link"))
        context = {**m["context"], "link": link}
        if (m["template"], m["locale"]) not in checked:
            render(m["template"], m["locale"], context)
            checked.add((m["template"], m["locale"]))
        rows.append(_row(kind=m["kind"], to=m["to"], link=link, template=m["template"], locale=m["locale"], context=context))
    await insert_rows(OutboxMessage, rows)
    return len(rows)


def rendered_many(rows: list[OutboxMessage]) -> list[RenderedMail | MailTemplateError]:
    """Each row's e-mail (rows of the same template and language rendered together), or the error
    that keeps it from being rendered. Rows stored already rendered come back as stored."""
    out: list[RenderedMail | MailTemplateError | None] = [None] * len(rows)
    groups: dict[tuple[str, str], list[int]] = {}
    for i, row in enumerate(rows):
        if row.template is None:
            out[i] = RenderedMail(subject=row.subject or "", text=row.text_body or "", html=row.html_body or "")
        else:
            groups.setdefault((row.template, row.locale or "ro"), []).append(i)
    for (template, locale), members in groups.items():
        try:
            mails: list = render_many(template, locale, [thaw(rows[i].context or {}) for i in members])
        except MailTemplateError:  # render one by one, so only the broken rows fail
            mails = []
            for i in members:
                try:
                    mails.append(render(template, locale, thaw(rows[i].context or {})))
                except MailTemplateError as exc:
                    mails.append(exc)
        for i, mail in zip(members, mails):
            out[i] = mail
    return out  # type: ignore[return-value]


def rendered(row: OutboxMessage) -> RenderedMail:
    """One row's e-mail (raises MailTemplateError when it cannot be rendered)."""
    [mail] = rendered_many([row])
    if isinstance(mail, MailTemplateError):
        raise mail
    return mail


async def latest(limit: int = 50) -> list[OutboxMessage]:
    """The most recent messages, newest first (for the embedded outbox page)."""
    return await OutboxMessage.all().order_by("-id").limit(limit)
