"""Prometheus metrics at /metrics: what an operator graphs and alerts on."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families

from anaf.efactura import EfacturaClient, RightsAnswer
from anaf.limits import LocalCallLimiter, MemoryDailyQuota
from anaf.sandbox.state import SandboxConfig
from domain.mail.models import OutboxMessage, OutboxStatus
from domain.portfolio.models import DiscoveryRun, DiscoveryStatus
from tests.support.factories import api_company, api_user, holder
from tests.support.ws import WsClient

REGISTRY_LOOKUP = "query($cui: String!) { registryLookup(cui: $cui) { name } }"


async def scrape(service, token: str | None = None) -> dict[tuple[str, tuple], float]:
    async with httpx.AsyncClient() as http:
        answer = await http.get(f"{service.url}/metrics", headers={"Authorization": f"Bearer {token}"} if token else {})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain")
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(answer.text) for sample in family.samples}


def value(samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_requests_errors_sockets_runs_and_outbox(service, db):
    token, _ = await api_user(service)
    firm = await api_company(service, token, holder("small").firm_cui, accounting=True)
    before = await scrape(service)
    client = service.client(token)
    await client.raw('{ company(id: "²") { id } }')
    await service.client().raw("{ notifications { totalCount } }")
    await client.raw(REGISTRY_LOOKUP, {"cui": holder("medium").firm_cui})  # not stored yet: asked at ANAF
    await DiscoveryRun.create(firm_id=int(firm["id"]), status=DiscoveryStatus.FAILED)
    await OutboxMessage.create(kind="test", to_email="a@example.ro", subject="s", text_body="t", message_id="<m1@test>")
    await OutboxMessage.create(kind="test", to_email="b@example.ro", subject="s", text_body="t", message_id="<m2@test>",
                               status=OutboxStatus.SENT)
    ws = await WsClient.connect(service.graphql_url, token)
    try:
        after = await scrape(service)
    finally:
        await ws.close()

    def grew(name: str, by: float = 1, **labels: str) -> bool:
        return value(after, name, **labels) - value(before, name, **labels) >= by

    assert grew("portofoliu_http_requests_total", 3, method="POST", route="/graphql", status="200")
    assert grew("portofoliu_graphql_errors_total", code="NOT_FOUND")
    assert grew("portofoliu_graphql_errors_total", code="UNAUTHENTICATED")
    assert grew("portofoliu_anaf_calls_total", api="registry", status="200")
    assert value(after, "portofoliu_websockets_open") == 1
    assert value(after, "portofoliu_discovery_runs", status="FAILED") == 1
    assert value(after, "portofoliu_outbox_backlog") == 1
    assert value(after, "portofoliu_outbox_oldest_pending_seconds") >= 0
    assert value(after, "portofoliu_http_request_duration_seconds_count", route="/graphql") > 0


async def test_anaf_limits_are_counted(start_service, db):
    # The sandbox registry answers 429 to a second call within 30 s, as ANAF does within its second.
    service = await start_service(sandbox_config=SandboxConfig(registry_min_interval=30.0))
    token, _ = await api_user(service)
    before = await scrape(service)
    client = service.client(token)
    await client.raw(REGISTRY_LOOKUP, {"cui": holder("medium").firm_cui})  # not stored yet: asked at ANAF
    await client.raw(REGISTRY_LOOKUP, {"cui": holder("small").cuis[1]})
    after = await scrape(service)
    assert value(after, "portofoliu_anaf_calls_total", api="registry", status="429") > \
        value(before, "portofoliu_anaf_calls_total", api="registry", status="429")
    assert value(after, "portofoliu_anaf_limit_hits_total", api="registry", limit="rate_limited") > \
        value(before, "portofoliu_anaf_limit_hits_total", api="registry", limit="rate_limited")

    # A CUI whose daily list budget is spent is not asked at all, and that is counted too.
    async with httpx.AsyncClient() as http:
        efactura = EfacturaClient(http, f"{service.url}/_sandbox/anaf", limiter=LocalCallLimiter(1000),
                                  daily_quota=MemoryDailyQuota(per_day=0))
        answer = await efactura.list_messages("token", "30747076")
    assert answer.answer == RightsAnswer.QUOTA_EXCEEDED
    assert value(await scrape(service), "portofoliu_anaf_limit_hits_total", api="efactura", limit="own_quota") >= 1


async def test_metrics_can_require_a_token(start_service):
    service = await start_service(metrics_token="scrape-secret-0123")
    async with httpx.AsyncClient() as http:
        refused = await http.get(f"{service.url}/metrics")
        wrong = await http.get(f"{service.url}/metrics", headers={"Authorization": "Bearer nope"})
    assert refused.status_code == 401 and wrong.status_code == 401
    assert "portofoliu_http_requests_total" in str(await scrape(service, "scrape-secret-0123"))
