"""GraphiQL in a real headless Chromium, served by a real server: the explorer builds a query
by ticking a field, the headers typed in the Headers tab go with HTTP requests and with the
websocket's connection_init, a subscription runs from the play button, what was typed is kept
across a reload, and no request leaves the server's origin."""

from __future__ import annotations

import asyncio
import json
import time
from urllib.parse import urlsplit

import pytest
from starlette.applications import Starlette
from strawberry.relay import to_base64

from tests.browser import Page, chromium
from tests.conftest import bearer_headers
from tests.factories.experiments import make_watched_run
from tests.servers import app_servers

ME = "query Me { viewer { username } }"
PROGRESS = 'subscription Watch {{ runProgress(runId: "{run_id}") {{ __typename }} }}'

# Resolves with `predicate`'s value once it is truthy, checked on every change of the page's
# DOM (the test waits for what GraphiQL renders, not for a time); after 30 s it rejects with
# the page's text, for the failure message.
WHEN = """new Promise((resolve, reject) => {
  const predicate = () => { try { return (%s); } catch (e) { return null; } };
  const check = () => { const value = predicate();
    if (value) { observer.disconnect(); clearTimeout(timer); resolve(value); } };
  const observer = new MutationObserver(check);
  observer.observe(document, {subtree: true, childList: true, characterData: true,
                              attributes: true});
  const timer = setTimeout(() => { observer.disconnect();
    reject(new Error('never true; the page says: ' + document.body.innerText)); }, 30000);
  check();
})"""

# GraphiQL's editors are CodeMirror 5 instances, each on its element's `CodeMirror`.
QUERY_EDITOR = ".graphiql-query-editor .CodeMirror"
HEADERS_EDITOR = ".graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror"
RESULT = ".result-window .CodeMirror"
EXPLORER = ".graphiql-explorer-root"
RUN_BUTTON = ".graphiql-execute-button"


def editor(selector: str) -> str:
    return f"document.querySelector({json.dumps(selector)}).CodeMirror"


async def when(page: Page, predicate: str) -> object:
    return await page.evaluate(WHEN % predicate)


async def open_graphiql(page: Page, origin: str) -> str:
    """Load GraphiQL; return the explorer panel's text once it lists the schema's fields."""
    await page.goto(f"{origin}/graphql")
    return str(await when(page, f"document.querySelector('{EXPLORER} "
                                f".graphiql-explorer-field-view')"
                                f" && document.querySelector('{EXPLORER}').innerText"))


async def type_into(page: Page, query: str | None = None, headers: str | None = None) -> None:
    if query is not None:
        await page.evaluate(f"{editor(QUERY_EDITOR)}.setValue({json.dumps(query)})")
    if headers is not None:
        await page.evaluate("document.querySelector('[data-name=\"headers\"]').click()")
        await page.evaluate(f"{editor(HEADERS_EDITOR)}.setValue({json.dumps(headers)})")


async def run_until(page: Page, text: str) -> dict:
    """Press the play button; return the result pane's JSON once it contains `text`."""
    # GraphiQL parses the editor after a change; while it still sees several operations the
    # button opens a menu to pick one instead of running
    await when(page, f"!document.querySelector('{RUN_BUTTON}').hasAttribute('aria-haspopup')")
    await page.evaluate(f"document.querySelector('{RUN_BUTTON}').click()")
    shown = await when(page, f"{editor(RESULT)}.getValue().includes({json.dumps(text)})"
                             f" && {editor(RESULT)}.getValue()")
    return json.loads(str(shown))


async def saved(page: Page, text: str) -> None:
    """Wait until GraphiQL has saved `text` in its storage (it saves edits after a pause, and
    storage changes raise no event in the page that made them): polling, bounded."""
    deadline = time.monotonic() + 30
    expression = ("['graphiql:headers', 'graphiql:tabState'].every(key => "
                  f"(localStorage.getItem(key) || '').includes({json.dumps(text)}))")
    while not await page.evaluate(expression):
        assert time.monotonic() < deadline, "GraphiQL did not save the headers"
        await asyncio.sleep(0.05)


def request_urls(page: Page) -> list[str]:
    """Every URL the page asked for: the page, its assets, fetches and websockets."""
    urls = []
    for event in page.events:
        if event.get("method") == "Network.requestWillBeSent":
            urls.append(event["params"]["request"]["url"])
        elif event.get("method") == "Network.webSocketCreated":
            urls.append(event["params"]["url"])
    return urls


def off_origin(urls: list[str], origin: str) -> list[str]:
    """The URLs not on `origin` over HTTP or websockets (inline data: URLs stay local)."""
    host = urlsplit(origin).netloc
    return [url for url in urls if not url.startswith("data:")
            and (urlsplit(url).scheme not in ("http", "ws") or urlsplit(url).netloc != host)]


def graphql_posts(page: Page) -> list[dict]:
    return [event["params"]["request"] for event in page.events
            if event.get("method") == "Network.requestWillBeSent"
            and event["params"]["request"]["method"] == "POST"]


def frames_sent(page: Page) -> list[dict]:
    return [json.loads(event["params"]["response"]["payloadData"]) for event in page.events
            if event.get("method") == "Network.webSocketFrameSent"]


@pytest.fixture
async def member(app: Starlette, session, db) -> dict[str, str]:
    """A member's username, Authorization header and a running run of their organization."""
    user, run = await make_watched_run(session)
    await session.commit()
    return {"username": user.username,
            "authorization": (await bearer_headers(app, session, user))["authorization"],
            "run_id": to_base64("Run", run.id)}


async def test_the_explorer_builds_a_query_sent_with_the_typed_headers(
        settings, member) -> None:
    headers = json.dumps({"Authorization": member["authorization"]})
    with app_servers(settings) as (origin,):
        async with chromium() as page:
            await page.call("Network.enable")
            explorer = await open_graphiql(page, origin)
            await type_into(page, query=ME, headers=headers)
            # when: `email` is ticked in the explorer, under the viewer the document selects
            # (once the explorer shows that document: the default one's logIn is gone)
            await when(page, f"!document.querySelector('{EXPLORER}').innerText.includes('logIn')"
                             f" && [...document.querySelectorAll('{EXPLORER} "
                             ".graphiql-explorer-field-view')].some(f => f.textContent === "
                             "'email')")
            await page.evaluate(f"[...document.querySelectorAll('{EXPLORER} "
                                ".graphiql-explorer-field-view')].find(f => f.textContent === "
                                "'email').parentElement.click()")
            built = await when(page, f"{editor(QUERY_EDITOR)}.getValue().includes('email')"
                                     f" && {editor(QUERY_EDITOR)}.getValue()")
            answer = await run_until(page, "email")
            posts = graphql_posts(page)
            urls = request_urls(page)

    # the default document's operations, and buttons to add one of each type
    assert {"logIn", "organizations", "Query", "Mutation", "Subscription"} <= set(
        explorer.split())
    assert " ".join(str(built).split()) == "query Me { viewer { username email } }"
    assert answer == {"data": {"viewer": {"username": member["username"],
                                          "email": f"{member['username']}@example.com"}}}
    [me] = [post for post in posts if "viewer" in post.get("postData", "")]
    assert me["url"] == f"{origin}/graphql"
    assert me["headers"]["Authorization"] == member["authorization"]
    assert f"{origin}/static/graphiql/graphiql-plugin-explorer.umd.js" in urls
    assert off_origin(urls, origin) == []


async def test_a_subscription_runs_over_the_websocket_and_the_editors_are_kept(
        settings, member) -> None:
    document = PROGRESS.format(run_id=member["run_id"])
    headers = json.dumps({"Authorization": member["authorization"]})
    with app_servers(settings) as (origin,):
        async with chromium() as page:
            await page.call("Network.enable")
            await open_graphiql(page, origin)
            await type_into(page, query=document, headers=headers)
            event = await run_until(page, "runProgress")
            sent = frames_sent(page)
            # and: a reload shows what was typed, from GraphiQL's storage in this browser
            await saved(page, member["authorization"])
            await open_graphiql(page, origin)
            kept_query = await page.evaluate(f"{editor(QUERY_EDITOR)}.getValue()")
            await page.evaluate("document.querySelector('[data-name=\"headers\"]').click()")
            kept_headers = await page.evaluate(f"{editor(HEADERS_EDITOR)}.getValue()")
            urls = request_urls(page)

    assert event == {"data": {"runProgress": {"__typename": "RunStatusChanged"}}}
    assert sent[0] == {"type": "connection_init",
                       "payload": {"Authorization": member["authorization"]}}
    assert sent[1]["type"] == "subscribe" and sent[1]["payload"]["query"] == document
    assert origin.replace("http", "ws", 1) + "/graphql" in urls
    assert off_origin(urls, origin) == []
    assert (kept_query, kept_headers) == (document, headers)
