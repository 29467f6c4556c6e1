"""A provider's reply as a span of the trace that asked for it (only while tracing is on).

The span follows OpenTelemetry's generative-AI conventions ("chat {model}", a CLIENT span with
`gen_ai.*` attributes). It is made current only while the wrapped provider works towards its
next piece, never across the caller's own awaits between pieces: the caller's database writes
and publishes stay children of the caller's span, and the span's context is attached and
detached within one step of the same task, whoever finally closes the stream. The provider's
HTTP request (instrumented httpx) is a child of it and carries it in `traceparent`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from opentelemetry import context, trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from services import telemetry
from services.providers.base import ChatProvider, ChatRequest


class TracedProvider:
    def __init__(self, provider: ChatProvider, name: str) -> None:
        self.provider = provider
        self.name = name

    async def stream(self, request: ChatRequest) -> AsyncIterator[str]:
        span = telemetry.start_span(f"chat {request.model_name}", {
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": self.name,
            "gen_ai.request.model": request.model_name,
        }, kind=SpanKind.CLIENT)
        if span is None:  # tracing was switched off since
            async for piece in self.provider.stream(request):
                yield piece
            return
        current = trace.set_span_in_context(span)
        pieces = self.provider.stream(request)
        count = 0
        try:
            while True:
                token = context.attach(current)
                try:
                    piece = await anext(pieces)
                except StopAsyncIteration:
                    break
                finally:
                    context.detach(token)
                count += 1
                yield piece
        except BaseException as error:
            span.record_exception(error)
            span.set_status(Status(StatusCode.ERROR, type(error).__name__))
            raise
        finally:
            span.set_attribute("aiplatform.chat.pieces", count)
            span.end()
            await pieces.aclose()
