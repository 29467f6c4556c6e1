"""Chat providers: `local` (built in, deterministic) and any OpenAI-compatible HTTP API."""

from __future__ import annotations

from services.providers.base import ChatProvider, ChatRequest, ChatTurn, ProviderError
from services.providers.local import LocalProvider
from services.providers.openai_compatible import OpenAICompatibleProvider

LOCAL = "local"


def provider_for(provider: str, *, timeout: float) -> ChatProvider:
    """`local` is the built-in provider; every other name speaks the OpenAI-compatible
    protocol at the model's `config.base_url` (OpenAI itself, vLLM, Ollama...)."""
    if provider == LOCAL:
        return LocalProvider()
    return OpenAICompatibleProvider(timeout=timeout)


__all__ = ["ChatProvider", "ChatRequest", "ChatTurn", "ProviderError", "provider_for"]
