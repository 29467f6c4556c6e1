"""Relations of the experiments domain (see db/loaders/base.py)."""

from db.loaders.base import Order, Relation

PROJECTS = Relation("projects", "projects", live_only=True)
PROJECTS_BY_ORGANIZATION = Relation(
    "projects", "projects", parent_key="organization_id", live_only=True
)
EXPERIMENTS = Relation("experiments", "experiments", live_only=True)
EXPERIMENTS_BY_PROJECT = Relation(
    "experiments", "experiments", parent_key="project_id", live_only=True
)
RUNS = Relation("runs", "runs")
RUNS_BY_EXPERIMENT = Relation("runs", "runs", parent_key="experiment_id")
# A run's curve: (run_id, step, id) is the table's one index, so this order is the cheap one.
METRICS_BY_RUN = Relation(
    "metrics", "run_metrics", parent_key="run_id", default_order=Order(("step", "id"))
)
# Versions a run produced; the column lives on model_versions (ai_models domain).
MODEL_VERSIONS_BY_RUN = Relation("modelVersions", "model_versions", parent_key="source_run_id")
