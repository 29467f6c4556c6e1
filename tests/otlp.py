"""A real OTLP/HTTP trace receiver for the tracing tests, and what they ask of its spans."""

from __future__ import annotations

import asyncio
import gzip
import http.server
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.trace.v1.trace_pb2 import Span

WAIT_SECONDS = 30  # for the batch to reach the receiver


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


@contextmanager
def running_receiver() -> Iterator[Receiver]:
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


async def wait_for(receiver: Receiver, found: Callable[[list[Span]], bool]) -> list[Span]:
    """The received spans once `found(spans)` holds (bounded poll)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        spans = receiver.received()
        if found(spans):
            return spans
        await asyncio.sleep(0.05)
    raise AssertionError(f"spans not received in time: {[s.name for s in receiver.received()]}")


async def wait_for_names(receiver: Receiver, trace_id: str, *names: str) -> list[Span]:
    """The spans of one trace once every one of `names` is among them: a child is exported
    before the span it ends inside, so waiting for the child alone races its ancestors."""
    def found(spans: list[Span]) -> bool:
        return set(names) <= {s.name for s in in_trace(spans, trace_id)}
    return in_trace(await wait_for(receiver, found), trace_id)


def attributes(span: Span) -> dict[str, object]:
    return {a.key: getattr(a.value, a.value.WhichOneof("value")) for a in span.attributes}


def descends_from(span: Span, ancestor: Span, by_id: dict[bytes, Span]) -> bool:
    parent = by_id.get(span.parent_span_id)
    while parent is not None:
        if parent.span_id == ancestor.span_id:
            return True
        parent = by_id.get(parent.parent_span_id)
    return False


def in_trace(spans: list[Span], trace_id: str) -> list[Span]:
    return [s for s in spans if s.trace_id == bytes.fromhex(trace_id)]
