"""What a chat provider is: a conversation in, a reply out as an async stream of text pieces.

Providers know nothing of sessions, events or the database (resolvers/chat/generation.py owns
those), so a new backend is one small class. Failures are `ProviderError`s whose message is
safe to show a user: it never contains the model's key.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Protocol


class ProviderError(Exception):
    """A provider could not produce (all of) a reply; `str()` is readable and secret-free."""


@dataclass(frozen=True, slots=True)
class ChatTurn:
    role: str  # system, user, assistant
    content: str


@dataclass(frozen=True, slots=True)
class ChatRequest:
    """One reply to produce. `options` holds the session's validated settings (temperature,
    max_tokens, top_p, stop); `model_config` is the model's raw provider config, secrets
    included (it never leaves the process). `passages` are the retrieved texts a grounded
    reply must rest on (None: not grounded); they are already in `turns`, and the local
    provider, which cannot read, answers from them directly."""

    model_name: str
    turns: tuple[ChatTurn, ...]
    options: dict[str, Any] = field(default_factory=dict)
    model_config: dict[str, Any] = field(default_factory=dict)
    passages: tuple[str, ...] | None = None


class ChatProvider(Protocol):
    def stream(self, request: ChatRequest) -> AsyncIterator[str]:
        """The reply, piece by piece; raises ProviderError when the provider fails."""
        ...


def estimate_tokens(text: str) -> int:
    """About four characters per token (the usual rule of thumb for English text).
    Approximate but deterministic, so stored counts and costs are reproducible."""
    return math.ceil(len(text) / 4)
