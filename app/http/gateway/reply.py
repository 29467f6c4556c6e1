"""A provider's reply as the gateway hands it on: cut at the request's stop sequences, each
piece awaited for at most the provider timeout, and what was said kept for the usage row.

Stop sequences are applied here rather than trusted to the provider, so every provider (the
local one too) honours them; text that could be the start of a stop sequence is held back
until the next piece shows it is not.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx

from app.http.gateway.chat_request import CompletionRequest
from services.gateway.targets import Target
from services.providers import ChatRequest, provider_for
from services.providers.base import estimate_tokens


class StopFilter:
    def __init__(self, stops: tuple[str, ...]) -> None:
        self.stops = stops
        self.keep = max((len(s) for s in stops), default=1) - 1
        self.held = ""
        self.stopped = False

    def feed(self, piece: str) -> str:
        """The text that may go out now."""
        if self.stopped:
            return ""
        text = self.held + piece
        found = [i for i in (text.find(s) for s in self.stops) if i >= 0]
        if found:
            self.stopped, self.held = True, ""
            return text[:min(found)]
        cut = len(text) - self.keep
        self.held = text[cut:]
        return text[:cut]

    def flush(self) -> str:
        rest, self.held = self.held, ""
        return rest


@dataclass(slots=True)
class Reply:
    """The reply so far; `finish_reason` as OpenAI reports it (stop or length)."""

    parts: list[str] = field(default_factory=list)
    pieces: int = 0
    stopped: bool = False
    limit: int | None = None

    @property
    def text(self) -> str:
        return "".join(self.parts)

    @property
    def completion_tokens(self) -> int:
        return estimate_tokens(self.text)

    @property
    def finish_reason(self) -> str:
        if not self.stopped and self.limit is not None and self.pieces >= self.limit:
            return "length"
        return "stop"


def prompt_tokens(completion: CompletionRequest) -> int:
    return sum(estimate_tokens(t.content) for t in completion.turns)


async def reply_pieces(target: Target, completion: CompletionRequest, reply: Reply,
                       wait: float, http: httpx.AsyncClient) -> AsyncIterator[str]:
    """The reply's text, piece by piece, recorded in `reply`; raises ProviderError, or
    TimeoutError when the provider sends nothing for `wait` seconds. `http`: the process's
    client towards providers."""
    request = ChatRequest(model_name=target.model_name, turns=completion.turns,
                          options=completion.options, model_config=target.config)
    stream = provider_for(target.provider, timeout=wait, http=http).stream(request)
    stops = StopFilter(completion.stops)
    reply.limit = completion.options.get("max_tokens")
    async with contextlib.aclosing(stream):  # type: ignore[type-var]
        while not stops.stopped:
            try:
                async with asyncio.timeout(wait):
                    piece = await anext(stream)
            except StopAsyncIteration:
                break
            reply.pieces += 1
            text = stops.feed(piece)
            if text:
                reply.parts.append(text)
                yield text
    reply.stopped = stops.stopped
    rest = stops.flush()
    if rest:
        reply.parts.append(rest)
        yield rest
