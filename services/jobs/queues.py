"""The queues and what each may use: concurrency (jobs at once per worker process) and the
longest a job may run, from settings (AIPLATFORM_QUEUE_<NAME>_CONCURRENCY / _TIMEOUT_SECONDS).
"""

from __future__ import annotations

from typing import NamedTuple

from services.settings import Settings

CHARGING_ANALYSIS = "charging_analysis"
MODEL_TRAINING = "model_training"
DOCUMENT_PROCESSING = "document_processing"
DATA_PROCESSING = "data_processing"
MAINTENANCE = "maintenance"
QUEUES = (CHARGING_ANALYSIS, MODEL_TRAINING, DOCUMENT_PROCESSING, DATA_PROCESSING, MAINTENANCE)


class QueueLimits(NamedTuple):
    concurrency: int
    timeout_seconds: float


def limits(settings: Settings, queue: str) -> QueueLimits:
    if queue not in QUEUES:
        raise ValueError(f"unknown queue {queue!r}: one of {', '.join(QUEUES)}")
    return QueueLimits(getattr(settings, f"queue_{queue}_concurrency"),
                       getattr(settings, f"queue_{queue}_timeout_seconds"))
