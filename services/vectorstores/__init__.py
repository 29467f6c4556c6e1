"""The vector stores a knowledge collection can name (`vector_store`): pgvector, Qdrant, Chroma.

`store_for(name)` is the one way to reach a store. pgvector lives in PostgreSQL and needs
nothing; Qdrant and Chroma need the app's settings (a URL, or a folder under the data folder),
so the app's lifespan opens a `VectorStores` for the process (`VectorStores.install`) and
closes it on shutdown. Their clients connect on first use.
"""

from __future__ import annotations

import importlib.util
from typing import Any

from services import telemetry
from services.settings import Settings
from services.vectorstores.base import (
    Chunk,
    Hit,
    VectorStore,
    VectorStoreError,
    Where,
    collection_name,
)
from services.vectorstores.pgvector import PgVector
from services.vectorstores.traced import TracedStore

PGVECTOR = PgVector()
PACKAGES = {"qdrant": ("qdrant_client", "qdrant-client"), "chroma": ("chromadb", "chromadb")}
EXTERNAL = tuple(PACKAGES)  # stores outside PostgreSQL, named by `vector_collection_id`


def missing_package(name: str) -> str | None:
    """The pip name of what a store needs and this environment lacks, if anything."""
    module, package = PACKAGES.get(name, (None, None))
    if module is None or importlib.util.find_spec(module) is not None:
        return None
    return package


class VectorStores:
    """The stores of one app: made by its lifespan, the process's current set until closed."""

    _installed: list[VectorStores] = []  # a stack: the last started app's stores serve

    def __init__(self, settings: Settings) -> None:
        from services.vectorstores.chroma import ChromaStore
        from services.vectorstores.qdrant import QdrantStore

        data = settings.data_dir.resolve()
        key = settings.qdrant_api_key.get_secret_value() if settings.qdrant_api_key else None
        self.stores: dict[str, Any] = {
            "pgvector": PGVECTOR,
            "qdrant": QdrantStore(url=settings.qdrant_url, api_key=key) if settings.qdrant_url
            else QdrantStore(path=data / "qdrant"),
            "chroma": ChromaStore(url=settings.chroma_url) if settings.chroma_url
            else ChromaStore(path=data / "chroma"),
        }

    @classmethod
    def install(cls, settings: Settings) -> VectorStores:
        stores = cls(settings)
        cls._installed.append(stores)
        return stores

    @classmethod
    def current(cls) -> VectorStores | None:
        return cls._installed[-1] if cls._installed else None

    def get(self, name: str) -> VectorStore:
        store = self.stores.get(name)
        if store is None:
            raise VectorStoreError(f"There is no {name} vector store")
        package = missing_package(name)
        if package is not None:
            raise VectorStoreError(f"The {name} vector store needs the {package} package, "
                                   f"which this server lacks: pip install {package}")
        return store  # type: ignore[no-any-return]

    async def close(self) -> None:
        if self in self._installed:
            self._installed.remove(self)
        for name in EXTERNAL:
            await self.stores[name].close()


def store_for(name: str) -> VectorStore:
    """The store a collection names; VectorStoreError (a LookupError) when it cannot serve.
    While tracing is on, its calls are spans."""
    store = _store(name)
    return TracedStore(store, name) if telemetry.tracing() else store


def _store(name: str) -> VectorStore:
    if name == "pgvector":
        return PGVECTOR
    stores = VectorStores.current()
    if stores is None:
        raise VectorStoreError(f"The {name} vector store is not open in this process")
    return stores.get(name)


__all__ = ["EXTERNAL", "Chunk", "Hit", "VectorStore", "VectorStoreError", "VectorStores",
           "Where", "collection_name", "missing_package", "store_for"]
