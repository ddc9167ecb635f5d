"""Run an ASGI app under uvicorn on a free loopback port for the length of a test."""

from __future__ import annotations

import asyncio
import contextvars
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Callable

import uvicorn
from starlette.types import ASGIApp


def bind_loopback(host: str = "127.0.0.1") -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    return sock


@asynccontextmanager
async def serve(app: ASGIApp | Callable[[str], ASGIApp], *, host: str = "127.0.0.1",
                server_class: type[uvicorn.Server] = uvicorn.Server, **config: object) -> AsyncIterator[str]:
    """Serve an app over real HTTP; yields its base URL ("http://127.0.0.1:<port>").

    `app` may be a factory taking the base URL, for apps that must know where they listen. The
    server runs in a fresh contextvars context, so an ORM context the test opened for itself is
    not shared with the server's requests.
    """
    sock = bind_loopback(host)
    base_url = f"http://{host}:{sock.getsockname()[1]}"
    if getattr(app, "__asgi_factory__", False):
        app = app(base_url)  # type: ignore[operator]
    server = server_class(uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=2, **config))
    task = asyncio.get_running_loop().create_task(server.serve(sockets=[sock]), context=contextvars.Context())
    while not server.started:
        if task.done():
            task.result()  # raises what made the server fail to start
            raise RuntimeError("server stopped before it started")
        await asyncio.sleep(0.005)
    try:
        yield base_url
    finally:
        server.should_exit = True
        await task
        sock.close()


def app_factory(build: Callable[[str], ASGIApp]) -> Callable[[str], ASGIApp]:
    """Mark a callable as `base_url -> app` for `serve`."""
    build.__asgi_factory__ = True  # type: ignore[attr-defined]
    return build
