"""Embeddings from an OpenAI-compatible HTTP API (OpenAI, vLLM, Ollama, LM Studio, TEI...).

POST `{config.base_url}/embeddings` with `{"model", "input": [texts]}` in batches of
`config.batch_size` (default 64), and `dimensions` when the model's config sets it (OpenAI's
text-embedding-3 models shorten their vectors to it). The answer's `data[i].embedding` is put
back in input order by its `index`. The key (`config.api_key`) goes only into the
Authorization header and never into an error message.
"""

from __future__ import annotations

import math
from typing import Any

import httpx

from services.embeddings.base import EmbeddingError
from services.providers.base import ProviderError
from services.providers.openai_compatible import auth_headers, base_url_of, http_error_message

BATCH = 64
MAX_BATCH = 2048  # OpenAI's limit of inputs per request
TIMEOUT_SECONDS = 60.0


class OpenAICompatibleEmbeddings:
    def __init__(self, name: str, config: dict[str, Any], *,
                 timeout: float = TIMEOUT_SECONDS) -> None:
        self.name, self.config, self.timeout = name, config, timeout
        batch = config.get("batch_size")
        self.batch = batch if isinstance(batch, int) and 1 <= batch <= MAX_BATCH else BATCH
        dimensions = config.get("dimensions")
        self.dimensions = dimensions if isinstance(dimensions, int) and dimensions > 0 else None

    baseline = 0.0  # unknown for a model served elsewhere: scores stay cosine similarities

    async def embed(self, texts: list[str], *, query: bool = False) -> list[list[float]]:
        try:
            url = base_url_of(self.config) + "/embeddings"
        except ProviderError as error:
            raise EmbeddingError(f"The embedding model {self.name}: {error}") from None
        out: list[list[float]] = []
        async with httpx.AsyncClient(timeout=self.timeout,
                                     headers=auth_headers(self.config)) as http:
            for start in range(0, len(texts), self.batch):
                out.extend(await self._batch(http, url, texts[start:start + self.batch]))
        return out

    async def _batch(self, http: httpx.AsyncClient, url: str, texts: list[str]
                     ) -> list[list[float]]:
        body: dict[str, Any] = {"model": self.config.get("model") or self.name, "input": texts,
                                "encoding_format": "float"}
        if self.dimensions is not None:
            body["dimensions"] = self.dimensions
        try:
            response = await http.post(url, json=body)
            if response.status_code != 200:
                raise EmbeddingError(self._redact(
                    f"The embedding model {self.name}: {await http_error_message(response)}"))
            return _vectors(response.json(), len(texts), self.name)
        except httpx.TimeoutException:
            raise EmbeddingError(f"The embedding model {self.name} did not answer within "
                                 f"{self.timeout:g} s") from None
        except httpx.HTTPError as error:
            raise EmbeddingError(f"Could not reach the embedding model {self.name}: "
                                 f"{type(error).__name__}") from None
        except ValueError:  # not JSON
            raise EmbeddingError(f"The embedding model {self.name} sent a malformed answer"
                                 ) from None

    def _redact(self, message: str) -> str:
        key = self.config.get("api_key")  # a server may echo the key it refused
        return message.replace(key, "***") if isinstance(key, str) and key else message


def _vectors(answer: Any, count: int, name: str) -> list[list[float]]:
    """`data[*].embedding` in input order, checked: one per text, numbers, one length."""
    malformed = EmbeddingError(f"The embedding model {name} sent a malformed answer")
    data = answer.get("data") if isinstance(answer, dict) else None
    if not isinstance(data, list) or len(data) != count:
        raise malformed
    vectors: list[list[float] | None] = [None] * count
    for position, item in enumerate(data):
        index = item.get("index", position) if isinstance(item, dict) else None
        vector = item.get("embedding") if isinstance(item, dict) else None
        if (not isinstance(index, int) or not 0 <= index < count or vectors[index] is not None
                or not isinstance(vector, list) or not vector
                or not all(isinstance(x, (int, float)) and not isinstance(x, bool)
                           and math.isfinite(x) for x in vector)):
            raise malformed
        vectors[index] = [float(x) for x in vector]
    if len({len(v) for v in vectors if v is not None}) != 1:
        raise malformed
    return [v for v in vectors if v is not None]
