"""The built-in local provider (`provider: local`): the embedded default, no network needed.

It answers with a deterministic reply built from the last user message and streams it word by
word, so a fresh install can chat end to end and tests can predict every token. A grounded
request (retrieved `passages`, from ragQuery or a chat with a knowledge collection) is answered
by quoting the best passage instead. The model's config may set `delay_ms` (pause between
pieces, default 10) to make the streaming visible.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator

from services.providers.base import ChatRequest

EXCERPT = 200
PIECE = re.compile(r"\s*\S+")
SENTENCE = re.compile(r".+?[.!?](?=\s|$)")


def _excerpt(text: str) -> str:
    excerpt = " ".join(text.split())
    return excerpt[:EXCERPT] + "…" if len(excerpt) > EXCERPT else excerpt


def local_reply(request: ChatRequest) -> str:
    prompt = next((t.content for t in reversed(request.turns) if t.role == "user"), "")
    if request.passages is not None:
        return grounded_reply(request, prompt)
    excerpt = _excerpt(prompt)
    words = len(prompt.split())
    return (f"You said: “{excerpt}” ({words} word{'s' if words != 1 else ''}). "
            f"This is the built-in local model {request.model_name!r}: its replies are "
            "deterministic. Point the model at an OpenAI-compatible endpoint for real answers.")


def grounded_reply(request: ChatRequest, question: str) -> str:
    """Quotes the first sentence of the best passage: derived from the retrieved text, and
    predictable, which is all a model that cannot read can honestly do."""
    if not request.passages:
        return (f"No passage of the knowledge base matches “{_excerpt(question)}”, so I cannot "
                "answer from it.")
    best = " ".join(request.passages[0].split())
    sentence = SENTENCE.match(best)
    quote = _excerpt(sentence.group(0) if sentence else best)
    count = len(request.passages)
    return (f"According to [1]: {quote} (The built-in local model {request.model_name!r} "
            f"quotes the best of {count} passage{'s' if count != 1 else ''} instead of "
            "writing an answer.)")


def reply_pieces(text: str) -> list[str]:
    """Word-sized pieces, each with the whitespace before it, that join back to `text`."""
    return PIECE.findall(text)


def _delay(value: object) -> float:
    """Seconds between pieces from `delay_ms`; a value that is not a number means 10 ms."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
        return min(float(value), 10_000) / 1000
    return 0.01


class LocalProvider:
    async def stream(self, request: ChatRequest) -> AsyncIterator[str]:
        pieces = reply_pieces(local_reply(request))
        limit = request.options.get("max_tokens")
        if isinstance(limit, int):
            pieces = pieces[:limit]
        delay = _delay(request.model_config.get("delay_ms", 10))
        for piece in pieces:
            await asyncio.sleep(delay)
            yield piece
