#!/usr/bin/env python3
"""Vector-store benchmark: ingestion (chunks/s) and retrieval latency (p50/p99) per backend.

    .venv/bin/python bench/knowledge_bench.py [--chunks 10000] [--queries 200] [--top-k 5]
        [--backends pgvector,qdrant,chroma] [--qdrant-url URL] [--chroma-url URL]

Everything runs in this process against the stores' real code (`services/vectorstores/`): an
embedded PostgreSQL 18 with pgvector started in a temporary folder, Qdrant in local mode and
Chroma's persistent client in that folder (or servers by URL). The corpus is `--chunks` chunks
of ≈ 300 characters of generated product-support text (4 or 5 sentences from a pool of
`--sentences`), in documents of 100 chunks. Each sentence and each question is embedded once
with the server's offline MiniLM (cached in `--cache`); a chunk's vector is the normalized mean
of its sentences' vectors, since embedding 10,000 chunks with the numpy model takes longer than
the whole benchmark. Every backend gets the same vectors.

Printed, per backend:
- ingestion without embedding: chunks/s of `replace_document`, one document (100 chunks) at a
  time, as the ingestion worker writes them (pgvector: one transaction per document);
- ingestion with embedding: the same chunks/s with the time MiniLM takes for the chunks
  added (measured on 64 real chunks of the corpus; embedding dominates);
- retrieval: `search` latency over `--queries` questions (top_k, scoped to the organization and
  the collection as ragQuery asks), p50/p99 by nearest rank, after 20 warm-up questions; the
  question's own embedding (≈ 10 ms, the same for every store) is not included;
- recall@k against exact cosine search in numpy (HNSW indexes are approximate).

pgvector is searched after `ANALYZE knowledge_chunks`, which autovacuum runs within a minute of
a large write: right after 10,000 inserts the planner still believes the collection holds
almost no rows and sorts all of them exactly instead of using the HNSW index (≈ 75 ms a query).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import math
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import text

from services.vectorstores.base import Chunk

PER_DOCUMENT = 100
WARMUP = 20
SUBJECTS = ["The battery", "Your order", "The warranty", "The charger", "The mobile app",
            "Customer support", "The invoice", "The scooter", "The subscription", "The firmware",
            "The return label", "The delivery driver", "Two-factor sign-in", "The refund",
            "The spare parts kit", "The helmet", "The loyalty account", "The replacement unit"]
VERBS = ["is covered for", "usually takes", "can be renewed within", "must be reported within",
         "is shipped from Rotterdam in", "charges to eighty percent in", "is processed within",
         "can be cancelled up to", "gets a security update every", "stays valid for",
         "is checked by a technician within", "is refunded to the original card within"]
AMOUNTS = ["two days", "three working days", "thirty days", "six months", "one year",
           "forty minutes", "four hours", "two weeks", "ninety days", "five minutes"]
TAILS = ["unless the seal is broken.", "when the receipt is attached.", "in most EU countries.",
         "if the device was registered online.", "after the payment clears.",
         "on weekdays only.", "for orders above fifty euros.", "as stated in the terms.",
         "provided the original packaging is kept.", "without any extra fee."]


def sentence(rng: random.Random) -> str:
    return " ".join((rng.choice(SUBJECTS), rng.choice(VERBS), rng.choice(AMOUNTS),
                     rng.choice(TAILS)))


def corpus(n: int, pool: int, seed: int = 7) -> tuple[list[str], list[str], list[list[int]]]:
    """(sentences, chunks, the sentences of each chunk): chunks of ≈ 300 characters made of
    4 or 5 sentences drawn from a pool of distinct ones."""
    rng = random.Random(seed)
    sentences: list[str] = []
    seen: set[str] = set()
    while len(sentences) < pool:
        if (s := sentence(rng)) not in seen:
            seen.add(s)
            sentences.append(s)
    parts = [[rng.randrange(pool) for _ in range(rng.choice((4, 5)))] for _ in range(n)]
    return sentences, [" ".join(sentences[i] for i in p) for p in parts], parts


def questions(n: int, seed: int = 11) -> list[str]:
    rng = random.Random(seed)
    asks = ["How long does it take until", "What happens when", "Is there a limit on how soon",
            "When do I get news about"]
    return [f"{rng.choice(asks)} {rng.choice(SUBJECTS).lower()} "
            f"{rng.choice(VERBS).split()[0]} done?" for _ in range(n)]


def embed_all(texts: list[str]) -> np.ndarray:
    """The texts' vectors with the server's offline MiniLM, in batches like the worker."""
    from services.embeddings import local_model

    model = local_model("all-MiniLM-L6-v2")
    vectors: list[list[float]] = []
    for i in range(0, len(texts), 32):
        vectors.extend(model.embed(texts[i:i + 32]))
        print(f"  embedded {min(i + 32, len(texts))}/{len(texts)}", file=sys.stderr)
    return np.asarray(vectors, dtype=np.float32)


def cached_embeddings(cache: Path, name: str, texts: list[str]) -> np.ndarray:
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / f"{name}-{hashlib.sha256(chr(0).join(texts).encode()).hexdigest()[:12]}.npy"
    if path.exists():
        return np.load(path)
    vectors = embed_all(texts)
    np.save(path, vectors)
    return vectors


def chunk_vectors(sentence_vectors: np.ndarray, parts: list[list[int]]) -> np.ndarray:
    """A chunk's vector: the normalized mean of its sentences' MiniLM vectors (embedding
    10,000 chunks with the numpy model takes 10+ minutes on 2 busy cores)."""
    out = np.stack([sentence_vectors[p].mean(axis=0) for p in parts])
    return out / np.linalg.norm(out, axis=1, keepdims=True)


def embedding_rate(chunks: list[str]) -> float:
    """Chunks/s of MiniLM on real ≈ 300-character chunks (the worker's batch size)."""
    from services.embeddings import local_model

    model = local_model("all-MiniLM-L6-v2")
    model.embed(chunks[:8])  # warm
    started = time.perf_counter()
    model.embed(chunks)
    return len(chunks) / (time.perf_counter() - started)


def percentile(sorted_ms: list[float], p: float) -> float:
    return sorted_ms[max(0, math.ceil(p / 100 * len(sorted_ms)) - 1)]


async def prepare_postgres(database: Any, documents: int) -> tuple[uuid.UUID, uuid.UUID,
                                                                   list[uuid.UUID]]:
    """An organization, a collection and its document rows (the chunks' foreign keys)."""
    async with database.sessionmaker() as session, session.begin():
        org = (await session.execute(text(
            "INSERT INTO organizations (name, slug) VALUES ('bench', :slug) RETURNING id"),
            {"slug": f"bench-{uuid.uuid4().hex[:8]}"})).scalar_one()
        collection = (await session.execute(text(
            "INSERT INTO knowledge_collections (organization_id, name) VALUES (:o, 'bench') "
            "RETURNING id"), {"o": org})).scalar_one()
        ids = [(await session.execute(text(
            "INSERT INTO knowledge_documents (organization_id, collection_id, filename, "
            "upload_status) VALUES (:o, :c, :f, 'completed') RETURNING id"),
            {"o": org, "c": collection, "f": f"doc-{i}"})).scalar_one()
            for i in range(documents)]
    return org, collection, ids


async def bench_store(name: str, store: Any, database: Any, texts: list[str],
                      vectors: np.ndarray, asked: np.ndarray, exact: list[set[int]],
                      top_k: int) -> dict[str, Any]:
    documents = math.ceil(len(texts) / PER_DOCUMENT)
    org, collection, ids = await prepare_postgres(database, documents)
    index_of: dict[tuple[uuid.UUID, int], int] = {}
    started = time.perf_counter()
    for d, document_id in enumerate(ids):
        first = d * PER_DOCUMENT
        chunks = [Chunk(i - first, texts[i], vectors[i].tolist())
                  for i in range(first, min(first + PER_DOCUMENT, len(texts)))]
        for c in chunks:
            index_of[(document_id, c.position)] = first + c.position
        async with database.sessionmaker() as session, session.begin():
            await store.replace_document(session, organization_id=org, collection_id=collection,
                                         document_id=document_id, chunks=chunks)
    write_seconds = time.perf_counter() - started
    if name == "pgvector":  # fresh statistics, as autovacuum keeps them (see the docstring)
        async with database.sessionmaker() as session, session.begin():
            await session.execute(text("ANALYZE knowledge_chunks"))

    latencies: list[float] = []
    recall_hits = 0
    async with database.sessionmaker() as session:
        for q, vector in enumerate(asked):
            began = time.perf_counter()
            hits = await store.search(session, organization_id=org, collection_id=collection,
                                      embedding=vector.tolist(), top_k=top_k, min_score=None)
            elapsed = (time.perf_counter() - began) * 1000
            if q >= WARMUP:
                latencies.append(elapsed)
                found = {index_of[(h.document_id, h.position)] for h in hits}
                recall_hits += len(found & exact[q])
    latencies.sort()
    measured = len(asked) - WARMUP
    return {"backend": name, "write_seconds": write_seconds,
            "p50": percentile(latencies, 50), "p99": percentile(latencies, 99),
            "recall": recall_hits / (measured * top_k)}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--chunks", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--sentences", type=int, default=400,
                        help="distinct sentences the chunks are made of (each embedded once)")
    parser.add_argument("--top-k", type=int, default=5)
    parser.add_argument("--backends", default="pgvector,qdrant,chroma")
    parser.add_argument("--qdrant-url")
    parser.add_argument("--chroma-url")
    parser.add_argument("--cache", type=Path, default=Path(".data/bench-knowledge"),
                        help="where the corpus's embeddings are kept between runs")
    args = parser.parse_args()

    from app.embedded import EmbeddedServices
    from db import migrate
    from db.session import Database
    from services.vectorstores.chroma import ChromaStore
    from services.vectorstores.pgvector import PgVector
    from services.vectorstores.qdrant import QdrantStore

    sentences, texts, parts = corpus(args.chunks, args.sentences)
    asked_texts = questions(args.queries + WARMUP)
    print(f"embedding {len(sentences)} sentences and {len(asked_texts)} questions "
          f"(cached in {args.cache})", file=sys.stderr)
    vectors = chunk_vectors(cached_embeddings(args.cache, "sentences", sentences), parts)
    asked = cached_embeddings(args.cache, "questions", asked_texts)
    scores = asked @ vectors.T  # exact cosine: the vectors are unit length
    exact = [set(np.argsort(-row)[:args.top_k].tolist()) for row in scores]
    embed_rate = embedding_rate(texts[:64])
    embed_seconds = len(texts) / embed_rate

    rows = []
    with tempfile.TemporaryDirectory(prefix="knowledge-bench-") as folder:
        root = Path(folder)
        with EmbeddedServices(root / "services", redis=False) as services:
            url = services.database_url
            await asyncio.to_thread(migrate.upgrade, url)
            database = Database(url)
            await database.connect()
            try:
                for name in args.backends.split(","):
                    store: Any
                    if name == "pgvector":
                        store = PgVector()
                    elif name == "qdrant":
                        store = QdrantStore(url=args.qdrant_url) if args.qdrant_url else \
                            QdrantStore(path=root / "qdrant")
                    elif name == "chroma":
                        store = ChromaStore(url=args.chroma_url) if args.chroma_url else \
                            ChromaStore(path=root / "chroma")
                    else:
                        raise SystemExit(f"unknown backend {name}")
                    print(f"{name}: writing {len(texts)} chunks, then {args.queries} queries",
                          file=sys.stderr)
                    result = await bench_store(name, store, database, texts, vectors, asked,
                                               exact, args.top_k)
                    if hasattr(store, "close"):
                        await store.close()
                    rows.append(result)
            finally:
                await database.close()

    print(f"\n{len(texts)} chunks of ≈ {sum(map(len, texts)) // len(texts)} characters, "
          f"{args.queries} questions, top_k {args.top_k}; MiniLM (numpy): "
          f"{embed_rate:.0f} chunks/s\n")
    print("| backend | ingestion, embedding excluded (chunks/s) | ingestion, embedding "
          "included (chunks/s) | retrieval p50 ms | retrieval p99 ms | recall@k |")
    print("|---|---:|---:|---:|---:|---:|")
    for r in rows:
        store_rate = len(texts) / r["write_seconds"]
        combined = len(texts) / (r["write_seconds"] + embed_seconds)
        print(f"| {r['backend']} | {store_rate:,.0f} | {combined:,.0f} | {r['p50']:.2f} | "
              f"{r['p99']:.2f} | {r['recall']:.3f} |")


if __name__ == "__main__":
    asyncio.run(main())
