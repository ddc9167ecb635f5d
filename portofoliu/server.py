"""uvicorn's server, closing the service's WebSockets with a reason before it stops.

On shutdown uvicorn drops open WebSockets with code 1012 and no reason; clients of this service are
told 1001 "server shutting down" first, so they reconnect (with their cursor) elsewhere.
"""

from __future__ import annotations

import logging
import socket

import uvicorn

from portofoliu.sockets import CLOSE_GOING_AWAY, SHUTDOWN_REASON

log = logging.getLogger(__name__)


class Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config) -> None:
        # Who the client is comes from the app (TRUSTED_PROXIES, see portofoliu.app), never from
        # uvicorn's default of believing X-Forwarded-For from any loopback peer.
        config.proxy_headers = False
        super().__init__(config)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        state = getattr(self.config.app, "state", None)
        services = getattr(state, "services", None)
        if services is not None:
            closed = await services.sockets.close_all(CLOSE_GOING_AWAY, SHUTDOWN_REASON)
            if closed:
                log.info("closed %d WebSocket(s): %s", closed, SHUTDOWN_REASON)
        await super().shutdown(sockets)
