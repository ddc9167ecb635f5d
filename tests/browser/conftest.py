"""Browser tests: the web client (web/dist) served by the whole service over real HTTP, driven in
headless Chromium (Debian's package) by Playwright, with a real SMTP sink.

They skip with a reason when Chromium, Playwright or the built client is missing (fail under
REQUIRE_SERVICES=1). Every test saves a screenshot of each open page where it failed, and
`screen(page, name)` saves a screen in Romanian and in English, into browser-screenshots/ (not
committed; BROWSER_SCREENSHOTS names another folder).
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from portofoliu.web_client import WEB_DIST, built
from tests.conftest import FAST_DISCOVERY, FAST_EFACTURA, RunningService
from tests.support.requirements import service_missing
from tests.support.servers import app_factory, serve

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOTS = Path(os.environ.get("BROWSER_SCREENSHOTS") or Path(__file__).resolve().parents[2] / "browser-screenshots")
DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.browser_failed = report.failed
    return report


@pytest.fixture
async def browser(request):
    executable = chromium_path()
    if executable is None:
        service_missing("Chromium is not installed (apt-get install chromium chromium-driver)")
    if not built(WEB_DIST):
        service_missing("the web client is not built (cd web && npm ci && npm run build)")
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        service_missing("Playwright for Python is not installed (pip install -e '.[test]')")
    async with async_playwright() as playwright:
        # launch() gives every browser a fresh, temporary profile (user-data-dir)
        chromium = await playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        contexts = []

        async def new_page(*, phone: bool = False, lang: str = "ro-RO"):
            context = await chromium.new_context(viewport=PHONE if phone else DESKTOP, locale=lang, is_mobile=phone, has_touch=phone)
            context.set_default_timeout(10_000)
            contexts.append(context)
            return await context.new_page()

        try:
            yield new_page
        finally:
            if getattr(request.node, "browser_failed", False):
                folder = SCREENSHOTS / "failures" / re.sub(r"[^\w.-]+", "_", request.node.name)
                folder.mkdir(parents=True, exist_ok=True)
                for i, context in enumerate(contexts):
                    for j, page in enumerate(context.pages):
                        await page.screenshot(path=str(folder / f"context{i}-page{j}.png"), full_page=True)
            await chromium.close()


async def screen(page, name: str) -> None:
    """Save this screen in Romanian and in English (the language switch), then switch back."""
    from playwright.async_api import expect

    folder = SCREENSHOTS / "screens"
    folder.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(folder / f"{name}-ro.png"), full_page=True)
    await page.get_by_role("button", name="Switch to English").click()
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    await page.wait_for_load_state("networkidle")
    await page.screenshot(path=str(folder / f"{name}-en.png"), full_page=True)
    await page.get_by_role("button", name="Schimbă în română").click()
    await expect(page.locator("html")).to_have_attribute("lang", "ro")


@pytest.fixture
async def web(settings, smtp_server, tmp_path):
    """The whole service on a loopback port, APP_URL its own address (so e-mailed links and ANAF's
    redirect come back to it), e-mail to the SMTP sink (sent when the test calls `send_mail`)."""
    from anaf.efactura import EfacturaClient
    from anaf.registry import RegistryClient
    from anaf.sandbox.app import SandboxConfig
    from portofoliu.app import create_app
    from portofoliu.server import Server

    holder: dict = {}

    @app_factory
    def build(base_url: str):
        app_settings = replace(settings, app_url=base_url, smtp_url=smtp_server.url)
        holder["settings"] = app_settings
        holder["app"] = create_app(app_settings, self_url=base_url, migrate=False, sandbox_config=SandboxConfig(
                                       registry_min_interval=0.0,
                                       # The sandbox's kept state (ANAF's call counters and quotas included) per test, as in
                                       # tests/conftest.py: with PostgreSQL it would otherwise be shared by the whole session.
                                       state_path=str(tmp_path / "anaf-sandbox.sqlite3")),
                                   registry_factory=lambda http, url: RegistryClient(http, url, min_interval=0.0, backoff_initial=0.05, backoff_max=0.2, max_attempts=3),
                                   efactura_factory=lambda http, url, **kw: EfacturaClient(http, url, **kw, **FAST_EFACTURA),
                                   discovery_options=FAST_DISCOVERY)
        return holder["app"]

    async with serve(build, server_class=Server) as url:
        service = RunningService(url=url, app=holder["app"], settings=holder["settings"])
        try:
            yield service
        finally:
            for client in service.clients:
                await client.aclose()


@pytest.fixture
def send_mail(web, smtp_server, db):
    """Deliver what the outbox holds now to the SMTP sink; returns every message received so far."""
    from jobs.send_outbox import send_pending

    async def send(count: int):
        await send_pending(web.services)
        return await smtp_server.wait_for(count)

    return send
