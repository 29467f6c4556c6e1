"""AI models (a catalogue of hosted and self-hosted models), their versions and deployments."""

from __future__ import annotations

from datetime import timedelta
from typing import NamedTuple

from app.demo_data.common import END_TIME, Model, World, between, dumps, make_rng


class Spec(NamedTuple):
    name: str
    provider: str
    model_type: str
    framework: str | None
    context_window: int
    max_tokens: int | None
    price_in: float  # USD per 1M tokens
    price_out: float
    params_b: float | None  # billions of parameters, for the artefacts we host ourselves
    capabilities: tuple[str, ...]


# Chat models come first so that even models=1 gives every organization something to chat with.
CATALOG = (
    Spec("gpt-4o", "openai", "chat", None, 128_000, 16_384, 2.5, 10.0, None,
         ("chat", "function_calling", "vision", "json_mode")),
    Spec("claude-sonnet-4", "anthropic", "chat", None, 200_000, 64_000, 3.0, 15.0, None,
         ("chat", "function_calling", "vision")),
    Spec("llama-3.1-8b-instruct", "local", "chat", "vllm", 131_072, 8_192, 0.0, 0.0, 8.0,
         ("chat", "function_calling")),
    Spec("text-embedding-3-small", "openai", "embedding", None, 8_191, None, 0.02, 0.0, None,
         ("embedding",)),
    Spec("gpt-4o-mini", "openai", "chat", None, 128_000, 16_384, 0.15, 0.6, None,
         ("chat", "function_calling", "json_mode")),
    Spec("mistral-7b-instruct-v0.3", "huggingface", "chat", "transformers", 32_768, 8_192,
         0.0, 0.0, 7.2, ("chat",)),
    Spec("bge-large-en-v1.5", "huggingface", "embedding", "sentence-transformers", 512, None,
         0.0, 0.0, 0.335, ("embedding",)),
    Spec("claude-3-5-haiku", "anthropic", "chat", None, 200_000, 8_192, 0.8, 4.0, None,
         ("chat", "function_calling")),
    Spec("llava-1.6-mistral-7b", "local", "vision", "vllm", 32_768, 4_096, 0.0, 0.0, 7.6,
         ("vision", "chat")),
    Spec("gpt-3.5-turbo-instruct", "openai", "completion", None, 4_096, 4_096, 1.5, 2.0, None,
         ("completion",)),
)  # fmt: skip
FINE_TUNES = ("support-assistant", "contract-summarizer", "sql-copilot", "triage-classifier")
VERSIONS = (("1.0.0", "production"), ("1.1.0", "staging"), ("2.0.0-rc1", "draft"))
DEPLOYED_PER_ORG = 3
DEPLOY_STATUSES = (("running", 0.75), ("deploying", 0.05), ("stopped", 0.1), ("failed", 0.05),
                   ("pending", 0.05))


def _spec(k: int) -> Spec:
    """The catalogue, then the organization's own fine-tunes of the local Llama."""
    if k < len(CATALOG):
        return CATALOG[k]
    n = k - len(CATALOG)
    name = f"{FINE_TUNES[n % len(FINE_TUNES)]}-ft-{n // len(FINE_TUNES) + 1}"
    return CATALOG[2]._replace(name=name, framework="vllm")


def build(world: World) -> None:
    ids, rng = world.ids, make_rng(world.sizes.seed, "models")
    models = world.table("ai_models", (
        "id", "organization_id", "name", "provider", "model_type", "framework", "version",
        "description", "config", "pricing", "capabilities", "status", "max_tokens",
        "context_window", "tags", "created_by", "created_at", "updated_at",
    ))  # fmt: skip
    versions = world.table("model_versions", (
        "id", "organization_id", "model_id", "version", "description", "status",
        "storage_location", "metrics", "parameters", "size_bytes", "is_default", "artifacts",
        "created_by", "created_at", "updated_at",
    ))  # fmt: skip
    for org in world.orgs:
        for k in range(world.sizes.models):
            spec = _spec(k)
            hosted = spec.params_b is None
            status = "deprecated" if spec.name == "gpt-3.5-turbo-instruct" else (
                "inactive" if rng.random() < 0.05 else "active")
            created = between(rng, org.created_at, org.created_at + timedelta(days=14))
            model = Model(ids("ai_models", org.index, k), spec.name, spec.provider,
                          spec.model_type, status, created)
            org.models.append(model)
            config = ({"api_base": f"https://api.{spec.provider}.com/v1", "timeout_s": 60}
                      if hosted else {"endpoint": f"http://inference.{org.slug}.internal:8000",
                                      "gpu": rng.choice(("A10G", "L4", "A100"))})
            config["temperature"] = rng.choice((0.2, 0.5, 0.7, 1.0))
            # the shape createModel validates and chat cost accounting reads
            pricing = {"currency": "USD", "input_per_1k": round(spec.price_in / 1000, 6),
                       "output_per_1k": round(spec.price_out / 1000, 6)}
            tags = ["hosted" if hosted else "self-hosted", spec.provider, spec.model_type]
            models.rows.append((
                model.id, org.id, spec.name, spec.provider, spec.model_type, spec.framework,
                "2024-08-06" if hosted else "1.0", f"{spec.name} ({spec.model_type}) "
                f"via {spec.provider}", dumps(config), dumps(pricing),
                dumps(list(spec.capabilities)), status, spec.max_tokens, spec.context_window,
                tags, org.author(rng), created, created + timedelta(days=rng.randint(0, 60)),
            ))  # fmt: skip
            when = created
            for v, (version, v_status) in enumerate(VERSIONS):
                version_id = ids("model_versions", org.index, k, v)
                model.version_ids.append(version_id)
                when = between(rng, when, min(when + timedelta(days=40), END_TIME))
                size = (None if spec.params_b is None  # bf16 weights: 2 bytes/parameter
                        else int(spec.params_b * 2e9 * rng.uniform(0.98, 1.02)))
                metrics = {"eval_accuracy": round(rng.uniform(0.7, 0.93) + v * 0.01, 4),
                           "latency_p50_ms": rng.randint(80, 900)}
                parameters = {"parameters_b": spec.params_b,
                              "quantization": rng.choice(("fp16", "bf16", "int8"))}
                versions.rows.append((
                    version_id, org.id, model.id, version, f"{spec.name} {version}", v_status,
                    None if hosted else f"s3://{org.slug}-models/{spec.name}/{version}/",
                    dumps(metrics), dumps(parameters), size, v == 0,
                    dumps({} if hosted else {"formats": ["safetensors", "gguf"]}),
                    org.author(rng), when, when,
                ))  # fmt: skip


def build_deployments(world: World) -> None:
    """The production version of each organization's first few models is served."""
    ids, rng = world.ids, make_rng(world.sizes.seed, "deployments")
    table = world.table("deployments", (
        "id", "organization_id", "model_version_id", "name", "description", "service_type",
        "environment", "version", "endpoint_url", "status", "replicas", "resource_allocation",
        "autoscaling_config", "traffic_percentage", "metrics", "deployed_at", "created_by",
        "created_at", "updated_at",
    ))  # fmt: skip
    statuses, weights = zip(*DEPLOY_STATUSES, strict=True)
    for org in world.orgs:
        for k, model in enumerate(org.models[:DEPLOYED_PER_ORG]):
            status = rng.choices(statuses, weights)[0]
            replicas = {"running": rng.randint(1, 4), "deploying": 1, "pending": 1}.get(status, 0)
            created = between(rng, model.created_at, model.created_at + timedelta(days=30))
            deployed = created + timedelta(minutes=rng.randint(2, 20))
            live = status in ("running", "stopped")
            metrics = ({"requests_per_min": rng.randint(5, 900), "p95_latency_ms":
                        rng.randint(150, 2500), "error_rate": round(rng.uniform(0, 0.02), 4)}
                       if status == "running" else {})
            table.rows.append((
                ids("deployments", org.index, k), org.id, model.version_ids[0],
                f"{model.name}-{'prod' if k < 2 else 'staging'}",
                f"Serves {model.name} 1.0.0 to {org.name} apps", "builtin",
                "production" if k < 2 else "staging", "1.0.0",
                None if status == "pending" else
                f"https://{org.slug}.inference.example.com/v1/{model.name}",
                status, replicas,
                dumps({"cpu": "2", "memory": "8Gi", "gpu": 0 if model.provider != "local" else 1}),
                dumps({"min_replicas": 1, "max_replicas": 6, "target_cpu_percent": 70}),
                100.0, dumps(metrics), deployed if live else None, org.author(rng), created,
                deployed if live else created,
            ))  # fmt: skip
