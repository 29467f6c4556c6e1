"""Websocket authentication: the `connection_init` payload carries `Authorization`.

A real uvicorn server on the test database, so the handshake is the one clients see:
a usable credential is acknowledged and used for the socket's operations, a refused one
closes the socket with 4401 and the error code as reason, no credential is anonymous.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from db.models import ApiKey
from services.security.api_keys import generate_api_key
from tests.conftest import bearer_headers
from tests.factories.identity import make_membership, make_organization, make_user
from tests.servers import app_servers

ROOT = Path(__file__).resolve().parent.parent
TRANSPORT_WS, LEGACY_WS = "graphql-transport-ws", "graphql-ws"
VIEWER = "{ viewer { username } organizations { totalCount } }"


@pytest.fixture(scope="module")
def server(settings) -> Iterator[str]:
    """ws:// URL of `uvicorn app.main:create_app` on the test database and Redis."""
    with app_servers(settings) as (url,):
        yield url.replace("http", "ws", 1) + "/graphql"


@pytest.fixture
async def alice(app, session) -> dict[str, str]:
    """alice, member of two organizations: her access token and an API key for one of them."""
    acme, beta = await make_organization(session), await make_organization(session)
    user = await make_user(session, username="alice")
    for org in (acme, beta):
        await make_membership(session, organization=org, user=user)
    secret, prefix, key_hash = generate_api_key()
    session.add(ApiKey(organization_id=acme.id, user_id=user.id, name="k", prefix=prefix,
                       key_hash=key_hash, scopes=[]))
    headers = await bearer_headers(app, session, user)  # commits
    return {"token": headers["authorization"], "key": f"Bearer {secret}"}


async def receive(ws: ClientConnection) -> dict:
    return json.loads(await ws.recv())


async def init(ws: ClientConnection, payload: dict | None) -> dict:
    await ws.send(json.dumps({"type": "connection_init", "payload": payload or {}}))
    return await receive(ws)


async def run(ws: ClientConnection, query: str) -> dict:
    """One query over graphql-transport-ws; its `next` payload."""
    await ws.send(json.dumps({"type": "subscribe", "id": "1", "payload": {"query": query}}))
    message = await receive(ws)
    assert message["type"] == "next", message
    return message["payload"]


async def close_of(ws: ClientConnection) -> tuple[int, str]:
    with pytest.raises(ConnectionClosed) as closed:
        await ws.recv()
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code, closed.value.rcvd.reason


async def test_a_token_in_connection_init_is_acknowledged_and_used(server, alice) -> None:
    async with connect(server, subprotocols=[TRANSPORT_WS]) as ws:
        ack = await init(ws, {"authorization": alice["token"]})
        answer = await run(ws, VIEWER)

    assert ack == {"type": "connection_ack"}
    assert answer == {"data": {"viewer": {"username": "alice"},
                               "organizations": {"totalCount": 2}}}


async def test_an_api_key_works_too_and_the_key_name_is_case_insensitive(server, alice
                                                                          ) -> None:
    async with connect(server, subprotocols=[TRANSPORT_WS]) as ws:
        ack = await init(ws, {"AUTHORIZATION": alice["key"]})
        answer = await run(ws, VIEWER)

    assert ack["type"] == "connection_ack"
    assert answer["data"]["organizations"] == {"totalCount": 1}  # the key's organization only


@pytest.mark.parametrize(("authorization", "reason"), [
    ("Bearer not-a-token", "TOKEN_INVALID"),
    ("Bearer aip_deadbeef_" + "x" * 43, "API_KEY_INVALID"),
    ("Basic dXNlcjpwYXNz", "TOKEN_INVALID"),
    (42, "TOKEN_INVALID"),
])
async def test_a_refused_credential_closes_with_4401(server, authorization, reason) -> None:
    async with connect(server, subprotocols=[TRANSPORT_WS]) as ws:
        await ws.send(json.dumps({"type": "connection_init",
                                  "payload": {"Authorization": authorization}}))
        code = await close_of(ws)

    assert code == (4401, reason)


async def test_no_credential_is_an_anonymous_socket(server, alice) -> None:
    async with connect(server, subprotocols=[TRANSPORT_WS]) as ws:
        ack = await init(ws, None)
        answer = await run(ws, VIEWER)

    assert ack == {"type": "connection_ack"}
    assert answer == {"data": {"viewer": None, "organizations": {"totalCount": 0}}}


async def test_the_upgrade_request_header_is_used_when_the_payload_has_none(server, alice
                                                                            ) -> None:
    async with connect(server, subprotocols=[TRANSPORT_WS],
                       additional_headers={"Authorization": alice["token"]}) as ws:
        await init(ws, {})
        answer = await run(ws, VIEWER)

    assert answer["data"]["viewer"] == {"username": "alice"}


async def test_legacy_graphql_ws_protocol_also_refuses_with_4401(server, alice) -> None:
    async with connect(server, subprotocols=[LEGACY_WS]) as ws:
        ack = await init(ws, {"Authorization": alice["token"]})
    async with connect(server, subprotocols=[LEGACY_WS]) as ws:
        error = await init(ws, {"Authorization": "Bearer nope"})
        code = await close_of(ws)

    assert ack == {"type": "connection_ack"}
    assert error == {"type": "connection_error", "payload": {
        "message": "The access token is invalid", "extensions": {"code": "TOKEN_INVALID"}}}
    assert code == (4401, "TOKEN_INVALID")
