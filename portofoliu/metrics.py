"""Prometheus metrics at `/metrics`: HTTP requests, GraphQL errors by code, ANAF calls and their
limits (anaf.metrics), discovery runs, the outbox backlog and open WebSockets.

Counters live in this process; the gauges that describe shared state (runs, outbox) are read from the
database when scraped. With `METRICS_TOKEN` set, a scrape must send `Authorization: Bearer <token>`.
"""

from __future__ import annotations

import hmac
import logging
import time

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Gauge, Histogram, generate_latest
from starlette.requests import Request
from starlette.responses import Response
from tortoise.exceptions import BaseORMException
from tortoise.functions import Count, Min

from domain.kernel.clock import now
from domain.mail.models import OutboxMessage, OutboxStatus
from domain.portfolio.models import DiscoveryRun

log = logging.getLogger(__name__)

HTTP_REQUESTS = Counter("portofoliu_http_requests_total", "HTTP requests answered, by method, route and status",
                        ["method", "route", "status"])
HTTP_SECONDS = Histogram("portofoliu_http_request_duration_seconds", "Time to answer an HTTP request, by route", ["route"],
                         buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
OPEN_SOCKETS = Gauge("portofoliu_websockets_open", "WebSockets open in this process (signed-in subscriptions)")
DISCOVERY_RUNS = Gauge("portofoliu_discovery_runs", "Discovery runs stored, by status", ["status"])
OUTBOX_BACKLOG = Gauge("portofoliu_outbox_backlog", "E-mails waiting to be sent")
OUTBOX_OLDEST = Gauge("portofoliu_outbox_oldest_pending_seconds", "Age of the oldest e-mail waiting to be sent (0 when none)")

# Routes are labelled by their fixed part, so a stranger's paths cannot grow the label set.
ROUTES = ("/graphql", "/metrics", "/healthz", "/readyz", "/anaf/", "/agent/", "/_sandbox/", "/_outbox")


def route_of(path: str) -> str:
    for route in ROUTES:
        if path == route or (route.endswith("/") and path.startswith(route)):
            return route
    return "other"


class HttpMetrics:
    """ASGI middleware counting every HTTP answer by route and status, and timing it."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_and_note(message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            route = route_of(scope["path"])
            HTTP_REQUESTS.labels(scope["method"], route, str(status)).inc()
            HTTP_SECONDS.labels(route).observe(time.perf_counter() - started)


async def refresh_gauges(services) -> None:
    OPEN_SOCKETS.set(services.sockets.count())
    try:
        runs = await DiscoveryRun.annotate(n=Count("id")).group_by("status").values_list("status", "n")
        for status in {str(s) for s, _ in runs} | {str(label[0]) for label in _labels(DISCOVERY_RUNS)}:
            DISCOVERY_RUNS.labels(status).set(0)
        for status, n in runs:
            DISCOVERY_RUNS.labels(str(status)).set(n)
        pending = await OutboxMessage.filter(status=OutboxStatus.PENDING).annotate(n=Count("id"), oldest=Min("created_at")) \
            .values_list("n", "oldest")
        count, oldest = pending[0] if pending else (0, None)
        OUTBOX_BACKLOG.set(count or 0)
        OUTBOX_OLDEST.set(max(0.0, (now() - oldest).total_seconds()) if oldest else 0.0)
    except BaseORMException as exc:
        log.warning("metrics: database gauges not refreshed: %s", exc)


def _labels(metric) -> list[tuple[str, ...]]:
    return list(metric._metrics.keys())


async def metrics(request: Request) -> Response:
    services = request.app.state.services
    token = services.settings.metrics_token
    if token:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
            return Response("metrics need the bearer token (METRICS_TOKEN)\n", status_code=401, media_type="text/plain")
    await refresh_gauges(services)
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
