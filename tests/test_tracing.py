"""Tracing: off without the OTEL variables (no middleware, no provider), and with them a real
OTLP/HTTP receiver gets, in the client's trace, the operation's span named for the operation
and the SQL statements it ran as its descendants."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from opentelemetry import trace
from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
from opentelemetry.proto.trace.v1.trace_pb2 import Span
from opentelemetry.sdk.trace import TracerProvider
from strawberry.relay import to_base64

from app.main import create_app
from services import telemetry
from tests.chat.conftest import STUB_KEY, stub_url  # noqa: F401 (the OpenAI-compatible stub)
from tests.conftest import bearer_headers
from tests.factories.ai_models import make_model
from tests.factories.chat import make_chat_session
from tests.factories.identity import make_membership, make_organization, make_user
from tests.factories.knowledge import make_collection
from tests.otlp import (
    Receiver,
    attributes,
    descends_from,
    running_receiver,
    wait_for,
    wait_for_names,
)
from tests.servers import app_servers

FLAT_REQUEST = {"query": "query Flat { organizations(first: 5) { edges { node { slug } } } }",
                "operationName": "Flat"}
NESTED_REQUEST = {"operationName": "Nested", "query": """query Nested {
  organizations(first: 5) { edges { node { slug
    members(first: 5) { edges { node { role user { username } } } } } } } }"""}
TRACE_IDS = ("0af7651916cd43dd8448eb211c80319c", "4bf92f3577b34da6a3ce929d0e0e4736")
CLIENT_SPAN_ID = "b7ad6b7169203331"
TRACING = {"OTEL_BSP_SCHEDULE_DELAY": "100", "OTEL_SERVICE_NAME": "aiplatform-test"}


def traceparent(trace_id: str) -> dict[str, str]:
    return {"traceparent": f"00-{trace_id}-{CLIENT_SPAN_ID}-01"}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as server:
        yield server


def test_without_otel_variables_nothing_is_installed(settings, monkeypatch) -> None:
    for name in (*telemetry.ENDPOINTS, "OTEL_SDK_DISABLED"):
        monkeypatch.delenv(name, raising=False)
    application = create_app(settings)

    assert not telemetry.enabled()
    assert telemetry.configure() is False
    assert not isinstance(trace.get_tracer_provider(), TracerProvider)
    assert not any(m.cls in (OpenTelemetryMiddleware, telemetry.OperationSpan)
                   for m in application.user_middleware)


def test_the_sdk_switch_and_the_endpoint_decide() -> None:
    endpoint = {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}
    assert telemetry.enabled(endpoint)
    assert telemetry.enabled({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://c:4318/v1/traces"})
    assert not telemetry.enabled({**endpoint, "OTEL_SDK_DISABLED": "true"})
    assert not telemetry.enabled({"OTEL_SERVICE_NAME": "api"})


async def test_an_otlp_receiver_gets_the_operation_span_with_sql_children(
        settings, app, session, receiver: Receiver) -> None:
    """The first answer is planned, the second comes through the known-query door: both
    are traced alike, each in its client's trace."""
    user = await make_user(session)
    await session.commit()
    authorization = await bearer_headers(app, session, user)

    with app_servers(settings, OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint,
                     **TRACING) as (api,):
        async with httpx.AsyncClient(base_url=api, timeout=30) as client:
            for trace_id in TRACE_IDS:
                answer = await client.post("/graphql", json=FLAT_REQUEST, headers={
                    **authorization, **traceparent(trace_id)})
                assert answer.status_code == 200 and "errors" not in answer.json()
        spans = await wait_for(receiver, lambda spans: all(
            operation_and_sql(spans, bytes.fromhex(t)) for t in TRACE_IDS))

    for trace_id in TRACE_IDS:
        ours = [s for s in spans if s.trace_id == bytes.fromhex(trace_id)]
        by_id = {s.span_id: s for s in ours}
        (operation,) = [s for s in ours if s.name == "query Flat"]
        assert operation.kind == Span.SPAN_KIND_SERVER
        assert operation.parent_span_id == bytes.fromhex(CLIENT_SPAN_ID)  # the client's span
        assert attributes(operation)["graphql.operation.type"] == "query"
        assert attributes(operation)["graphql.operation.name"] == "Flat"
        sql = [s for s in ours if attributes(s).get("db.system") == "postgresql"]
        assert sql and all(descends_from(s, operation, by_id) for s in sql)
        assert all(s.kind == Span.SPAN_KIND_CLIENT for s in sql)


def operation_and_sql(spans: list[Span], trace_id: bytes) -> bool:
    ours = [s for s in spans if s.trace_id == trace_id]
    return (any(s.name == "query Flat" for s in ours)
            and any(attributes(s).get("db.system") == "postgresql" for s in ours))


def named(spans: list[Span], name: str) -> Span:
    (found,) = [s for s in spans if s.name == name]
    return found


def sql_children(spans: list[Span], parent: Span) -> list[Span]:
    return [s for s in spans if s.parent_span_id == parent.span_id
            and attributes(s).get("db.system") == "postgresql"]


async def test_each_planner_level_is_a_span_over_its_statements(
        settings, app, session, receiver: Receiver) -> None:
    """Organizations, then their members, then the members' users: each relation of a level
    is a span inside the one of the level above, and its statement is its child."""
    user = await make_user(session)
    await make_membership(session, organization=await make_organization(session), user=user,
                          role="owner")
    await session.commit()
    authorization = await bearer_headers(app, session, user)
    trace_id = TRACE_IDS[0]

    with app_servers(settings, OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint,
                     **TRACING) as (api,):
        async with httpx.AsyncClient(base_url=api, timeout=30) as client:
            answer = await client.post("/graphql", json=NESTED_REQUEST,
                                       headers={**authorization, **traceparent(trace_id)})
        assert answer.status_code == 200 and "errors" not in answer.json(), answer.text
        spans = await wait_for_names(receiver, trace_id, "planner User", "query Nested")

    by_id = {s.span_id: s for s in spans}
    operation = named(spans, "query Nested")
    organizations, members, users = (named(spans, f"planner {name}")
                                     for name in ("organizations", "members", "User"))
    assert organizations.parent_span_id == operation.span_id
    assert members.parent_span_id == organizations.span_id
    assert users.parent_span_id == members.span_id
    assert attributes(members)["aiplatform.planner.parents"] == 1
    for level in (organizations, members, users):
        assert sql_children(spans, level), level.name
        assert descends_from(level, operation, by_id)


async def test_a_chat_reply_is_a_provider_span_whose_request_carries_the_trace(
        settings, app, session, receiver: Receiver, stub_url: str) -> None:  # noqa: F811
    """The reply is generated after the mutation answered, still in the client's trace: a
    `chat {model}` span with the generative-AI attributes, whose HTTP call to the provider is
    its child and sends the provider that call's span as `traceparent`."""
    user, organization = await make_user(session), await make_organization(session)
    await make_membership(session, organization=organization, user=user, role="member")
    model = await make_model(session, organization=organization, name="remote",
                             provider="openai", config={"base_url": stub_url, "api_key": STUB_KEY,
                                                        "model": "stub-echo"})
    chat = await make_chat_session(session, user=user, model=model)
    await session.commit()
    authorization = await bearer_headers(app, session, user)
    trace_id = TRACE_IDS[1]
    send = {"query": """mutation Send($input: SendMessageInput!) {
        sendMessage(input: $input) { replyMessageId userErrors { code } } }""",
            "variables": {"input": {"sessionId": to_base64("ChatSession", chat.id),
                                    "content": "trace me"}}}

    with app_servers(settings, OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint,
                     **TRACING) as (api,):
        async with httpx.AsyncClient(base_url=api, timeout=30) as client:
            answer = await client.post("/graphql", json=send,
                                       headers={**authorization, **traceparent(trace_id)})
            assert answer.json()["data"]["sendMessage"]["userErrors"] == [], answer.text
            spans = await wait_for_names(receiver, trace_id, "chat remote", "mutation Send")
            received = (await client.get(stub_url.removesuffix("/v1") + "/requests")).json()

    reply = named(spans, "chat remote")
    assert reply.kind == Span.SPAN_KIND_CLIENT
    assert descends_from(reply, named(spans, "mutation Send"), {s.span_id: s for s in spans})
    assert {k: v for k, v in attributes(reply).items() if k.startswith("gen_ai.")} == {
        "gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "remote"}
    assert attributes(reply)["aiplatform.chat.pieces"] == 3  # "Echo:", " trace", " me"
    (call,) = [s for s in spans if s.parent_span_id == reply.span_id]
    assert call.kind == Span.SPAN_KIND_CLIENT
    (asked,) = [r for r in received if r["body"]["messages"][-1]["content"] == "trace me"]
    assert asked["traceparent"] == f"00-{trace_id}-{call.span_id.hex()}-01"


async def test_a_vector_search_is_a_span_of_the_query(
        settings, app, session, receiver: Receiver) -> None:
    user, organization = await make_user(session), await make_organization(session)
    await make_membership(session, organization=organization, user=user, role="member")
    collection = await make_collection(session, organization=organization)
    await session.commit()
    authorization = await bearer_headers(app, session, user)
    trace_id = TRACE_IDS[0]
    ask = {"query": """mutation Ask($input: RagQueryInput!) {
        ragQuery(input: $input) { hits { score } userErrors { code } } }""",
           "variables": {"input": {"collectionId": to_base64("KnowledgeCollection", collection.id),
                                   "query": "How long does a charging session last?"}}}

    with app_servers(settings, OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint,
                     **TRACING) as (api,):
        async with httpx.AsyncClient(base_url=api, timeout=60) as client:
            answer = await client.post("/graphql", json=ask,
                                       headers={**authorization, **traceparent(trace_id)})
        assert answer.json()["data"]["ragQuery"] == {"hits": [], "userErrors": []}, answer.text
        spans = await wait_for_names(receiver, trace_id, "search pgvector", "mutation Ask")

    search = named(spans, "search pgvector")
    assert search.kind == Span.SPAN_KIND_CLIENT
    assert search.parent_span_id != b"" and descends_from(
        search, named(spans, "mutation Ask"), {s.span_id: s for s in spans})
    assert attributes(search)["db.system.name"] == "postgresql"
    assert attributes(search)["aiplatform.knowledge.collection_id"] == str(collection.id)
    assert sql_children(spans, search)  # pgvector's statement, inside the store's span
