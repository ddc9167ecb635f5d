"""Run an ASGI app under uvicorn on a free loopback port for the length of a test."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from starlette.types import ASGIApp


@asynccontextmanager
async def serve(app: ASGIApp, *, host: str = "127.0.0.1", **config: object) -> AsyncIterator[str]:
    """Serve `app` over real HTTP; yields its base URL ("http://127.0.0.1:<port>")."""
    server = uvicorn.Server(
        uvicorn.Config(app, host=host, port=0, log_level="warning", timeout_graceful_shutdown=2, **config)
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()  # raises what made the server fail to start
            raise RuntimeError("server stopped before it started")
        await asyncio.sleep(0.005)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        await task
