"""The known-query shortcut skips strawberry's extensions, so it runs only while every
extension of the schema is one a plan reproduces; any other extension turns it off rather
than being skipped."""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from starlette.applications import Starlette
from strawberry.extensions import SchemaExtension

from graphql_schema.schema import build_schema
from services.settings import Settings
from tests.planner.test_hook import chat_data, stats  # noqa: F401  (a fixture)

ORGS = "query Orgs($n: Int) { organizations(first: $n) { edges { node { name } } } }"


class Counting(SchemaExtension):
    """An extension a plan does not reproduce: it counts the hooks strawberry runs."""

    calls: Counter[str] = Counter()

    def on_operation(self) -> Iterator[None]:
        Counting.calls["on_operation"] += 1
        yield

    def on_execute(self) -> Iterator[None]:
        Counting.calls["on_execute"] += 1
        yield


@pytest.fixture
async def counting_app(app: Starlette, settings: Settings) -> AsyncIterator[Starlette]:
    """The app, serving a schema with the counting extension for this test."""
    graphql = app.graphql  # type: ignore[attr-defined]
    default = graphql.schema
    graphql.schema = build_schema(settings, extensions=[Counting])
    Counting.calls.clear()
    try:
        yield app
    finally:
        graphql.schema = default


async def twice(client: httpx.AsyncClient) -> list[httpx.Response]:
    body = {"query": f"# {secrets.token_hex(8)}\n{ORGS}", "variables": {"n": 5}}
    return [await client.post("/graphql", json=body) for _ in range(2)]


async def test_an_extension_a_plan_does_not_reproduce_runs_on_every_request(
        counting_app, superuser_client, chat_data) -> None:  # noqa: F811
    before = stats(counting_app)
    first, second = await twice(superuser_client)
    after = stats(counting_app)

    assert first.status_code == second.status_code == 200
    assert first.content == second.content and b'"organizations"' in first.content
    assert Counting.calls == {"on_operation": 2, "on_execute": 2}  # not skipped the 2nd time
    assert after["known"] == before["known"]  # the shortcut is off ...
    assert after["planned"] == before["planned"] + 2  # ... and strawberry's path still plans


async def test_with_the_default_extensions_the_second_request_is_known(
        app, superuser_client, chat_data) -> None:  # noqa: F811
    before = stats(app)
    first, second = await twice(superuser_client)
    after = stats(app)

    assert first.content == second.content and b'"organizations"' in first.content
    assert after["known"] == before["known"] + 1
    assert after["planned"] == before["planned"] + 2


def test_the_shortcut_is_decided_by_the_extension_classes(settings: Settings) -> None:
    default = build_schema(settings)
    extended = build_schema(settings, extensions=[Counting])
    assert default.planner.shortcut(default) is True  # type: ignore[attr-defined]
    assert extended.planner.shortcut(extended) is False  # type: ignore[attr-defined]
