"""A POST's body is decoded once, whether the planner's known path answers it or strawberry
does, and a persisted query's document is looked up once for either."""

from __future__ import annotations

import hashlib
import secrets
from collections import Counter

import orjson
import pytest

ORGS = "{ organizations(first: 5) { edges { node { name } } } }"


@pytest.fixture
def decodings(monkeypatch) -> Counter[bytes]:
    """How often each byte string went through orjson.loads (the endpoint's JSON decoder)."""
    counts: Counter[bytes] = Counter()
    loads = orjson.loads

    def counting(data: bytes | str) -> object:
        counts[data if isinstance(data, bytes) else data.encode()] += 1
        return loads(data)

    monkeypatch.setattr(orjson, "loads", counting)
    return counts


async def test_the_body_is_decoded_once_on_either_path(app, client, decodings) -> None:
    planner = app.graphql.schema.planner
    body = orjson.dumps({"query": f"# {secrets.token_hex(8)}\n{ORGS}"})
    headers = {"content-type": "application/json"}
    unplanned = orjson.dumps({"query": "{ viewer { username } }"})

    first = await client.post("/graphql", content=body, headers=headers)  # strawberry
    known_before = planner.stats.snapshot()["known"]
    second = await client.post("/graphql", content=body, headers=headers)  # the known path
    known_after = planner.stats.snapshot()["known"]
    other = await client.post("/graphql", content=unplanned, headers=headers)

    assert first.status_code == second.status_code == other.status_code == 200
    assert first.content == second.content
    assert known_after == known_before + 1
    assert decodings[body] == 2  # one request each
    assert decodings[unplanned] == 1


async def test_a_persisted_query_is_looked_up_once_on_either_path(app, client, monkeypatch
                                                                   ) -> None:
    planner = app.graphql.schema.planner
    plannable = f"# {secrets.token_hex(8)}\n{ORGS}"
    unplannable = f"# {secrets.token_hex(8)}\n{{ viewer {{ username }} }}"
    hashes = {doc: hashlib.sha256(doc.encode()).hexdigest() for doc in (plannable, unplannable)}

    def extensions(document: str) -> dict[str, object]:
        return {"persistedQuery": {"version": 1, "sha256Hash": hashes[document]}}

    stored = [await client.post("/graphql", json={"query": doc, "extensions": extensions(doc)})
              for doc in (plannable, unplannable)]
    store = app.state.persisted_queries
    lookups: list[str] = []
    get = store.get

    async def counting(key: str) -> str | None:
        lookups.append(key)
        return await get(key)

    monkeypatch.setattr(store, "get", counting)
    known_before = planner.stats.snapshot()["known"]
    by_hash = [await client.post("/graphql", json={"extensions": extensions(doc)})
               for doc in (plannable, unplannable)]
    known_after = planner.stats.snapshot()["known"]

    assert [r.status_code for r in stored + by_hash] == [200] * 4
    assert [r.content for r in by_hash] == [r.content for r in stored]
    assert known_after == known_before + 1  # the plannable text, run again: the known path
    assert lookups == [hashes[plannable], hashes[unplannable]]  # once each
