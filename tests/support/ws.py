"""A small graphql-transport-ws client over a real WebSocket, speaking to the service like a
browser does: `connection_init` with the token, `subscribe`, `next`/`error`/`complete`, and the
close code and reason when the server ends the socket."""

from __future__ import annotations

import asyncio
import itertools
import json
from dataclasses import dataclass
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tests.support.graphql import GraphQLError as SubscriptionError  # the same errors, over a socket

PROTOCOL = "graphql-transport-ws"


@dataclass(frozen=True)
class Closed:
    code: int | None
    reason: str


class ConnectionRejected(AssertionError):
    def __init__(self, closed: Closed):
        super().__init__(f"closed {closed.code}: {closed.reason}")
        self.code, self.reason = closed.code, closed.reason


class Subscription:
    def __init__(self, client: "WsClient", id: str):
        self.client = client
        self.id = id
        self.messages: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    async def next(self, timeout: float = 5.0) -> dict[str, Any]:
        """The `data` of the next result; errors raise `SubscriptionError`, the socket closing `ConnectionRejected`."""
        getter = asyncio.ensure_future(self.messages.get())
        done, _ = await asyncio.wait({getter, self.client.closed}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        if getter not in done:
            getter.cancel()
            if self.client.closed in done:
                raise ConnectionRejected(self.client.closed.result())
            raise asyncio.TimeoutError(f"no message for subscription {self.id} within {timeout}s")
        message = getter.result()
        if message["type"] == "error":
            raise SubscriptionError(message["payload"])
        if message["type"] == "complete":
            raise StopAsyncIteration
        if message["payload"].get("errors"):
            raise SubscriptionError(message["payload"]["errors"])
        return message["payload"]["data"]

    async def nothing_within(self, seconds: float) -> bool:
        try:
            await asyncio.wait_for(self.messages.get(), timeout=seconds)
        except asyncio.TimeoutError:
            return True
        return False

    async def complete(self) -> None:
        await self.client.send({"id": self.id, "type": "complete"})


class WsClient:
    def __init__(self, ws: ClientConnection):
        self.ws = ws
        self.subscriptions: dict[str, Subscription] = {}
        self._ids = itertools.count(1)
        self.acked = asyncio.get_running_loop().create_future()
        self.closed: asyncio.Future[Closed] = asyncio.get_running_loop().create_future()
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def connect(cls, graphql_url: str, token: str | None = None, *, origin: str | None = None,
                      payload: dict[str, Any] | None = None, timeout: float = 5.0) -> "WsClient":
        """Open the socket and wait for `connection_ack`; a refusal raises `ConnectionRejected`."""
        url = graphql_url.replace("http://", "ws://", 1).replace("https://", "wss://", 1)
        ws = await connect(url, subprotocols=[PROTOCOL], origin=origin, open_timeout=timeout, max_queue=None)
        client = cls(ws)
        init = payload if payload is not None else ({"authorization": f"Bearer {token}"} if token else {})
        await client.send({"type": "connection_init", "payload": init})
        done, _ = await asyncio.wait({client.acked, client.closed}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        if client.closed in done and not client.acked.done():
            raise ConnectionRejected(client.closed.result())
        if not done:
            await client.close()
            raise asyncio.TimeoutError("no connection_ack")
        return client

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send(json.dumps(message))

    async def subscribe(self, query: str, **variables: Any) -> Subscription:
        subscription = Subscription(self, str(next(self._ids)))
        self.subscriptions[subscription.id] = subscription
        await self.send({"id": subscription.id, "type": "subscribe", "payload": {"query": query, "variables": variables}})
        return subscription

    async def wait_closed(self, timeout: float = 5.0) -> Closed:
        return await asyncio.wait_for(asyncio.shield(self.closed), timeout=timeout)

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                message = json.loads(raw)
                if message.get("type") == "connection_ack" and not self.acked.done():
                    self.acked.set_result(None)
                elif message.get("type") == "ping":
                    await self.send({"type": "pong"})
                elif "id" in message and message["id"] in self.subscriptions:
                    self.subscriptions[message["id"]].messages.put_nowait(message)
        except ConnectionClosed:
            pass
        finally:
            if not self.closed.done():
                self.closed.set_result(Closed(self.ws.close_code, self.ws.close_reason or ""))

    async def close(self) -> None:
        await self.ws.close()
        await asyncio.gather(self._reader, return_exceptions=True)
