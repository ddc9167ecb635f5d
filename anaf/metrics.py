"""Prometheus counters for ANAF: every call by API and HTTP status, and every limit hit (429
answers, ANAF's daily-quota text, and the calls this application refused itself to stay in budget)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

import httpx
from prometheus_client import Counter

ANAF_CALLS = Counter("portofoliu_anaf_calls_total", "HTTP calls to ANAF (or the sandbox standing in for it), by API and status",
                     ["api", "status"])
ANAF_LIMIT_HITS = Counter("portofoliu_anaf_limit_hits_total",
                          "ANAF limits met: rate_limited (HTTP 429), anaf_quota (ANAF's daily-quota answer), "
                          "own_quota (a call not made: this CUI's daily budget is spent)", ["api", "limit"])


def limit_hit(api: str, limit: str) -> None:
    ANAF_LIMIT_HITS.labels(api, limit).inc()


def response_hook(bases: Mapping[str, str]) -> Callable[[httpx.Response], Awaitable[None]]:
    """An httpx response hook counting answers whose URL starts with one of `bases` ({api: base URL})."""
    prefixes = sorted(((base.rstrip("/"), api) for api, base in bases.items() if base), key=lambda p: -len(p[0]))

    async def observe(response: httpx.Response) -> None:
        url = str(response.request.url)
        for base, api in prefixes:
            if url.startswith(base):
                ANAF_CALLS.labels(api, str(response.status_code)).inc()
                if response.status_code == 429:
                    limit_hit(api, "rate_limited")
                return

    return observe
