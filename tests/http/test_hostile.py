"""Hostile requests against a real server process: thousands of generated HTTP requests
(tests/http/hostile_requests.py) and hundreds of websocket operations in both protocols.
Nothing is answered with a 5xx or a body that is not JSON, every error carries a code, none
is an internal error, and the server still answers `{ __typename }` after them."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from graphql import build_schema

from db.models import Organization, User
from tests.conftest import bearer_headers
from tests.factories.identity import make_membership
from tests.http import hostile_sockets
from tests.http.hostile_requests import Generator, Hostile
from tests.http.hostile_sockets import LEGACY_WS, TRANSPORT_WS, Connection, broken_frame, operation
from tests.servers import app_servers

SCHEMA = Path(__file__).resolve().parents[2] / "schema.graphql"
SEED = 13
HTTP_REQUESTS = 2100
CONCURRENCY = 8
SOCKET_OPERATIONS = 160  # per protocol, over SOCKETS sockets at once
BROKEN_FRAMES = 40  # per protocol
SOCKETS = 4
JSON_TYPES = ("application/json", "application/graphql-response+json")
IDS = "{ viewer { id } organizations { edges { node { id } } } }"


@pytest.fixture(scope="module")
def server(settings) -> Iterator[str]:
    """Base URL of one server process on the test database and Redis, without rate limits:
    the generator is one caller on one address, and its counts in Redis would outlast the
    module and limit the tests after it."""
    with app_servers(settings, AIPLATFORM_RATE_LIMIT_ENABLED="false") as (url,):
        yield url


@pytest.fixture
async def token(app, db, session) -> str:
    """A platform superuser who owns an organization: their garbage reaches every resolver."""
    user = User(email="root@example.com", username="root", is_superuser=True)
    organization = Organization(name="Acme", slug="acme")
    session.add_all([user, organization])
    await session.flush()
    await make_membership(session, organization=organization, user=user, role="owner")
    return (await bearer_headers(app, session, user))["authorization"]


async def real_ids(http: httpx.AsyncClient, url: str, token: str) -> list[str]:
    answer = (await http.post(url, json={"query": IDS},
                              headers={"authorization": token})).json()["data"]
    return [answer["viewer"]["id"], *(e["node"]["id"]
                                      for e in answer["organizations"]["edges"])]


def problems(hostile: Hostile, response: httpx.Response) -> list[str]:
    """What is wrong with the answer to a hostile request (nothing, we hope)."""
    found = []
    media_type = response.headers.get("content-type", "").partition(";")[0]
    if response.status_code >= 500:
        found.append(f"HTTP {response.status_code}")
    if media_type not in JSON_TYPES:
        found.append(f"{media_type or 'no'} content type")
    try:
        body = response.json()
    except ValueError:
        return [*found, f"not JSON: {response.text[:200]!r}"]
    errors = body.get("errors") if isinstance(body, dict) else None
    if response.status_code >= 400 and not errors:
        found.append("an error status without errors")
    for error in errors or []:
        code = (error.get("extensions") or {}).get("code")
        if not code or code == "INTERNAL_SERVER_ERROR":
            found.append(f"error {error.get('message')!r} with code {code}")
    return [f"{hostile} -> {response.status_code} {'; '.join(found)}"] if found else []


@pytest.mark.slow
async def test_hostile_http_requests_are_answered_in_json_with_codes(server, token) -> None:
    url = f"{server}/graphql"
    async with httpx.AsyncClient(timeout=60) as http:
        generator = Generator(url, build_schema(SCHEMA.read_text()), token,
                              await real_ids(http, url, token), SEED)
        hostile = generator.requests(HTTP_REQUESTS)
        slots = asyncio.Semaphore(CONCURRENCY)

        async def send(request: Hostile) -> list[str]:
            async with slots:
                try:
                    return problems(request, await http.send(request.request))
                except httpx.HTTPError as error:
                    return [f"{request} -> {error!r}"]

        found = [p for ps in await asyncio.gather(*map(send, hostile)) for p in ps]
        after = await http.post(url, json={"query": "{ __typename }"})

    assert len(hostile) >= 2000
    assert not found, "\n".join(found[:30]) + f"\n({len(found)} of {len(hostile)})"
    assert after.json() == {"data": {"__typename": "Query"}}


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
async def test_hostile_socket_operations_get_the_protocols_errors(server, token, protocol
                                                                   ) -> None:
    url = f"{server}/graphql"
    async with httpx.AsyncClient(timeout=60) as http:
        ids = await real_ids(http, url, token)
    rng = random.Random(SEED)
    legacy = protocol == LEGACY_WS
    work: list[list[dict | str | bytes]] = [[] for _ in range(SOCKETS)]
    for n in range(SOCKET_OPERATIONS + BROKEN_FRAMES):
        work[n % SOCKETS].append(operation(rng, ids) if n < SOCKET_OPERATIONS
                                 else broken_frame(rng, protocol))
    ws_url = url.replace("http", "ws", 1)

    async def drive(items: list[dict | str | bytes]) -> list[str]:
        connection = Connection(ws_url, protocol, token)
        found = []
        try:
            for item in items:
                outcome = await (connection.run(item) if isinstance(item, dict)
                                 else connection.send_broken(item))
                found += [f"{item!r}: {p}" for p in hostile_sockets.problems(outcome, legacy)]
            after = await connection.run({"query": "{ __typename }"})
        finally:
            await connection.close()
        first = after.messages[0] if after.messages else {}
        if (first.get("payload") != {"data": {"__typename": "Query"}} if not legacy
                else first.get("type") != "error"):  # graphql-ws runs subscriptions only
            found.append(f"{{ __typename }} afterwards: {after}")
        return found

    found = [p for ps in await asyncio.gather(*map(drive, work)) for p in ps]

    assert not found, "\n".join(found[:30]) + f"\n({len(found)} in all)"


SOCKET_REFUSALS = [  # document, code, graphql-transport-ws: closed 4400 with this reason?
    ("subscription { deploymentStatus(id: ", "GRAPHQL_PARSE_FAILED",
     "Syntax Error: Unexpected <EOF>."),
    ("fragment F on Subscription { __typename }", "OPERATION_RESOLUTION_FAILURE",
     "Can't get GraphQL operation type"),
    ("subscription { deploymentStatus(nope: 1) { nope } }", "GRAPHQL_VALIDATION_FAILED", None),
]


@pytest.mark.parametrize(("document", "code", "reason"), SOCKET_REFUSALS)
@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
async def test_a_subscription_that_cannot_run_gets_the_protocols_error(
        server, token, protocol, document, code, reason) -> None:
    """graphql-transport-ws: close 4400 with the reason when nothing could be parsed or no
    operation found (as strawberry closes), else an `error` message for the id; graphql-ws:
    an `error` message. Through the handlers that share subscription results."""
    connection = Connection(f"{server}/graphql".replace("http", "ws", 1), protocol, token)
    try:
        outcome = await connection.run({"query": document})
    finally:
        await connection.close()

    if protocol == TRANSPORT_WS and reason is not None:
        assert outcome.close == (4400, reason)
        return
    error = outcome.messages[-1]
    assert error["type"] == "error" and error["id"] == "op1"
    errors = [error["payload"]] if protocol == LEGACY_WS else error["payload"]
    assert {e["extensions"]["code"] for e in errors} == {code}
