"""OpenAI-compatible chat completions over HTTP, streamed (OpenAI, vLLM, Ollama, LM Studio...).

POST `{config.base_url}/chat/completions` with `stream: true`; the answer is server-sent
events, one `data: {json}` line per chunk and `data: [DONE]` at the end. The key
(`config.api_key`) goes only into the Authorization header: it is never logged and never part
of an error message. A caller that makes many requests (the gateway) passes its long-lived
`httpx.AsyncClient`, so connections to the provider are kept and reused; otherwise each reply
opens a client of its own.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson

from services.providers.base import ChatRequest, ProviderError

MAX_ERROR_TEXT = 300


class OpenAICompatibleProvider:
    def __init__(self, *, timeout: float, http: httpx.AsyncClient | None = None) -> None:
        self.timeout = timeout
        self.http = http

    async def stream(self, request: ChatRequest) -> AsyncIterator[str]:
        config = request.model_config
        base_url = base_url_of(config)
        headers = {"accept": "text/event-stream", **auth_headers(config)}
        api_key = config.get("api_key")
        body: dict[str, Any] = {
            "model": config.get("model") or request.model_name,
            "messages": [{"role": t.role, "content": t.content} for t in request.turns],
            "stream": True,
            **request.options,
        }
        url = base_url + "/chat/completions"
        try:
            async for piece in self._post(url, body, headers):
                yield piece
        except ProviderError as error:
            if isinstance(api_key, str) and api_key:  # a server may echo the key it refused
                raise ProviderError(str(error).replace(api_key, "***")) from None
            raise

    async def _post(self, url: str, body: dict[str, Any], headers: dict[str, str]
                    ) -> AsyncIterator[str]:
        try:
            async with contextlib.AsyncExitStack() as stack:
                http = self.http or await stack.enter_async_context(
                    httpx.AsyncClient(timeout=self.timeout))
                response = await stack.enter_async_context(http.stream(
                    "POST", url, json=body, headers=headers, timeout=self.timeout))
                if response.status_code != 200:
                    raise ProviderError(await http_error_message(response))
                async for line in response.aiter_lines():
                    piece = _piece(line)
                    if piece is _DONE:
                        return
                    if piece:
                        yield piece
        except httpx.TimeoutException:
            raise ProviderError(f"The provider did not answer within {self.timeout:g} s"
                                ) from None
        except httpx.HTTPError as error:
            raise ProviderError(f"Could not reach the provider: {type(error).__name__}"
                                ) from None


def base_url_of(config: dict[str, Any]) -> str:
    """The API root from a model's config (`base_url`, or `api_base` as some clients name it)."""
    base_url = config.get("base_url") or config.get("api_base")
    if not isinstance(base_url, str) or not base_url.startswith(("http://", "https://")):
        raise ProviderError("The model has no config.base_url (an http(s) URL of an "
                            "OpenAI-compatible API)")
    return base_url.rstrip("/")


def auth_headers(config: dict[str, Any]) -> dict[str, str]:
    api_key = config.get("api_key")
    return {"authorization": f"Bearer {api_key}"} if isinstance(api_key, str) and api_key else {}


_DONE = object()


def _piece(line: str) -> Any:
    """The text of one SSE line: a string (maybe empty), or _DONE."""
    if not line.startswith("data:"):
        return ""  # blank separators, comments (": ping"), event names
    data = line[5:].strip()
    if data == "[DONE]":
        return _DONE
    try:
        chunk = orjson.loads(data)
    except orjson.JSONDecodeError:
        raise ProviderError("The provider sent a malformed stream chunk") from None
    if isinstance(chunk, dict) and isinstance(chunk.get("error"), dict):
        raise ProviderError(f"The provider failed: {_text(chunk['error'].get('message'))}")
    try:
        content = chunk["choices"][0]["delta"].get("content")
    except (KeyError, IndexError, TypeError, AttributeError):
        return ""  # role-only or usage-only chunks
    return content if isinstance(content, str) else ""


async def http_error_message(response: httpx.Response) -> str:
    """A readable line from an error answer (OpenAI's `{"error": {"message"}}` or plain text)."""
    raw = await response.aread()
    message: object = None
    try:
        decoded = orjson.loads(raw)
        error = decoded.get("error") if isinstance(decoded, dict) else None
        message = error.get("message") if isinstance(error, dict) else error
    except orjson.JSONDecodeError:
        message = raw.decode(errors="replace")
    text = f"The provider answered HTTP {response.status_code}"
    return f"{text}: {_text(message)}" if message else text


def _text(value: object) -> str:
    return " ".join(str(value).split())[:MAX_ERROR_TEXT]
