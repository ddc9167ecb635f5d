"""`GET /_outbox`: the e-mail the embedded set-up kept instead of sending, as a page a person can
click through (invitation links included). A demo tool, mounted only without real SMTP or in the
embedded set-up; it shows what the e-mails themselves carry and nothing more."""

from __future__ import annotations

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from domain.mail import outbox
from domain.mail.format import format_datetime

_env = Environment(loader=PackageLoader("portofoliu.routes", "templates"), autoescape=select_autoescape(["html"]))
_env.filters["datetime"] = lambda value: format_datetime(value, "en") if value else ""

MAX_LIMIT = 200


async def outbox_page(request: Request) -> HTMLResponse:
    try:
        limit = max(1, min(MAX_LIMIT, int(request.query_params.get("limit", "50"))))
    except ValueError:
        limit = 50
    rows = await outbox.latest(limit)
    messages = list(zip(rows, outbox.rendered_many(rows)))
    html = _env.get_template("outbox_page.html").render(messages=messages, limit=limit)
    # The page holds live invitation links: never cache it, never index it.
    return HTMLResponse(html, headers={"Cache-Control": "no-store", "X-Robots-Tag": "noindex"})
