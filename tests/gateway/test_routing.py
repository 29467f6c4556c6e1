"""Traffic splits: the routing function over 1,000 calls keeps a 90/10 canary within ±3 %,
with random calls and with sticky users alike; a user stays on one deployment; and through
the server, each call lands where the routing function says and is logged there."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import select

from db.models import ModelUsageLog
from services.gateway.routing import choose, sticky_point
from tests.gateway.conftest import MESSAGES_HELLO, deploy

CALLS = 1000


@dataclass(frozen=True)
class Arm:
    label: str
    traffic_percentage: float


CANARY = (Arm("stable", 90.0), Arm("canary", 10.0))


def test_a_90_10_split_over_1000_random_calls() -> None:
    rng = random.Random(18)
    shares = Counter(choose(CANARY, name="assistant", rng=rng).label for _ in range(CALLS))
    assert abs(shares["canary"] / CALLS - 0.10) <= 0.03
    assert shares["stable"] + shares["canary"] == CALLS


def test_a_90_10_split_over_1000_users_each_sticky() -> None:
    first = [choose(CANARY, name="assistant", user=f"user-{i}").label for i in range(CALLS)]
    again = [choose(CANARY, name="assistant", user=f"user-{i}").label for i in range(CALLS)]
    assert first == again
    assert abs(first.count("canary") / CALLS - 0.10) <= 0.03


def test_sticky_points_differ_by_deployment_name_and_stay_in_range() -> None:
    points = [sticky_point(f"user-{i}", "assistant") for i in range(200)]
    assert all(0 <= p < 1 for p in points)
    assert points != [sticky_point(f"user-{i}", "other") for i in range(200)]


def test_weights_that_do_not_sum_to_100_share_by_proportion_and_zero_means_none() -> None:
    rng = random.Random(7)
    arms = (Arm("a", 100.0), Arm("b", 100.0), Arm("off", 0.0))
    shares = Counter(choose(arms, name="n", rng=rng).label for _ in range(CALLS))
    assert shares["off"] == 0 and abs(shares["a"] / CALLS - 0.5) <= 0.05
    all_off = (Arm("x", 0.0), Arm("y", 0.0))
    assert {choose(all_off, name="n", rng=rng).label for _ in range(100)} == {"x", "y"}


async def test_calls_through_the_server_follow_the_split(app, client, session, world) -> None:
    stable = await deploy(session, organization=world.acme, name="canary-demo",
                          model_name="stable-model", traffic=90.0)
    canary = await deploy(session, organization=world.acme, name="canary-demo",
                          model_name="canary-model", traffic=10.0)
    await session.commit()
    group = sorted((stable, canary), key=lambda d: d.id)
    headers = {"authorization": f"Bearer {world.key}"}
    users = [f"conversation-{i}" for i in range(40)]

    answered = []
    for user in users:
        response = await client.post("/v1/chat/completions", headers=headers, json={
            "model": "canary-demo", "messages": MESSAGES_HELLO, "user": user})
        content = response.json()["choices"][0]["message"]["content"]
        answered.append(stable.id if "'stable-model'" in content else canary.id)

    expected = [choose(group, name="canary-demo", user=u).id for u in users]
    assert answered == expected
    assert set(expected) == {stable.id, canary.id}  # both arms exercised
    logged = list(await session.scalars(select(ModelUsageLog.deployment_id).order_by(
        ModelUsageLog.created_at)))
    assert logged == expected
