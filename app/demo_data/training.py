"""Datasets and their versions; projects -> experiments -> runs -> run_metrics (training curves).

Runs fine-tune a model's production version on one of the org's datasets; a completed run is
recorded as the source of that model's staging version (World.version_sources).
"""

from __future__ import annotations

import hashlib
import math
import random
import uuid
from datetime import datetime, timedelta
from typing import NamedTuple

from app.demo_data.common import END_TIME, Org, World, between, dumps, make_rng

DATASETS = (  # name, dataset_type, format, rows, bytes per row, tags, schema
    ("support-conversations", "text", "jsonl", 120_000, 900, ["chat", "support"],
     {"prompt": "string", "response": "string", "rating": "int"}),
    ("product-catalog", "tabular", "parquet", 45_000, 400, ["retail", "catalog"],
     {"sku": "string", "title": "string", "price": "decimal", "category": "string"}),
    ("invoice-scans", "image", "png", 18_000, 350_000, ["ocr", "finance"],
     {"image": "binary", "vendor": "string", "total": "decimal"}),
    ("sales-history", "time_series", "csv", 800_000, 120, ["forecasting", "sales"],
     {"date": "date", "store_id": "int", "units": "int"}),
    ("contract-clauses", "text", "jsonl", 60_000, 1_500, ["legal", "nlp"],
     {"clause": "string", "label": "string"}),
    ("sensor-readings", "time_series", "parquet", 2_500_000, 64, ["iot", "anomaly"],
     {"ts": "timestamp", "sensor": "string", "value": "float"}),
)  # fmt: skip
DATASETS_PER_ORG = 4
DATASET_VERSIONS = ("v1", "v2", "v3")
PROJECTS = (
    ("Support Copilot", "Fine-tune a chat model on resolved support conversations."),
    ("Invoice OCR", "Extract vendor and totals from scanned invoices."),
    ("Demand Forecasting", "Predict weekly demand per store and SKU."),
    ("Contract Review", "Classify risky clauses in supplier contracts."),
    ("Search Relevance", "Re-rank catalogue search results with embeddings."),
)
PROJECTS_PER_ORG = 2
EXPERIMENTS = ("baseline", "lora-r16", "full-finetune", "distill-8b")
EXPERIMENTS_PER_PROJECT = 2
RUNS_PER_EXPERIMENT = 3
METRIC_POINTS = 50  # points a finished run reported; STEPS_PER_POINT training steps apart
STEPS_PER_POINT = 20
EPOCHS = 3
RUN_STATUSES = (("completed", 0.6), ("running", 0.1), ("failed", 0.1), ("cancelled", 0.05),
                ("queued", 0.1), ("pending", 0.05))


def build_datasets(world: World) -> None:
    ids, rng = world.ids, make_rng(world.sizes.seed, "datasets")
    datasets = world.table("datasets", (
        "id", "organization_id", "name", "description", "dataset_type", "format",
        "storage_location", "size_bytes", "row_count", "schema", "metadata", "tags", "is_public",
        "created_by", "created_at", "updated_at",
    ))  # fmt: skip
    versions = world.table("dataset_versions", (
        "id", "organization_id", "dataset_id", "version", "storage_location", "size_bytes",
        "row_count", "changes_description", "metadata", "created_by", "created_at",
        "updated_at",
    ))  # fmt: skip
    for org in world.orgs:
        for d, spec in enumerate(rng.sample(DATASETS, DATASETS_PER_ORG)):
            name, kind, fmt, rows, row_bytes, tags, schema = spec
            dataset_id = ids("datasets", org.index, d)
            org.dataset_ids.append(dataset_id)
            location = f"s3://{org.slug}-datasets/{name}"
            created = between(rng, org.created_at, org.created_at + timedelta(days=20))
            when, count = created, int(rows * rng.uniform(0.5, 1.0))
            for v, version in enumerate(DATASET_VERSIONS):
                when = between(rng, when, min(when + timedelta(days=30), END_TIME))
                count = count if v == 0 else int(count * rng.uniform(1.05, 1.4))
                change = "Initial import." if v == 0 else rng.choice((
                    "Deduplicated rows and fixed encodings.", "Added last month's data.",
                    "Relabelled ambiguous examples.", "Dropped rows with missing fields."))
                versions.rows.append((
                    ids("dataset_versions", org.index, d, v), org.id, dataset_id, version,
                    f"{location}/{version}/", count * row_bytes, count, change,
                    dumps({"format": fmt}), org.author(rng), when, when,
                ))  # fmt: skip
            datasets.rows.append((
                dataset_id, org.id, name, f"{name.replace('-', ' ').capitalize()} for {org.name}",
                kind, fmt, f"{location}/{DATASET_VERSIONS[-1]}/", count * row_bytes, count,
                dumps(schema), dumps({"latest_version": DATASET_VERSIONS[-1], "owner_team":
                                      rng.choice(("data", "ml", "analytics"))}),
                tags, rng.random() < 0.15, org.author(rng), created, when,
            ))  # fmt: skip


class Point(NamedTuple):
    step: int
    epoch: int
    loss: float
    accuracy: float
    at: datetime


def _metrics(rng: random.Random, org: Org, run_id: uuid.UUID, points: int, lr: float,
             started: datetime, rows: list[tuple[object, ...]]) -> Point | None:
    """A plausible curve: loss decays, accuracy rises (with noise), lr warms up then decays.
    Returns the last point, which the run's counters and summary repeat."""
    loss0, loss_end = rng.uniform(2.0, 3.5), rng.uniform(0.2, 0.7)
    acc0, acc_end = rng.uniform(0.2, 0.4), rng.uniform(0.8, 0.95)
    gpu = rng.choice((14_000.0, 22_000.0, 38_000.0, 70_000.0))
    every = timedelta(seconds=rng.randint(30, 240))
    warmup = METRIC_POINTS // 10
    last = None
    for i in range(points):
        decay = math.exp(-4 * (i + 1) / METRIC_POINTS)
        rate = lr * (i + 1) / warmup if i < warmup else lr * 0.5 * (
            1 + math.cos(math.pi * (i - warmup) / (METRIC_POINTS - warmup)))
        last = Point(
            (i + 1) * STEPS_PER_POINT, i * EPOCHS // METRIC_POINTS + 1,
            round(loss_end + (loss0 - loss_end) * decay + rng.gauss(0, 0.03), 5),
            round(min(1.0, max(0.0, acc_end - (acc_end - acc0) * decay + rng.gauss(0, 0.01))), 5),
            started + every * (i + 1),
        )  # fmt: skip
        rows.append((
            uuid.uuid5(run_id, str(i)), org.id, run_id, last.step, last.epoch, last.loss,
            last.accuracy, rate, round(gpu * rng.uniform(0.9, 0.98), 1),
            dumps({"grad_norm": round(rng.uniform(0.2, 2.0) * decay + 0.1, 4)}), last.at,
        ))  # fmt: skip
    return last


def build_experiments(world: World) -> None:
    ids, rng = world.ids, make_rng(world.sizes.seed, "experiments")
    projects = world.table("projects", (
        "id", "organization_id", "name", "description", "git_repository_url", "configuration",
        "tags", "created_by", "created_at", "updated_at",
    ))  # fmt: skip
    experiments = world.table("experiments", (
        "id", "organization_id", "project_id", "name", "description", "status", "git_branch",
        "git_commit", "configuration", "tags", "created_by", "created_at", "updated_at",
    ))  # fmt: skip
    runs = world.table("runs", (
        "id", "organization_id", "experiment_id", "name", "dataset_id", "base_model_version_id",
        "status", "hyperparameters", "summary_metrics", "progress", "current_epoch",
        "total_epochs", "current_step", "total_steps", "artifacts_location", "logs_location",
        "started_at", "completed_at", "error_message", "created_by", "created_at", "updated_at",
    ))  # fmt: skip
    metrics = world.table("run_metrics", (
        "id", "organization_id", "run_id", "step", "epoch", "loss", "accuracy", "learning_rate",
        "gpu_memory_mb", "custom", "created_at",
    ))  # fmt: skip
    statuses, weights = zip(*RUN_STATUSES, strict=True)
    total_steps = METRIC_POINTS * STEPS_PER_POINT
    for org in world.orgs:
        trainable = [m for m in org.models if m.model_type in ("chat", "completion")]
        sourced: set[uuid.UUID] = set()
        for p, (name, description) in enumerate(rng.sample(PROJECTS, PROJECTS_PER_ORG)):
            project_id = ids("projects", org.index, p)
            repo = name.lower().replace(" ", "-")
            created = between(rng, org.created_at, org.created_at + timedelta(days=30))
            projects.rows.append((
                project_id, org.id, name, description,
                f"https://git.example.com/{org.slug}/{repo}.git",
                dumps({"default_gpu": rng.choice(("A10G", "A100")), "framework": "pytorch"}),
                [repo, "ml"], org.author(rng), created, created,
            ))  # fmt: skip
            for e, exp_name in enumerate(rng.sample(EXPERIMENTS, EXPERIMENTS_PER_PROJECT)):
                experiment_id = ids("experiments", org.index, p, e)
                exp_created = between(rng, created, created + timedelta(days=30))
                experiments.rows.append((
                    experiment_id, org.id, project_id, exp_name, f"{name}: {exp_name}",
                    rng.choice(("active", "active", "completed", "archived")),
                    f"exp/{exp_name}", hashlib.sha1(experiment_id.bytes).hexdigest(),
                    dumps({"seed": rng.randint(0, 9999), "precision": "bf16"}),
                    [exp_name, repo], org.author(rng), exp_created, exp_created,
                ))  # fmt: skip
                for r in range(RUNS_PER_EXPERIMENT):
                    run_id = ids("runs", org.index, p, e, r)
                    status = rng.choices(statuses, weights)[0]
                    base = rng.choice(trainable or org.models or [None])
                    lr = rng.choice((1e-5, 2e-5, 5e-5, 1e-4))
                    hyper = {"learning_rate": lr, "batch_size": rng.choice((8, 16, 32)),
                             "epochs": EPOCHS, "warmup_ratio": 0.1, "optimizer": "adamw",
                             "lora_rank": rng.choice((8, 16, 64)) if "lora" in exp_name else None}
                    created_run = between(rng, exp_created, exp_created + timedelta(days=20))
                    points = {"completed": METRIC_POINTS, "queued": 0, "pending": 0}.get(
                        status, rng.randint(1, METRIC_POINTS - 1))
                    started = (created_run + timedelta(minutes=rng.randint(1, 90))
                               if points else None)
                    last = (_metrics(rng, org, run_id, points, lr, started, metrics.rows)
                            if started else None)
                    finished = status in ("completed", "failed", "cancelled")
                    summary = ({"final_loss": last.loss, "final_accuracy": last.accuracy,
                                "eval_loss": round(last.loss * rng.uniform(1.02, 1.15), 5)}
                               if status == "completed" and last else {})
                    prefix = f"s3://{org.slug}-runs/{run_id}"
                    runs.rows.append((
                        run_id, org.id, experiment_id, f"{exp_name}-{r + 1}",
                        rng.choice(org.dataset_ids) if org.dataset_ids else None,
                        base.version_ids[0] if base else None, status, dumps(hyper),
                        dumps(summary), points / METRIC_POINTS,
                        last.epoch if last else 0, EPOCHS, last.step if last else 0, total_steps,
                        f"{prefix}/artifacts/" if status == "completed" else None,
                        f"{prefix}/logs/" if started else None, started,
                        last.at if finished and last else None,
                        "CUDA out of memory (tried to allocate 2.00 GiB)"
                        if status == "failed" else None,
                        org.author(rng), created_run, last.at if last else created_run,
                    ))  # fmt: skip
                    if status == "completed" and base and base.id not in sourced:
                        sourced.add(base.id)  # staging version = what this run produced
                        world.version_sources.append((base.version_ids[1], run_id))
