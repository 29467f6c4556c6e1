"""What every demo-data builder shares: sizes, deterministic ids/randomness/times, the tables
being built and the small "world" the domains hand to each other (who is in which org...).

Everything is derived from the seed, never from the clock or uuid4, so a rerun with the same
sizes and seed writes byte-identical rows and benchmarks always run on the same data.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

# The demo world's "now" is fixed: timestamps are BASE_TIME plus seeded offsets.
BASE_TIME = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
END_TIME = BASE_TIME + timedelta(days=180)


@dataclass(frozen=True)
class DemoSizes:
    orgs: int = 20
    members: int = 50  # members per organization (users are distinct per org: orgs*members users)
    models: int = 10  # AI models per organization, each with a few versions (3)
    sessions: int = 5  # chat sessions per user
    messages: int = 20  # messages per chat session
    seed: int = 42
    knowledge: bool = False  # seed 002's knowledge collections (app/demo_data/knowledge.py)

    def validate(self) -> None:
        for name in ("orgs", "members", "models", "sessions", "messages"):
            if getattr(self, name) < 0:
                raise ValueError(f"demo data size {name} must be >= 0")
        if self.sessions and self.members and self.orgs and not self.models:
            raise ValueError("chat sessions need a model: use models >= 1 or sessions = 0")


class Ids:
    """uuid5 ids from seed + table + position: stable across runs, distinct across seeds."""

    def __init__(self, seed: int) -> None:
        self._namespace = uuid.uuid5(uuid.NAMESPACE_URL, f"https://aiplatform.example/demo/{seed}")

    def __call__(self, table: str, *parts: object) -> uuid.UUID:
        return uuid.uuid5(self._namespace, table + ":" + ":".join(map(str, parts)))


def make_rng(seed: int, domain: str) -> random.Random:
    """One generator per domain, so adding columns to one domain leaves the others unchanged.
    (str seeds are hashed with sha512, independent of PYTHONHASHSEED.)"""
    return random.Random(f"{seed}/{domain}")


def dumps(value: Any) -> str:
    """JSONB as text: asyncpg's default jsonb codec takes str, and sorted keys keep it stable."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


def between(rng: random.Random, start: datetime, end: datetime) -> datetime:
    """A random instant in [start, end], whole seconds (readable, and no float drift)."""
    span = max(0, int((end - start).total_seconds()))
    return start + timedelta(seconds=rng.randint(0, span))


@dataclass
class Table:
    """Rows for one COPY; `columns` lists only what we set, the rest take server defaults
    (constants such as '{}' or false, never now(): created_at/updated_at are always set)."""

    name: str
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]] = field(default_factory=list)


@dataclass
class Model:
    id: uuid.UUID
    name: str
    provider: str
    model_type: str
    status: str
    created_at: datetime
    # [production (is_default), staging, draft]; index 0 is what runs start from and deploy
    version_ids: list[uuid.UUID] = field(default_factory=list)


@dataclass
class Org:
    index: int
    id: uuid.UUID
    name: str
    slug: str
    created_at: datetime
    user_ids: list[uuid.UUID] = field(default_factory=list)
    user_created: list[datetime] = field(default_factory=list)
    admin_ids: list[uuid.UUID] = field(default_factory=list)  # owner first: the usual authors
    models: list[Model] = field(default_factory=list)
    dataset_ids: list[uuid.UUID] = field(default_factory=list)

    def author(self, rng: random.Random) -> uuid.UUID | None:
        """created_by for org-level objects: mostly the owner/admins, sometimes any member."""
        pool = self.admin_ids if self.admin_ids and rng.random() < 0.7 else self.user_ids
        return rng.choice(pool) if pool else None


@dataclass
class World:
    sizes: DemoSizes
    ids: Ids
    orgs: list[Org] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    # (model_version_id, run_id): set after both tables are loaded (the FKs are circular)
    version_sources: list[tuple[uuid.UUID, uuid.UUID]] = field(default_factory=list)

    def table(self, name: str, columns: tuple[str, ...]) -> Table:
        table = Table(name, columns)
        self.tables.append(table)
        return table
