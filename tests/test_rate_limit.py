"""Sliding-window rate limits: per user when authenticated, per IP otherwise; 429 RATE_LIMITED."""

from __future__ import annotations

import asyncio
import secrets
from collections import Counter
from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette

from app.main import create_app
from db.models import ApiKey
from services.ratelimit import RateLimiter, ip_key, user_key
from services.security.api_keys import generate_api_key
from tests.conftest import bearer_headers
from tests.factories.identity import make_membership, make_organization, make_user

QUERY = {"query": "{ organizations { totalCount } }"}


@pytest.fixture
def key() -> str:
    return f"rate_limit:test:{secrets.token_hex(8)}"


async def test_the_window_slides(redis, key) -> None:
    limiter = RateLimiter(redis, window_seconds=60)

    allowed = [await limiter.hit(key, 3, now=t) for t in (0.0, 1.0, 2.0)]
    refused = await limiter.hit(key, 3, now=3.0)
    after_first_left = await limiter.hit(key, 3, now=60.5)  # t=0 has slid out
    refused_again = await limiter.hit(key, 3, now=60.6)  # t=1 is still inside

    assert allowed == [None, None, None]
    assert refused == pytest.approx(57.0)  # until t=0 leaves the window
    assert after_first_left is None
    assert refused_again == pytest.approx(0.4)


async def test_refused_requests_are_not_counted(redis, key) -> None:
    limiter = RateLimiter(redis, window_seconds=10)
    await limiter.hit(key, 1, now=100.0)

    for t in range(101, 110):
        assert await limiter.hit(key, 1, now=float(t)) is not None
    assert await limiter.hit(key, 1, now=110.5) is None  # waiting the advertised time works


async def test_user_and_ip_buckets_are_separate(redis) -> None:
    limiter = RateLimiter(redis)
    user, ip = user_key(secrets.token_hex(8)), ip_key(f"test-{secrets.token_hex(8)}")

    assert await limiter.hit(user, 1) is None
    assert await limiter.hit(user, 1) is not None
    assert await limiter.hit(ip, 1) is None
    assert user.startswith("rate_limit:user:") and ip.startswith("rate_limit:ip:")


@pytest.fixture
async def small_app(settings) -> AsyncIterator[Starlette]:
    """The real app with tiny limits: 2 requests a minute per IP, 3 per user."""
    application = create_app(settings.model_copy(update={
        "rate_limit_per_minute_ip": 2, "rate_limit_per_minute_user": 3}))
    async with application.router.lifespan_context(application):
        yield application


def client_for(app: Starlette, ip: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(ip, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://test")


def random_ip() -> str:
    return "10." + ".".join(str(secrets.randbelow(250) + 1) for _ in range(3))


async def test_over_the_limit_is_429_rate_limited_with_retry_after(small_app, db) -> None:
    async with client_for(small_app, random_ip()) as client:
        answers = [await client.post("/graphql", json=QUERY) for _ in range(3)]
        graphiql = await client.get("/graphql", headers={"accept": "text/html"})

    assert [a.status_code for a in answers] == [200, 200, 429]
    limited = answers[2]
    retry_after = int(limited.headers["retry-after"])
    assert 1 <= retry_after <= 60
    assert limited.json() == {"errors": [{
        "message": f"Too many requests: retry in {retry_after} s",
        "extensions": {"code": "RATE_LIMITED", "retryAfter": retry_after}}]}
    assert graphiql.status_code == 200  # the GraphiQL page is not a GraphQL request


async def test_authenticated_callers_are_limited_per_user_not_per_ip(
    small_app, db, session
) -> None:
    # given alice with a login and an API key, and an IP whose anonymous budget is spent
    org = await make_organization(session)
    alice = await make_user(session)
    await make_membership(session, organization=org, user=alice)
    secret, prefix, key_hash = generate_api_key()
    session.add(ApiKey(organization_id=org.id, user_id=alice.id, name="k", prefix=prefix,
                       key_hash=key_hash, scopes=[]))
    login = await bearer_headers(small_app, session, alice)
    with_key = {"authorization": f"Bearer {secret}"}
    ip = random_ip()
    async with client_for(small_app, ip) as client:
        anonymous = [await client.post("/graphql", json=QUERY) for _ in range(3)]

        # when alice sends 4 requests from it, half with her key
        mine = [await client.post("/graphql", json=QUERY, headers=h)
                for h in (login, with_key, login, with_key)]
    async with client_for(small_app, random_ip()) as elsewhere:
        from_another_ip = await elsewhere.post("/graphql", json=QUERY, headers=login)

    # then her 3 per minute count across both credentials, wherever she calls from
    assert [a.status_code for a in anonymous] == [200, 200, 429]
    assert [m.status_code for m in mine] == [200, 200, 200, 429]
    assert mine[3].json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert from_another_ip.status_code == 429


async def test_limits_can_be_turned_off(settings, db) -> None:
    app = create_app(settings.model_copy(update={
        "rate_limit_enabled": False, "rate_limit_per_minute_ip": 1}))
    async with app.router.lifespan_context(app), client_for(app, random_ip()) as client:
        answers = [await client.post("/graphql", json=QUERY) for _ in range(3)]

    assert [a.status_code for a in answers] == [200, 200, 200]


async def redis_calls(redis) -> Counter[str]:
    stats = await redis.info("commandstats")
    return Counter({name.removeprefix("cmdstat_"): value["calls"]
                    for name, value in stats.items()})


async def test_a_busy_caller_costs_one_redis_command_per_claim_and_never_more_than_the_limit(
    small_app, db, session
) -> None:
    alice = await make_user(session)
    login = await bearer_headers(small_app, session, alice)
    redis = small_app.state.redis
    async with client_for(small_app, random_ip()) as client:
        first = await client.post("/graphql", json=QUERY, headers=login)  # fills the caches
        before = await redis_calls(redis)
        second = await client.post("/graphql", json=QUERY, headers=login)
        claimed = await redis_calls(redis) - before
        third = await client.post("/graphql", json=QUERY, headers=login)
        local = await redis_calls(redis) - before - claimed
        fourth = await client.post("/graphql", json=QUERY, headers=login)
    counted = await redis.zcard(user_key(alice.id))

    # the second request claims two slots in one script (which reads the session and the
    # user, then counts; Redis counts the commands a script runs, and this test's INFO);
    # the third uses the claimed slot without a command; the 3 a minute still hold
    assert claimed == Counter({"evalsha": 1, "get": 2, "zremrangebyscore": 1, "zcard": 1,
                               "zadd": 1, "pexpire": 1, "info": 1})
    assert local == Counter({"info": 1})
    assert [r.status_code for r in (first, second, third, fourth)] == [200, 200, 200, 429]
    assert counted == 3


async def test_claims_grow_with_a_callers_pace(settings, db, session) -> None:
    app = create_app(settings.model_copy(update={"rate_limit_per_minute_user": 1000}))
    async with app.router.lifespan_context(app):
        alice = await make_user(session)
        login = await bearer_headers(app, session, alice)
        async with client_for(app, random_ip()) as client:
            before = await redis_calls(app.state.redis)
            answers = [await client.post("/graphql", json=QUERY, headers=login)
                       for _ in range(31)]
            calls = await redis_calls(app.state.redis) - before
        counted = await app.state.redis.zcard(user_key(alice.id))

    assert {a.status_code for a in answers} == {200}
    # claims of 1, 2, 4, 8 and 16 slots (unless a pause over a second halved one)
    assert 5 <= calls["evalsha"] <= 10
    assert counted >= 31 and counted <= 31 + 16  # slots claimed but not used yet count too


async def test_requests_with_an_ended_session_are_not_counted(small_app, db, session) -> None:
    alice = await make_user(session)
    old = await bearer_headers(small_app, session, alice)
    current = await bearer_headers(small_app, session, alice)
    async with client_for(small_app, random_ip()) as client:
        await client.post("/graphql", json={"query": "mutation { logOut { ok } }"},
                          headers=old)  # counted: 1
        refused = [await client.post("/graphql", json=QUERY, headers=old) for _ in range(4)]
        mine = [await client.post("/graphql", json=QUERY, headers=current) for _ in range(3)]

    assert {r.status_code for r in refused} == {401}
    assert [r.status_code for r in mine] == [200, 200, 429]


async def test_concurrent_requests_share_claims_and_get_exactly_the_limit(
    settings, db, session
) -> None:
    app = create_app(settings.model_copy(update={"rate_limit_per_minute_user": 20}))
    async with app.router.lifespan_context(app):
        login = await bearer_headers(app, session, await make_user(session))
        async with client_for(app, random_ip()) as client:
            await client.post("/graphql", json=QUERY, headers=login)  # fills the caches
            answers = await asyncio.gather(*(
                client.post("/graphql", json=QUERY, headers=login) for _ in range(30)))

    # one claim at a time: no slot claimed twice or dropped by requests in flight together
    statuses = Counter(a.status_code for a in answers)
    assert statuses == Counter({200: 19, 429: 11})
