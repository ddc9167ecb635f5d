"""Minimal outbox writer: one message row per e-mail, in the caller's transaction (rendering comes later)."""

from __future__ import annotations

import json
import uuid
from typing import Any

from domain.models.outbox import OutboxMessage


async def enqueue(*, kind: str, to: str, locale: str, template: str, context: dict[str, Any],
                  link: str | None = None) -> OutboxMessage:
    body = json.dumps({"template": template, "locale": locale, **context}, default=str, ensure_ascii=False)
    return await OutboxMessage.create(kind=kind, to_email=to, subject=template, text_body=body, link=link,
                                      message_id=f"<{uuid.uuid4().hex}@portofoliu.mail>")
