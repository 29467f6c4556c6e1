"""Browser apps on other origins: CORS on every route (/graphql's known-query path included)
for the origins AIPLATFORM_CORS_ORIGINS lists and none for others, 204 preflights, websocket
pages checked against the same list, and a real headless Chromium that queries and
subscribes from another origin, and is kept out from an unlisted one."""

from __future__ import annotations

import asyncio
import functools
import http.server
import json
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from strawberry.relay import to_base64
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from app.main import CORS_HEADERS, create_app
from db.models import Organization
from services.settings import Settings, problems
from tests.browser import chromium
from tests.conftest import bearer_headers
from tests.factories.experiments import make_watched_run
from tests.factories.identity import make_membership, make_organization, make_user
from tests.gateway.conftest import deploy
from tests.servers import app_servers

FRONTEND = "http://localhost:3000"
FLAT = "query Flat { organizations(first: 5) { edges { node { slug } } } }"
PAGE_DIR = Path(__file__).parent / "browser"
PROGRESS = """subscription ($runId: ID!) { runProgress(runId: $runId) {
  __typename ... on RunStatusChanged { run { status } } } }"""


@pytest.fixture
async def cors_app(settings: Settings) -> AsyncIterator[Starlette]:
    application = create_app(settings.model_copy(update={
        "cors_origins": f"{FRONTEND}, https://app.example.com/"}))
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def browser_client(cors_app: Starlette, db) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=cors_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as http:
        yield http


def cors_headers(response: httpx.Response) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k.startswith("access-control-")}


async def test_a_preflight_from_a_listed_origin_is_204_with_what_clients_send(
        browser_client) -> None:
    answer = await browser_client.options("/graphql", headers={
        "origin": FRONTEND, "access-control-request-method": "POST",
        "access-control-request-headers": "content-type, authorization, x-request-id"})

    assert answer.status_code == 204 and answer.content == b""
    headers = cors_headers(answer)
    assert headers["access-control-allow-origin"] == FRONTEND
    assert set(headers["access-control-allow-methods"].split(", ")) >= {"GET", "POST"}
    assert {h.strip() for h in headers["access-control-allow-headers"].lower().split(",")} >= set(
        CORS_HEADERS)
    assert headers["access-control-max-age"] == "600"


# what the openai SDK sends with each call, besides content-type and authorization
OPENAI_SDK_HEADERS = (
    "x-stainless-os, x-stainless-lang, x-stainless-package-version, x-stainless-runtime, "
    "x-stainless-runtime-version, x-stainless-arch, x-stainless-retry-count, "
    "x-stainless-timeout, x-stainless-async, openai-organization, openai-project")


@pytest.mark.parametrize(("method", "path"), [("POST", "/v1/chat/completions"),
                                              ("GET", "/v1/models")])
async def test_a_gateway_preflight_allows_the_openai_sdks_headers(browser_client, method,
                                                                  path) -> None:
    answer = await browser_client.options(path, headers={
        "origin": FRONTEND, "access-control-request-method": method,
        "access-control-request-headers": f"content-type, authorization, {OPENAI_SDK_HEADERS}"})

    assert answer.status_code == 204
    allowed = {h.strip() for h in answer.headers["access-control-allow-headers"].split(",")}
    assert allowed >= {h.strip() for h in OPENAI_SDK_HEADERS.split(",")}
    assert answer.headers["access-control-allow-origin"] == FRONTEND


async def test_an_unlisted_origin_gets_no_cors_headers(browser_client, session,
                                                       cors_app) -> None:
    preflight = await browser_client.options("/graphql", headers={
        "origin": "https://evil.example", "access-control-request-method": "POST"})
    post = await browser_client.post("/graphql", json={"query": "{ __typename }"},
                                     headers={"origin": "https://evil.example"})

    assert preflight.status_code == 400
    assert preflight.json()["errors"][0]["extensions"]["code"] == "CORS_REFUSED"
    assert cors_headers(preflight) == {}
    assert post.status_code == 200 and cors_headers(post) == {}


async def test_every_route_answers_a_listed_origin_the_known_path_too(
        browser_client, session, cors_app) -> None:
    org = await make_organization(session)
    user = await make_user(session)
    await make_membership(session, organization=org, user=user, role="member")
    headers = {**await bearer_headers(cors_app, session, user), "origin": FRONTEND}
    before = known_count(cors_app)

    first = await browser_client.post("/graphql", json={"query": FLAT}, headers=headers)
    again = await browser_client.post("/graphql", json={"query": FLAT}, headers=headers)
    get = await browser_client.get("/graphql", params={"query": "{ __typename }"},
                                   headers={"origin": FRONTEND})
    live = await browser_client.get("/livez", headers={"origin": "https://app.example.com"})

    assert known_count(cors_app) == before + 1  # the second was answered by the known door
    for answer in (first, again, get):
        assert answer.status_code == 200
        assert answer.headers["access-control-allow-origin"] == FRONTEND
    assert live.headers["access-control-allow-origin"] == "https://app.example.com"
    assert "retry-after" in first.headers["access-control-expose-headers"].lower()


def known_count(app: Starlette) -> int:
    graphql = next(route for route in app.routes if getattr(route, "path", "") == "/graphql")
    return graphql.endpoint.schema.planner.stats.snapshot()["known"]  # type: ignore[attr-defined]


def test_any_origin_with_credentials_is_refused_at_start() -> None:
    settings = Settings(cors_origins="*", cors_allow_credentials=True)

    assert problems(settings) == ["AIPLATFORM_CORS_ORIGINS may not be * with "
                                  "AIPLATFORM_CORS_ALLOW_CREDENTIALS (name the origins)"]


@pytest.fixture(scope="module")
def page_server() -> Iterator[int]:
    """The web app's own origin: a static server for the test page and the graphql-ws client."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(PAGE_DIR))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.fixture
async def run_watcher(app: Starlette, session, db) -> dict[str, str]:
    """A member watching a run of an organization that runs the deployment `browser-bot`."""
    user, run = await make_watched_run(session)
    await deploy(session, organization=await session.get(Organization, run.organization_id),
                 name="browser-bot", model_name="bot")
    await session.commit()
    token = (await bearer_headers(app, session, user))["authorization"].removeprefix("Bearer ")
    return {"token": token, "run_id": to_base64("Run", run.id)}


async def in_browser(page_url: str, api: str, token: str, run_id: str
                     ) -> tuple[dict, dict, dict]:
    async with chromium() as page:
        await page.goto(page_url)
        queried = await page.evaluate(
            f"query({json.dumps(api + '/graphql')}, {json.dumps(token)}, {json.dumps(FLAT)})")
        subscribed = await page.evaluate(
            f"firstEvent({json.dumps(api.replace('http', 'ws', 1) + '/graphql')}, "
            f"{json.dumps(token)}, {json.dumps(PROGRESS)}, {json.dumps({'runId': run_id})})")
        listed = await page.evaluate(
            f"listModels({json.dumps(api + '/v1/models')}, {json.dumps(token)})")
    return queried, subscribed, listed


async def test_a_browser_on_a_listed_origin_queries_subscribes_and_calls_the_gateway(
        settings, page_server: int, run_watcher) -> None:
    origin = f"http://127.0.0.1:{page_server}"
    with app_servers(settings, AIPLATFORM_CORS_ORIGINS=origin) as (api,):
        queried, subscribed, listed = await in_browser(
            f"{origin}/app.html", api, run_watcher["token"], run_watcher["run_id"])

    assert queried["status"] == 200
    assert len(queried["body"]["data"]["organizations"]["edges"]) == 1
    assert subscribed == {"event": {"data": {"runProgress": {
        "__typename": "RunStatusChanged", "run": {"status": "RUNNING"}}}}}
    assert listed["status"] == 200
    assert [m["id"] for m in listed["body"]["data"]] == ["browser-bot"]


async def test_a_browser_on_an_unlisted_origin_is_kept_out(
        settings, page_server: int, run_watcher) -> None:
    listed = f"http://127.0.0.1:{page_server}"
    with app_servers(settings, AIPLATFORM_CORS_ORIGINS=listed) as (api,):
        # the same page from another origin (localhost is not 127.0.0.1 to a browser)
        queried, subscribed, models = await in_browser(
            f"http://localhost:{page_server}/app.html", api, run_watcher["token"],
            run_watcher["run_id"])

    assert queried == models == {"failed": "TypeError: Failed to fetch"}
    assert "event" not in subscribed


async def test_websocket_origins_are_checked(settings) -> None:
    with app_servers(settings, AIPLATFORM_CORS_ORIGINS=FRONTEND) as (api,):
        ws = api.replace("http", "ws", 1) + "/graphql"
        async with connect(ws, subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
                           origin=FRONTEND) as listed:  # type: ignore[arg-type]
            await listed.send(json.dumps({"type": "connection_init", "payload": {}}))
            assert json.loads(await asyncio.wait_for(listed.recv(), 10))["type"] == \
                "connection_ack"
        async with connect(ws, subprotocols=["graphql-transport-ws"]) as no_origin:  # type: ignore[list-item]
            await no_origin.send(json.dumps({"type": "connection_init", "payload": {}}))
            assert json.loads(await asyncio.wait_for(no_origin.recv(), 10))["type"] == \
                "connection_ack"
        with pytest.raises(InvalidStatus) as refused:
            async with connect(ws, subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
                               origin="https://evil.example"):  # type: ignore[arg-type]
                pass
    assert refused.value.response.status_code == 403


async def test_without_listed_origins_only_the_servers_own_pages_open_sockets(
        settings) -> None:
    with app_servers(settings) as (api,):
        ws = api.replace("http", "ws", 1) + "/graphql"
        async with connect(ws, subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
                           origin=api):  # type: ignore[arg-type]
            pass
        with pytest.raises(InvalidStatus) as refused:
            async with connect(ws, subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
                               origin=FRONTEND):  # type: ignore[arg-type]
                pass
    assert refused.value.response.status_code == 403
