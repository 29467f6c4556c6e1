"""startTrainingJob: a queued run of the experiment and its job on `model_training`, in one
transaction (services/training/ trains it on a worker).

Needs experiment:write in the experiment's organization; the dataset version must be one the
caller sees in the same organization, and a model named to register under needs model:write
there too. Foreign or invisible ids are NOT_FOUND before any input problem; input problems
(unknown trainer, hyperparameters the trainer does not take, a version without a file) come
back together as userErrors, and nothing is written. What can only be known from the data (a
missing target column, a text feature, an unreadable file) fails the run with its reason.
"""

from __future__ import annotations

from typing import Any

from db.models import AIModel, Dataset, DatasetVersion, Experiment, Run
from graphql_schema.ai_models.types import AiModel as AiModelNode
from graphql_schema.context import Info
from graphql_schema.datasets.types import DatasetVersion as DatasetVersionNode
from graphql_schema.errors import NotFound
from graphql_schema.experiments import types
from graphql_schema.experiments.inputs import StartTrainingJobInput
from graphql_schema.experiments.payloads import ExperimentErrorCode as Code
from graphql_schema.experiments.payloads import StartTrainingJobPayload
from graphql_schema.relay import decode_global_id_of
from resolvers.experiments.mutations.common import (
    NAME_MAX,
    object_problems,
    optional_text_problems,
    referenced_row,
    text_problems,
    writable_row,
)
from resolvers.experiments.mutations.runs import announce
from resolvers.mutations import InvalidInput, Problem, mutation_payload, require, write
from services.training.task import enqueue_training
from services.training.trainers import TRAINERS, hyperparameter_problems, iterations

MODEL_WRITE = "model:write"
COLUMN_MAX = 255


async def start_training_job(info: Info, input: StartTrainingJobInput
                             ) -> StartTrainingJobPayload:
    experiment_id = decode_global_id_of(input.experiment_id, types.Experiment,
                                        field="experimentId")
    version_id = decode_global_id_of(input.dataset_version_id, DatasetVersionNode,
                                     field="datasetVersionId")
    model_id = (None if input.model_id is None
                else decode_global_id_of(input.model_id, AiModelNode, field="modelId"))

    async def body() -> StartTrainingJobPayload:
        hyperparameters = {} if input.hyperparameters is None else input.hyperparameters
        target = input.target_column.strip()
        name = (input.name or "").strip() or None
        problems = (object_problems("hyperparameters", hyperparameters)
                    + text_problems("targetColumn", target, COLUMN_MAX)
                    + optional_text_problems("name", name, NAME_MAX))
        trainer = TRAINERS.get(input.trainer)
        if trainer is None:
            problems.append(Problem("trainer", f"No trainer {input.trainer!r}: one of "
                                               f"{', '.join(TRAINERS)}", Code.UNKNOWN_TRAINER))
        elif isinstance(hyperparameters, dict):
            problems += [Problem("hyperparameters", message, Code.INVALID)
                         for message in hyperparameter_problems(trainer, hyperparameters)]
        async with write(info) as tx:
            experiment = await writable_row(info, tx.session, Experiment, experiment_id,
                                            "experimentId")
            org_id = experiment.organization_id
            version = await referenced_row(info, tx.session, DatasetVersion, version_id,
                                           "datasetVersionId", org_id, problems)
            dataset = await tx.session.get(Dataset, version.dataset_id)
            if dataset is None or dataset.deleted_at is not None:
                raise NotFound("datasetVersionId: no such object", field="datasetVersionId")
            if model_id is not None:
                model = await referenced_row(info, tx.session, AIModel, model_id, "modelId",
                                             org_id, problems)
                require(info, MODEL_WRITE, model.organization_id)
            if version.file_id is None:
                problems.append(Problem("datasetVersionId", "The dataset version has no file "
                                                            "to train on", Code.INVALID))
            if problems:
                raise InvalidInput(problems)
            assert trainer is not None
            steps = iterations(trainer, hyperparameters)
            run = Run(organization_id=org_id, experiment_id=experiment.id, status="queued",
                      name=name or f"{trainer.name} on {dataset.name} {version.version}"[
                          :NAME_MAX],
                      dataset_id=dataset.id, hyperparameters=hyperparameters,
                      total_steps=steps,
                      total_epochs=steps if trainer.iterations_key == "epochs" else None,
                      created_by=info.context.principal.user_id)
            tx.session.add(run)
            await tx.session.flush()
            await enqueue_training(tx.session, run_id=run.id, dataset_version_id=version.id,
                                   trainer=trainer.name, target_column=target,
                                   model_id=model_id)
            await tx.audit("run.start_training", resource_type="Run", resource_id=run.id,
                           organization_id=org_id, new=_audited(run, version, target, model_id))
        return StartTrainingJobPayload(run=await announce(info, run.id))

    return await mutation_payload(body, lambda e: StartTrainingJobPayload(user_errors=e))


def _audited(run: Run, version: DatasetVersion, target: str, model_id: Any) -> dict[str, Any]:
    return {"status": run.status, "experiment_id": run.experiment_id, "name": run.name,
            "dataset_version_id": version.id, "target_column": target, "model_id": model_id,
            "hyperparameters": run.hyperparameters, "total_steps": run.total_steps}
