"""`POST /v1/chat/completions`: one reply of the deployment the request's `model` names,
as one JSON answer or (`stream: true`) as server-sent events: a role chunk, a chunk per
piece, a chunk with `finish_reason`, with `stream_options.include_usage` a last chunk with
`usage` and no choices, then `data: [DONE]`.

The usage row is written before the answer (or `[DONE]`) goes out, so a client that has the
whole answer can already see the call in its organization's usage. A provider that fails
before its first piece is a 503; one that fails mid-stream ends the stream with an `error`
event instead of `[DONE]`.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from app.http.gateway.access import admit, target_for
from app.http.gateway.chat_request import CompletionRequest, completion_request
from app.http.gateway.reply import Reply, prompt_tokens, reply_pieces
from app.http.gateway.responses import json_body, json_response, refusals
from services.gateway import errors
from services.gateway.accounting import Usage, record
from services.gateway.errors import GatewayError
from services.metrics import observe_gateway
from services.pricing import cost_of
from services.providers import ProviderError

ENDPOINT = "chat_completions"
DONE = b"data: [DONE]\n\n"
SSE_HEADERS = {"cache-control": "no-cache", "x-accel-buffering": "no"}
STREAM_OUTCOMES = {"success": "ok", "error": "upstream_error", "timeout": "upstream_error",
                   "cancelled": "cancelled"}


class Call:
    """One completion under way: what it answers, and its accounting."""

    def __init__(self, request: Request, completion: CompletionRequest, usage: Usage) -> None:
        self.request = request
        self.completion = completion
        self.usage = usage
        self.reply = Reply()
        self.began = time.perf_counter()
        self.streaming = False  # once the answer has started, the call counts itself
        self.id = f"chatcmpl-{uuid.uuid4().hex}"
        self.created = int(time.time())
        state = request.app.state
        self.pieces = reply_pieces(usage.target, completion, self.reply,
                                   state.settings.chat_provider_timeout_seconds,
                                   state.upstream_http)

    async def finish(self, status: str = "success", error: str | None = None) -> None:
        """Write the usage row (once); count a streamed call (`refusals` counts the rest)."""
        usage, reply = self.usage, self.reply
        usage.output_tokens = reply.completion_tokens
        usage.cost = cost_of(usage.target.pricing, usage.input_tokens, usage.output_tokens)
        usage.status, usage.error = status, error
        seconds = time.perf_counter() - self.began
        await record(self.request.app.state.db, usage, round(seconds * 1000))
        if self.streaming:
            observe_gateway(ENDPOINT, STREAM_OUTCOMES[status], seconds)

    def usage_body(self) -> dict[str, int]:
        return {"prompt_tokens": self.usage.input_tokens,
                "completion_tokens": self.reply.completion_tokens,
                "total_tokens": self.usage.input_tokens + self.reply.completion_tokens}

    def chunk(self, delta: dict[str, Any] | None, finish: str | None = None, *,
              usage: dict[str, int] | None = None) -> bytes:
        body: dict[str, Any] = {
            "id": self.id, "object": "chat.completion.chunk", "created": self.created,
            "model": self.completion.model, "system_fingerprint": None,
            "choices": [] if delta is None else [
                {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
        }
        if self.completion.include_usage:
            body["usage"] = usage
        return b"data: " + orjson.dumps(body) + b"\n\n"


async def _failed(call: Call, error: Exception) -> GatewayError:
    """Record a failed reply; the refusal for the client."""
    if isinstance(error, TimeoutError):
        timeout = call.request.app.state.settings.chat_provider_timeout_seconds
        message, status = f"The model's provider sent nothing for {timeout:g} s", "timeout"
    else:
        message, status = str(error), "error"
    await call.finish(status, message)
    return errors.upstream_unavailable(message)


async def _answer(call: Call) -> Response:
    try:
        async for _ in call.pieces:
            pass
    except (ProviderError, TimeoutError) as error:
        raise await _failed(call, error) from None
    await call.finish()
    return json_response({
        "id": call.id, "object": "chat.completion", "created": call.created,
        "model": call.completion.model, "system_fingerprint": None,
        "choices": [{"index": 0, "logprobs": None, "finish_reason": call.reply.finish_reason,
                     "message": {"role": "assistant", "content": call.reply.text,
                                 "refusal": None}}],
        "usage": call.usage_body(),
    })


async def _stream(call: Call) -> Response:
    try:  # the first piece before the answer starts: a failing upstream is still a 503
        first: str | None = await anext(call.pieces)
    except StopAsyncIteration:
        first = None
    except (ProviderError, TimeoutError) as error:
        raise await _failed(call, error) from None
    return StreamingResponse(_events(call, first), media_type="text/event-stream",
                             headers=SSE_HEADERS)


async def _events(call: Call, first: str | None) -> AsyncIterator[bytes]:
    recorded = False
    call.streaming = True
    try:
        yield call.chunk({"role": "assistant", "content": ""})
        if first is not None:
            yield call.chunk({"content": first})
            async for piece in call.pieces:
                yield call.chunk({"content": piece})
        yield call.chunk({}, call.reply.finish_reason)
        recorded = True
        await call.finish()
        if call.completion.include_usage:
            yield call.chunk(None, usage=call.usage_body())
        yield DONE
    except (ProviderError, TimeoutError) as error:
        recorded = True
        failure = await _failed(call, error)
        yield b"data: " + orjson.dumps(failure.body()) + b"\n\n"
    finally:
        if not recorded:  # the client went away mid-reply
            await asyncio.shield(call.finish("cancelled", "The client went away"))


async def _chat_completions(request: Request) -> Response:
    caller = await admit(request)
    completion = completion_request(await json_body(request))
    target = await target_for(request, caller, completion.model, completion.user)
    if target.embeds:
        raise errors.invalid(f"The deployment {completion.model!r} serves an embedding model: "
                             "use /v1/embeddings", "model_not_supported")
    usage = Usage(target, "chat_completion", caller.user_id, caller.api_key_id,
                  input_tokens=prompt_tokens(completion),
                  metadata={"stream": completion.stream})
    call = Call(request, completion, usage)
    return await (_stream(call) if completion.stream else _answer(call))


chat_completions = refusals(ENDPOINT, _chat_completions)
