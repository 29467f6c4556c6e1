"""Tracing: off without the OTEL variables (no middleware, no provider), and with them a real
OTLP/HTTP receiver gets, in the client's trace, the operation's span named for the operation
and the SQL statements it ran as its descendants."""

from __future__ import annotations

import asyncio
import gzip
import http.server
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
from opentelemetry import trace
from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.trace.v1.trace_pb2 import Span
from opentelemetry.sdk.trace import TracerProvider

from app.main import create_app
from services import telemetry
from tests.conftest import bearer_headers
from tests.factories.identity import make_user
from tests.servers import app_servers

FLAT_REQUEST = {"query": "query Flat { organizations(first: 5) { edges { node { slug } } } }",
                "operationName": "Flat"}
TRACE_IDS = ("0af7651916cd43dd8448eb211c80319c", "4bf92f3577b34da6a3ce929d0e0e4736")
WAIT_SECONDS = 30  # for the batch to reach the receiver
CLIENT_SPAN_ID = "b7ad6b7169203331"


class Receiver(http.server.ThreadingHTTPServer):
    """An OTLP/HTTP trace receiver: POST /v1/traces with an ExportTraceServiceRequest."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), ReceiverHandler)
        self.spans: list[Span] = []
        self.lock = threading.Lock()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def received(self) -> list[Span]:
        with self.lock:
            return list(self.spans)


class ReceiverHandler(http.server.BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["content-length"]))
        if self.headers.get("content-encoding") == "gzip":
            body = gzip.decompress(body)
        if self.path != "/v1/traces":
            self.send_response(404)
            self.end_headers()
            return
        request = ExportTraceServiceRequest.FromString(body)
        with self.server.lock:
            for resource_spans in request.resource_spans:
                for scope_spans in resource_spans.scope_spans:
                    self.server.spans.extend(scope_spans.spans)
        answer = ExportTraceServiceResponse().SerializeToString()
        self.send_response(200)
        self.send_header("content-type", "application/x-protobuf")
        self.send_header("content-length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


async def wait_for(receiver: Receiver, found) -> list[Span]:
    """The received spans once `found(spans)` holds (bounded poll)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        spans = receiver.received()
        if found(spans):
            return spans
        await asyncio.sleep(0.05)
    raise AssertionError(f"spans not received in time: {[s.name for s in receiver.received()]}")


def attributes(span: Span) -> dict[str, object]:
    return {a.key: getattr(a.value, a.value.WhichOneof("value")) for a in span.attributes}


def descends_from(span: Span, ancestor: Span, by_id: dict[bytes, Span]) -> bool:
    parent = by_id.get(span.parent_span_id)
    while parent is not None:
        if parent.span_id == ancestor.span_id:
            return True
        parent = by_id.get(parent.parent_span_id)
    return False


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
                     OTEL_BSP_SCHEDULE_DELAY="100", OTEL_SERVICE_NAME="aiplatform-test") as (api,):
        async with httpx.AsyncClient(base_url=api, timeout=30) as client:
            for trace_id in TRACE_IDS:
                answer = await client.post("/graphql", json=FLAT_REQUEST, headers={
                    **authorization, "traceparent": f"00-{trace_id}-{CLIENT_SPAN_ID}-01"})
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
