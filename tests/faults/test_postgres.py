"""PostgreSQL stopped under a running server, then started again: requests that need it are
answered 503 SERVICE_UNAVAILABLE with Retry-After (never INTERNAL_SERVER_ERROR), /readyz
says so, and after the restart the first write succeeds: the pools drop the connections the
stopped server cut instead of handing them out."""

from __future__ import annotations

from typing import Any

from services.availability import SERVICE_UNAVAILABLE
from tests.faults.conftest import Stack, codes, make_member, post, ready_is, until

ORGANIZATIONS = "{ organizations(first: 5) { edges { node { name } } } }"
CREATE = """
mutation ($input: CreateChatSessionInput!) {
  createChatSession(input: $input) { chatSession { title } userErrors { code } }
}"""


def created(answer: Any, title: str) -> bool:
    return answer.status_code == 200 and answer.json() == {"data": {"createChatSession": {
        "chatSession": {"title": title}, "userErrors": []}}}


async def test_an_outage_is_told_and_the_first_write_after_it_succeeds(
        stack: Stack, server: str, sessionmaker) -> None:
    member = await make_member(stack, sessionmaker)

    async def create(title: str) -> Any:
        return await post(server, CREATE, member.headers, {"input": {
            "modelId": member.model_id, "title": title}})

    for cycle in range(2):  # a dead pooled connection once failed one first write in two
        # given pools that hold connections: writes and reads answered
        for n in range(3):
            answer = await create(f"before {cycle}.{n}")
            assert created(answer, f"before {cycle}.{n}"), answer.text
        assert (await post(server, ORGANIZATIONS, member.headers)).status_code == 200

        # when PostgreSQL stops
        await stack.stop_postgres()
        assert await until(lambda: ready_is(server, 503), "/readyz says 503")

        # then a read and a write are each answered 503, SERVICE_UNAVAILABLE, Retry-After
        for answer in (await post(server, ORGANIZATIONS, member.headers),
                       await create("while stopped")):
            assert answer.status_code == 503, answer.text
            assert answer.headers["retry-after"] == "1"
            assert codes(answer.json()) == [SERVICE_UNAVAILABLE]
            assert "PostgreSQL" in answer.json()["errors"][0]["message"]

        # when it is back, the server is ready again and its first write succeeds
        await stack.start_postgres()
        assert await until(lambda: ready_is(server, 200), "/readyz says 200")
        assert created(await create(f"first after {cycle}"), f"first after {cycle}")
