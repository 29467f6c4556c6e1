"""Chat sessions and messages: by far the biggest tables, as in production.

Messages are written in created_at order across all sessions, the way a live chat table fills:
a conversation comes in bursts (quick exchanges, then hours or days later), so its messages
are spread over several heap pages instead of sitting together, and reading one costs what it
would on real data (peerbench's toy data spreads them too, one page per message).
"""

from __future__ import annotations

import itertools
import math
import random
from datetime import timedelta
from functools import cache
from operator import itemgetter

from app.demo_data.common import END_TIME, Model, World, between, dumps, make_rng

VERBS = (
    ("configure", "configuring"), ("debug", "debugging"), ("cache", "caching"),
    ("deploy", "deploying"), ("monitor", "monitoring"), ("version", "versioning"),
    ("validate", "validating"), ("export", "exporting"), ("shard", "sharding"),
    ("benchmark", "benchmarking"), ("rotate", "rotating"), ("retrain", "retraining"),
    ("profile", "profiling"), ("migrate", "migrating"),
)  # fmt: skip
NOUNS = (
    "the embeddings", "the retry logic", "our tokenizer", "the API keys", "the eval set",
    "the prompt cache", "the vector index", "the training loop", "rate limits",
    "the CSV import", "the billing report", "the model registry", "GPU quotas", "webhooks",
    "the audit log", "the RAG pipeline", "feature flags", "the login flow", "batch jobs",
    "the dashboards",
)  # fmt: skip
FILLS = {
    "tool": ("Python", "Spark", "Kubernetes", "Postgres", "Airflow", "pandas", "Terraform",
             "dbt", "Rust", "FastAPI", "Redis", "Go"),
    "team": ("support", "finance", "legal", "data", "platform", "sales", "research"),
    "event": ("last deploy", "schema change", "upgrade", "nightly sync", "key rotation",
              "migration", "failover", "outage"),
}
USER_LINES = (
    "How do I {verb} {noun} in {tool}?",
    "Can you {verb} {noun} for the {team} team?",
    "Why does {noun} break after the {event}?",
    "Write a {tool} snippet to {verb} {noun}.",
    "What is the best way to {verb} {noun}?",
    "Is it safe to {verb} {noun} during the {event}?",
    "Thanks! How would I {verb} {noun} next?",
    "Should the {team} team {verb} {noun}?",
)
ASSISTANT_LINES = (
    "Start by {ing} {noun}, then rerun it.",
    "The {event} likely changed {noun}.",
    "Sure: {ing} {noun} in {tool} takes two steps.",
    "A small {tool} job can {verb} {noun}.",
    "Check the logs first; {noun} may be stale.",
    "I would {verb} {noun} behind a flag.",
    "Yes, if you {verb} {noun} after the {event}.",
    "Ask the {team} team before {ing} {noun}.",
)
SYSTEM_PROMPTS = (
    None, None, "You are a concise assistant for the {team} team.",
    "Answer with code first, then a short explanation.",
    "You are a senior data engineer. Be precise and cite docs.",
)
MIN_LEN, MAX_LEN = 34, 50  # turns of ~44 characters, as in the peerbench toy data


@cache
def _pool(templates: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
    """Every short enough filling of the templates, per noun: thousands of distinct turns, and
    picking one costs two random numbers instead of a dozen choice() calls per message."""
    by_noun = []
    for noun in NOUNS:
        lines = []
        for template in templates:
            slots = [k for k in FILLS if "{" + k + "}" in template]
            for verb, ing in VERBS:
                for fill in itertools.product(*(FILLS[k] for k in slots)):
                    line = template.format(verb=verb, ing=ing, noun=noun,
                                           **dict(zip(slots, fill, strict=True)))
                    if MIN_LEN <= len(line) <= MAX_LEN:
                        lines.append(line[0].upper() + line[1:])
        by_noun.append(tuple(lines))
    return tuple(by_noun)


def _pick(rng: random.Random, pool: tuple[tuple[str, ...], ...], topic: int) -> str:
    """Mostly about the session's topic, sometimes about something else."""
    lines = pool[topic if rng.random() < 0.6 else int(rng.random() * len(pool))]
    return lines[int(rng.random() * len(lines))]


def _models(models: list[Model]) -> list[Model]:
    """What a user picks to chat with: active chat models, else anything the org has."""
    return ([m for m in models if m.model_type == "chat" and m.status == "active"]
            or [m for m in models if m.model_type == "chat"] or models)


def build(world: World) -> None:
    sizes, ids, rng = world.sizes, world.ids, make_rng(world.sizes.seed, "chat")
    sessions = world.table("chat_sessions", (
        "id", "organization_id", "user_id", "model_id", "title", "system_prompt", "config",
        "status", "message_count", "total_tokens", "last_message_at", "created_at",
        "updated_at",
    ))  # fmt: skip
    messages = world.table("chat_messages", (
        "id", "organization_id", "session_id", "role", "content", "metadata", "prompt_tokens",
        "completion_tokens", "total_tokens", "sequence_number", "parent_message_id",
        "created_at", "updated_at",
    ))  # fmt: skip
    rows = messages.rows
    user_pool, assistant_pool = _pool(USER_LINES), _pool(ASSISTANT_LINES)
    n_messages = sizes.messages
    for org in world.orgs:
        choices = _models(org.models)
        for u, (user_id, joined) in enumerate(zip(org.user_ids, org.user_created, strict=True)):
            for k in range(sizes.sessions):
                session_id = ids("chat_sessions", org.index, u, k)
                model = rng.choice(choices)
                verb, topic = rng.choice(VERBS), rng.randrange(len(NOUNS))
                tool = rng.choice(FILLS["tool"])
                prompt = rng.choice(SYSTEM_PROMPTS)
                if prompt:
                    prompt = prompt.format(team=rng.choice(FILLS["team"]))
                earliest = joined + timedelta(hours=1)
                started = between(rng, earliest, max(earliest, END_TIME - timedelta(days=21)))
                at = started + timedelta(seconds=rng.randint(2, 40))
                context = math.ceil(len(prompt) / 4) if prompt else 0
                session_tokens = 0
                parent = None
                for n in range(1, n_messages + 1):
                    message_id = ids("chat_messages", org.index, u, k, n)
                    if n % 2:  # the user asks: quickly again, or hours/days later
                        if n > 1:
                            at += timedelta(seconds=rng.expovariate(1 / 120) + 5
                                            if rng.random() < 0.5 else rng.randint(3600, 172800))
                        content = _pick(rng, user_pool, topic)
                        tokens = total = math.ceil(len(content) / 4)
                        rows.append((message_id, org.id, session_id, "user", content, "{}",
                                     tokens, None, total, n, parent, at, at))
                    else:  # the model answers within seconds
                        at += timedelta(milliseconds=rng.randint(900, 25000))
                        content = _pick(rng, assistant_pool, topic)
                        tokens = math.ceil(len(content) / 4)
                        total = context + tokens  # the model re-reads the whole conversation
                        meta = (f'{{"finish_reason":"stop","latency_ms":{rng.randint(300, 9000)},'
                                f'"model":"{model.name}"}}')
                        rows.append((message_id, org.id, session_id, "assistant", content, meta,
                                     context, tokens, total, n, parent, at, at))
                    context += tokens
                    session_tokens += total
                    parent = message_id
                config = {"temperature": rng.choice((0.2, 0.7, 1.0)),
                          "max_tokens": rng.choice((512, 1024, 4096))}
                status = "archived" if rng.random() < 0.2 else "active"
                title = f"{verb[1].capitalize()} {NOUNS[topic]} in {tool}"
                last = at if n_messages else None
                sessions.rows.append((
                    session_id, org.id, user_id, model.id, title, prompt, dumps(config), status,
                    n_messages, session_tokens, last, started, last or started,
                ))  # fmt: skip
    sessions.rows.sort(key=itemgetter(sessions.columns.index("created_at")))
    # physical order = arrival order (see the module docstring)
    rows.sort(key=itemgetter(messages.columns.index("created_at")))
