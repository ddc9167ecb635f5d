from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass

import httpx
import pytest

from anaf.sandbox.app import create_sandbox_app
from anaf.sandbox.state import SandboxConfig, SandboxState
from tests.support.servers import serve

# Short enough to keep tests fast, long enough to tell spaced requests from bursts.
TEST_MIN_INTERVAL = 0.2


@dataclass
class RunningSandbox:
    url: str
    state: SandboxState

    @property
    def registry_url(self) -> str:
        return f"{self.url}/api/PlatitorTvaRest/v9/tva"


StartSandbox = Callable[..., Awaitable[RunningSandbox]]


@pytest.fixture
async def start_sandbox() -> AsyncIterator[StartSandbox]:
    """Start sandboxes (each on its own port) with any SandboxConfig settings; stopped after the test."""
    async with AsyncExitStack() as stack:

        async def start(**settings: object) -> RunningSandbox:
            settings.setdefault("registry_min_interval", TEST_MIN_INTERVAL)
            app = create_sandbox_app(SandboxConfig(**settings))
            url = await stack.enter_async_context(serve(app))
            return RunningSandbox(url=url, state=app.state.sandbox)

        yield start


@pytest.fixture
async def sandbox(start_sandbox: StartSandbox) -> RunningSandbox:
    return await start_sandbox()


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5.0) as client:
        yield client
