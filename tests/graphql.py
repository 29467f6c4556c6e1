"""Helpers to send GraphQL over HTTP in tests and read the answer."""

from __future__ import annotations

from typing import Any

import httpx


async def gql(
    client: httpx.AsyncClient, query: str, variables: dict[str, Any] | None = None,
    *, headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """POST a document; returns the decoded body (data and errors), HTTP 200 asserted."""
    response = await client.post("/graphql", json={"query": query, "variables": variables or {}},
                                 headers=headers or {})
    assert response.status_code == 200, response.text
    return response.json()


async def gql_data(client: httpx.AsyncClient, query: str,
                   variables: dict[str, Any] | None = None) -> dict[str, Any]:
    body = await gql(client, query, variables)
    assert "errors" not in body, body["errors"]
    return body["data"]


def error_codes(body: dict[str, Any]) -> list[str]:
    return [e.get("extensions", {}).get("code") for e in body.get("errors", [])]
