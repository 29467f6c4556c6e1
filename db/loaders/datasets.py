"""Relations of the datasets domain (see db/loaders/base.py)."""

from db.loaders.base import Relation

DATASETS = Relation("datasets", "datasets", live_only=True)
DATASETS_BY_ORGANIZATION = Relation(
    "datasets", "datasets", parent_key="organization_id", live_only=True
)
DATASET_VERSIONS_BY_DATASET = Relation("versions", "dataset_versions", parent_key="dataset_id")
# A task reads one dataset and writes another; listing by source is the one a dataset page
# needs ("what is built from this?") and keeps the relation a plain indexed key.
PROCESSING_TASKS_BY_SOURCE_DATASET = Relation(
    "processingTasks", "data_processing_tasks", parent_key="source_dataset_id"
)
# the versions a processing task wrote (lineage: dataset_versions.processing_task_id)
DATASET_VERSIONS_BY_PROCESSING_TASK = Relation(
    "outputVersions", "dataset_versions", parent_key="processing_task_id"
)
DATA_SOURCES = Relation("dataSources", "data_sources")
FILES = Relation("files", "files", live_only=True)
