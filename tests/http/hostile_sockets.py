"""Generated hostile websocket traffic for /graphql (tests/http/test_hostile.py), in both
protocols: operations whose documents do not parse or validate, have only fragments, name
an unknown operation, get variables of the wrong type or garbage IDs; and frames that break
the protocol itself. `Connection` runs them and checks each answer."""

from __future__ import annotations

import asyncio
import json
import random
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tests.http.hostile_values import any_json, odd_string

TRANSPORT_WS, LEGACY_WS = "graphql-transport-ws", "graphql-ws"
TIMEOUT = 10.0
# what a server may close a socket with after a hostile frame: the protocols' own codes for
# a message it cannot take (4400 in graphql-transport-ws, 1002 for a binary frame in
# graphql-ws) or a normal close; never 1011 (an internal error) or no close frame at all
PROTOCOL_CLOSES = {1000, 1002, 4400, 4409}
SUBSCRIPTIONS = (
    "subscription($id: ID!) { deploymentStatus(id: $id) { __typename } }",
    "subscription($id: ID!) { chatMessageStream(sessionId: $id) { __typename } }",
    "subscription($id: ID!) { runProgress(runId: $id) { __typename } }",
    "subscription($id: ID!) { knowledgeDocumentStatus(documentId: $id) { __typename } }")
BROKEN = (
    "subscription {", "subscription { deploymentStatus(id: ", "subscription { nope }",
    "subscription { deploymentStatus { __typename } }", "subscription { deploymentStatus(id: 1) }",
    "fragment F on Subscription { __typename }", "subscription { ...F }", "{{", "",
    "subscription A { nope } subscription A { nope }", "subscription($id: ID!) { __typename }",
    "subscription @nope { notifications { __typename } }", "query { nope }", "\u0000",
    "subscription { a } " + "z" * 200)  # the syntax error quotes the name: a long close reason


@dataclass
class Outcome:
    """What a socket answered to one operation: its messages for the id, or its close."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    close: tuple[int, str] | None = None


def operation(rng: random.Random, ids: list[str]) -> dict[str, Any]:
    """The payload of a hostile operation."""
    roll = rng.randrange(4)
    if roll == 0:
        return {"query": rng.choice(BROKEN)}
    if roll == 1:  # a garbage ID, or one of another type
        return {"query": rng.choice(SUBSCRIPTIONS),
                "variables": {"id": rng.choice(ids) if rng.random() < 0.5 else odd_string(rng)}}
    if roll == 2:  # variables of the wrong type
        return {"query": rng.choice(SUBSCRIPTIONS),
                "variables": rng.choice(({}, {"id": any_json(rng)}, {"id": None},
                                         {"nope": 1}))}
    text = rng.choice(SUBSCRIPTIONS)
    return {"query": text[: rng.randrange(len(text))], "operationName": odd_string(rng)}


def broken_frame(rng: random.Random, protocol: str) -> str | bytes:
    """A frame that breaks the protocol (after connection_init)."""
    start = "subscribe" if protocol == TRANSPORT_WS else "start"
    return rng.choice((
        "not json", "[]", "1", "null", '"x"', "{}", b"\x00binary", json.dumps({"type": "nope"}),
        json.dumps({"type": start}), json.dumps({"type": start, "id": "x"}),
        json.dumps({"type": start, "id": "x", "payload": "x"}),
        json.dumps({"type": start, "id": 5, "payload": {"query": "{ __typename }"}}),
        json.dumps({"type": start, "id": "x", "payload": {"query": 5}}),
        json.dumps({"type": start, "id": "x", "payload": {"query": None}}),
        json.dumps({"type": start, "id": "x", "payload": {"query": "{ __typename }",
                                                          "variables": [1]}}),
        json.dumps({"type": "connection_init", "payload": "x"}),
        json.dumps({"type": "complete" if protocol == TRANSPORT_WS else "stop"}),
        json.dumps(any_json(rng))))


class Connection:
    """One socket of `protocol`, opened (and initialised with `token`) again after a close."""

    def __init__(self, url: str, protocol: str, token: str) -> None:
        self.url, self.protocol, self.token = url, protocol, token
        self.legacy = protocol == LEGACY_WS
        self.ws: ClientConnection | None = None
        self.count = 0

    async def open(self) -> ClientConnection:
        if self.ws is None:
            self.ws = await connect(self.url, subprotocols=[self.protocol])  # type: ignore[list-item]
            await self.ws.send(json.dumps({"type": "connection_init",
                                           "payload": {"Authorization": self.token}}))
            ack = await self.receive(self.ws)
            assert ack["type"] == "connection_ack", ack
        return self.ws

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()

    async def receive(self, ws: ClientConnection) -> dict[str, Any]:
        while True:
            message = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
            if message.get("type") != "ka":  # graphql-ws keep-alives
                return message

    async def run(self, payload: dict[str, Any]) -> Outcome:
        """Start one operation and read until it ends: `error`, `complete`, or a close."""
        ws = await self.open()
        self.count += 1
        id_ = f"op{self.count}"
        await ws.send(json.dumps({"id": id_, "type": "start" if self.legacy else "subscribe",
                                  "payload": payload}))
        outcome = Outcome()
        try:
            while True:
                message = await self.receive(ws)
                outcome.messages.append(message)
                if message.get("id") == id_ and message["type"] in ("error", "complete"):
                    return outcome
        except ConnectionClosed as closed:
            self.ws = None
            outcome.close = (closed.rcvd.code, closed.rcvd.reason) if closed.rcvd else (0, "")
            return outcome

    async def send_broken(self, frame: str | bytes) -> Outcome:
        """Send a frame that breaks the protocol, then `{ __typename }`: the socket answers
        it (graphql-ws with an error: it runs subscriptions only), or it was closed with a
        protocol's code."""
        ws = await self.open()
        await ws.send(frame)
        return await self.run({"query": "{ __typename }"})


def problems(outcome: Outcome, legacy: bool) -> list[str]:
    """What is wrong with how a socket answered a hostile operation or frame."""
    found = []
    if outcome.close is not None and outcome.close[0] not in PROTOCOL_CLOSES:
        found.append(f"closed with {outcome.close}")
    if outcome.close is None and not outcome.messages:
        found.append("no answer")
    for message in outcome.messages:
        payload = message.get("payload")
        if message["type"] == "error":
            errors = [payload] if legacy else payload
        elif message["type"] in ("next", "data"):
            errors = (payload or {}).get("errors") or []
        else:
            continue
        for error in errors or ([None] if message["type"] == "error" else []):
            code = ((error or {}).get("extensions") or {}).get("code")
            if not code or code == "INTERNAL_SERVER_ERROR":
                found.append(f"{message['type']} {error} with code {code}")
    return found
