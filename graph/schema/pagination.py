"""Relay-style pagination pieces shared by every connection: `PageInfo` and opaque id cursors."""

from __future__ import annotations

import base64

import strawberry

from graph.schema.inputs import parse_id

MAX_PAGE = 200


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


def encode_cursor(kind: str, row_id: int) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{row_id}".encode()).decode().rstrip("=")


def decode_cursor(kind: str, cursor: str | None) -> int | None:
    """The row id inside a cursor of this kind; None for no cursor. A foreign or broken cursor
    restarts from the top rather than failing the page."""
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, _, value = raw.partition(":")
        return parse_id(value) if prefix == kind else None
    except (ValueError, UnicodeDecodeError):
        return None


def page_size(first: int | None, default: int = 50) -> int:
    return max(1, min(first or default, MAX_PAGE))
