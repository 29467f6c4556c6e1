"""OpenTelemetry tracing, configured by the standard OTEL_* variables and off without them.

Tracing is on when an OTLP endpoint is set (OTEL_EXPORTER_OTLP_ENDPOINT or
OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) and OTEL_SDK_DISABLED is not true. Then each process gets
a tracer provider whose spans are batched and exported over OTLP/HTTP (protobuf); the SDK
reads the rest of the standard variables itself (OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES,
OTEL_TRACES_SAMPLER and its argument, OTEL_BSP_*, OTEL_EXPORTER_OTLP_HEADERS, ...). asyncpg,
redis and httpx are instrumented, so every SQL statement, Redis command and outgoing HTTP call
(model providers, Qdrant, Chroma) is a child of the span that was current when it ran, and an
outgoing call carries that span in its `traceparent` header. Our own spans (planner fetches,
vector-store calls, model-provider calls) are opened through `span()`.

Without an endpoint nothing is installed: no provider, no instrumentation and, in the app, no
middleware, so requests run exactly the code they run without this module.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from opentelemetry import trace
from opentelemetry.trace import SpanKind
from opentelemetry.util.types import Attributes
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.metrics import OPERATION, Operation

log = logging.getLogger("aiplatform")

ENDPOINTS = ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")
PROTOCOLS = ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL")
EXPORTED_PROTOCOL = "http/protobuf"
SERVICE_NAME = "aiplatform"  # unless OTEL_SERVICE_NAME or OTEL_RESOURCE_ATTRIBUTES name it
# requests that would drown the operations in noise: probes and scrapes
EXCLUDED_URLS = "/livez,/readyz,/healthz,/metrics"

_provider: Any = None  # the SDK's TracerProvider while tracing is configured
_tracer: trace.Tracer | None = None  # our spans' tracer, while tracing is configured
_instrumentors: list[Any] = []
NO_SPAN: AbstractContextManager[None] = nullcontext()


def enabled(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether the environment asks for tracing: an OTLP endpoint, and the SDK not disabled."""
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    return any(environ.get(name, "").strip() for name in ENDPOINTS)


def protocol(environ: Mapping[str, str] = os.environ) -> str:
    """The OTLP protocol asked for (the traces-specific variable first)."""
    for name in PROTOCOLS:
        value = environ.get(name, "").strip()
        if value:
            return value
    return EXPORTED_PROTOCOL


def configure() -> bool:
    """Install the tracer provider and the asyncpg and redis instrumentation when the
    environment asks for tracing; True when it did. Called once per process, before the
    database pools and Redis clients are used."""
    global _provider, _tracer
    if _provider is not None or not enabled():
        return _provider is not None
    if protocol() != EXPORTED_PROTOCOL:
        log.error("tracing is off: OTLP protocol %r is not supported (use %s)",
                  protocol(), EXPORTED_PROTOCOL)
        return False
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
    from opentelemetry.instrumentation.redis import RedisInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    resource = Resource.create()  # OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES
    if str(resource.attributes.get("service.name", "")).startswith("unknown_service"):
        resource = resource.merge(Resource({"service.name": SERVICE_NAME}))
    provider = TracerProvider(resource=resource)  # the sampler: OTEL_TRACES_SAMPLER
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    _provider = provider
    _tracer = provider.get_tracer(SERVICE_NAME)
    for instrumentor in (AsyncPGInstrumentor(), RedisInstrumentor(), HTTPXClientInstrumentor()):
        instrumentor.instrument(tracer_provider=provider)
        _instrumentors.append(instrumentor)
    log.info("tracing: spans exported over OTLP/HTTP")
    return True


def shutdown() -> None:
    """Export the spans still queued and stop the exporter (at the process's end)."""
    global _provider, _tracer
    if _provider is None:
        return
    for instrumentor in _instrumentors:
        instrumentor.uninstrument()
    _instrumentors.clear()
    _provider.shutdown()
    _provider = _tracer = None


def tracing() -> bool:
    """Whether this process records spans: callers skip building a span's name and
    attributes when it does not."""
    return _tracer is not None


def span(name: str, attributes: Attributes = None, *,
         kind: SpanKind = SpanKind.INTERNAL) -> AbstractContextManager[Any]:
    """A child of the current span, current itself inside the `with` block; a shared
    do-nothing context when tracing is off."""
    if _tracer is None:
        return NO_SPAN
    return _tracer.start_as_current_span(name, kind=kind, attributes=attributes)


def start_span(name: str, attributes: Attributes = None, *,
               kind: SpanKind = SpanKind.INTERNAL) -> trace.Span | None:
    """A child of the current span that the caller ends (for work that spans several
    awaits of someone else's, like a streamed reply); None when tracing is off."""
    if _tracer is None:
        return None
    return _tracer.start_span(name, kind=kind, attributes=attributes)


class OperationSpan:
    """Names the request's server span for the GraphQL operation it ran ("query Flat"), with
    the operation's type and name as attributes, whichever way the endpoint answered it: the
    endpoint records the operation in the request's state (`services.metrics.OPERATION`).

    It runs inside the OpenTelemetry ASGI middleware, whose server span is current here."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        span = trace.get_current_span()

        async def named(message: Message) -> None:
            # the OpenTelemetry middleware ends its span with the response's last byte
            if message["type"] == "http.response.start" and span.is_recording():
                operation: Operation | None = (scope.get("state") or {}).get(OPERATION)
                if operation is not None:
                    name_span(span, operation)
            await send(message)

        await self.app(scope, receive, named)


def name_span(span: trace.Span, operation: Operation) -> None:
    """The span name and attributes of the OpenTelemetry GraphQL conventions."""
    span.update_name(f"{operation.type} {operation.name}" if operation.name
                     else operation.type)
    span.set_attribute("graphql.operation.type", operation.type)
    if operation.name:
        span.set_attribute("graphql.operation.name", operation.name)
    span.set_attribute("aiplatform.graphql.outcome", operation.outcome)
