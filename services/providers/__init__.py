"""Chat providers: `local` (built in, deterministic) and any OpenAI-compatible HTTP API."""

from __future__ import annotations

import httpx

from services import telemetry
from services.providers.base import ChatProvider, ChatRequest, ChatTurn, ProviderError
from services.providers.local import LocalProvider
from services.providers.openai_compatible import OpenAICompatibleProvider
from services.providers.traced import TracedProvider

LOCAL = "local"


def provider_for(provider: str, *, timeout: float, http: httpx.AsyncClient | None = None
                 ) -> ChatProvider:
    """`local` is the built-in provider; every other name speaks the OpenAI-compatible
    protocol at the model's `config.base_url` (OpenAI itself, vLLM, Ollama...), through `http`
    when given (a client whose connections are reused). While tracing is on, each reply is a
    span."""
    chosen: ChatProvider = (LocalProvider() if provider == LOCAL
                            else OpenAICompatibleProvider(timeout=timeout, http=http))
    return TracedProvider(chosen, provider) if telemetry.tracing() else chosen


__all__ = ["ChatProvider", "ChatRequest", "ChatTurn", "ProviderError", "provider_for"]
