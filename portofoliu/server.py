"""uvicorn's server, closing the service's WebSockets with a reason before it stops.

On shutdown uvicorn drops open WebSockets with code 1012 and no reason; clients of this service are
told 1001 "server shutting down" first, so they reconnect (with their cursor) elsewhere. Discovery
runs are stopped before that, left for the next process to resume.
"""

from __future__ import annotations

import gc
import logging
import socket

import uvicorn
from uvicorn.supervisors import multiprocess

from portofoliu.sockets import CLOSE_GOING_AWAY, SHUTDOWN_REASON

log = logging.getLogger(__name__)

# Allocations between two young collections of the cyclic collector (Python's default is 700). Each
# open WebSocket keeps a few hundred objects alive, so a process with thousands of them has hundreds
# of thousands in the old generation; with the default, a burst of events (thousands of objects
# alive at once for a moment) gets promoted and soon sets off full collections that walk them all,
# half of the burst's CPU time. With 10,000 the burst's objects die young and no full collection runs.
YOUNG_COLLECTION_THRESHOLD = 10_000


class Server(uvicorn.Server):
    # A process that serves only this app (`portofoliu serve`) freezes what its start-up made (modules,
    # the schema, the models, the pools), which lives as long as the process: out of the cyclic
    # collector's sight, collections under load stop walking it again and again. It also collects
    # its young objects less often (YOUNG_COLLECTION_THRESHOLD).
    freeze_after_startup = False

    def __init__(self, config: uvicorn.Config) -> None:
        # Who the client is comes from the app (TRUSTED_PROXIES, see portofoliu.app), never from
        # uvicorn's default of believing X-Forwarded-For from any loopback peer.
        config.proxy_headers = False
        super().__init__(config)

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.freeze_after_startup and self.started:
            gc.collect()
            gc.freeze()
            _, older, oldest = gc.get_threshold()
            gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, older, oldest)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        app = self.config.loaded_app if self.config.loaded else self.config.app
        while app is not None and not hasattr(app, "state"):  # under uvicorn's own middlewares
            app = getattr(app, "app", None)
        services = getattr(getattr(app, "state", None), "services", None)
        if services is not None and services.discovery is not None:
            # Discovery runs stop first, while every client is still there: a run cut by the shutdown
            # stays RUNNING with its state for the next process to resume; left going, its calls would
            # fail as the process winds down (an in-process sandbox stops answering) and end it PARTIAL.
            await services.discovery.stop()
        if services is not None:
            closed = await services.sockets.close_all(CLOSE_GOING_AWAY, SHUTDOWN_REASON)
            if closed:
                log.info("closed %d WebSocket(s): %s", closed, SHUTDOWN_REASON)
        await super().shutdown(sockets)


# -- several processes on one port ------------------------------------------------------------------

def worker_app(host: str, port: int, log_level: str, log_format: str):
    """The application of one worker process (uvicorn calls this in each process it starts)."""
    from portofoliu.app import create_app
    from portofoliu.cli import with_served_app_url
    from portofoliu.logs import configure_logging
    from portofoliu.settings import load_settings

    configure_logging(log_level, log_format)
    return create_app(with_served_app_url(load_settings(), host=host, port=port), self_url=f"http://{host}:{port}")


class WorkerProcess(multiprocess.Process):
    """uvicorn's worker process, running this module's `Server` (WebSockets told 1001 on shutdown)."""

    @property
    def server(self) -> uvicorn.Server:
        if self._server is None:
            self._server = Server(config=self.config)
            self._server.freeze_after_startup = True
        return self._server


def run_workers(config: uvicorn.Config) -> None:
    """`config.workers` processes accepting on one socket, supervised by uvicorn (a worker that dies is
    replaced; SIGTERM stops them all gracefully). `config.app` must be picklable, e.g. a partial of
    `worker_app` with `factory=True`."""
    multiprocess.Process = WorkerProcess  # the supervisor makes its workers through this name
    sock = config.bind_socket()
    try:
        multiprocess.Multiprocess(config, sockets=[sock]).run()
    finally:
        sock.close()
