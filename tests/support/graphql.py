"""A small GraphQL-over-HTTP client for tests, speaking to the service like a frontend does."""

from __future__ import annotations

from typing import Any

import httpx


class GraphQLError(AssertionError):
    def __init__(self, errors: list[dict[str, Any]]):
        super().__init__(errors)
        self.errors = errors

    @property
    def codes(self) -> list[str | None]:
        return [(e.get("extensions") or {}).get("code") for e in self.errors]


class GraphQLClient:
    def __init__(self, url: str, *, token: str | None = None, lang: str | None = None):
        self.url = url
        self.token = token
        self.lang = lang
        self.http = httpx.AsyncClient(timeout=30.0)

    def headers(self) -> dict[str, str]:
        headers = {}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if self.lang:
            headers["Accept-Language"] = self.lang
        return headers

    async def raw(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        response = await self.http.post(self.url, json={"query": query, "variables": variables or {}}, headers=self.headers())
        return response.json()

    async def execute(self, query: str, variables: dict[str, Any] | None = None, **kw: Any) -> dict[str, Any]:
        """The `data` of a successful operation; top-level errors raise `GraphQLError`."""
        body = await self.raw(query, {**(variables or {}), **kw})
        if body.get("errors"):
            raise GraphQLError(body["errors"])
        return body["data"]

    async def aclose(self) -> None:
        await self.http.aclose()
