"""createExperiment, updateExperiment, deleteExperiment (soft: `deleted_at`; runs are kept).

An experiment lives in its project's organization; a deleted project takes no new ones.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from strawberry import relay

from db.models import Experiment, Project
from graphql_schema.context import Info
from graphql_schema.experiments import types
from graphql_schema.experiments.inputs import (
    CreateExperimentInput,
    DeleteExperimentInput,
    UpdateExperimentInput,
)
from graphql_schema.experiments.payloads import (
    CreateExperimentPayload,
    DeleteExperimentPayload,
    UpdateExperimentPayload,
)
from graphql_schema.relay import decode_global_id_of
from resolvers.experiments.mutations.common import (
    BRANCH_MAX,
    clean_tags,
    git_commit_problems,
    object_problems,
    optional_text_problems,
    tags_problems,
    text_problems,
    writable_row,
)
from resolvers.mutations import InvalidInput, Problem, mutation_payload, write
from resolvers.nodes import fresh_node

AUDITED = ("name", "description", "status", "git_branch", "git_commit", "configuration",
           "tags", "project_id")


async def create_experiment(info: Info, input: CreateExperimentInput
                            ) -> CreateExperimentPayload:
    project_id = decode_global_id_of(input.project_id, types.Project, field="projectId")

    async def body() -> CreateExperimentPayload:
        name = input.name.strip()
        configuration = {} if input.configuration is None else input.configuration
        tags = clean_tags(input.tags or [])
        problems = (text_problems("name", name)
                    + optional_text_problems("gitBranch", input.git_branch, BRANCH_MAX)
                    + git_commit_problems(input.git_commit)
                    + object_problems("configuration", configuration) + tags_problems(tags))
        async with write(info) as tx:
            # the project's row lock keeps a concurrent deleteProject from missing this one
            project = await writable_row(info, tx.session, Project, project_id, "projectId")
            if problems:
                raise InvalidInput(problems)
            experiment = Experiment(
                organization_id=project.organization_id, project_id=project_id, name=name,
                description=input.description, git_branch=input.git_branch,
                git_commit=input.git_commit, configuration=configuration, tags=tags,
                created_by=info.context.principal.user_id)
            tx.session.add(experiment)
            await tx.session.flush()
            await tx.audit("experiment.create", resource_type="Experiment",
                           resource_id=experiment.id, organization_id=project.organization_id,
                           new={k: getattr(experiment, k) for k in AUDITED if k != "status"})
        node = await fresh_node(info, types.Experiment, experiment.id)
        return CreateExperimentPayload(experiment=node)

    return await mutation_payload(body, lambda e: CreateExperimentPayload(user_errors=e))


def _changes(input: UpdateExperimentInput) -> tuple[dict[str, Any], list[Problem]]:
    """The fields passed (absent ones stay unchanged), and their problems."""
    changes: dict[str, Any] = {}
    problems: list[Problem] = []
    if input.name is not None:
        changes["name"] = input.name.value.strip()
        problems += text_problems("name", changes["name"])
    if input.description is not None:
        changes["description"] = input.description.value
    if input.status is not None:
        changes["status"] = input.status.value.value
    if input.git_branch is not None:
        changes["git_branch"] = input.git_branch.value
        problems += optional_text_problems("gitBranch", input.git_branch.value, BRANCH_MAX)
    if input.git_commit is not None:
        changes["git_commit"] = input.git_commit.value
        problems += git_commit_problems(input.git_commit.value)
    if input.configuration is not None:
        changes["configuration"] = input.configuration.value
        problems += object_problems("configuration", input.configuration.value)
    if input.tags is not None:
        changes["tags"] = clean_tags(input.tags.value)
        problems += tags_problems(changes["tags"])
    return changes, problems


async def update_experiment(info: Info, input: UpdateExperimentInput
                            ) -> UpdateExperimentPayload:
    experiment_id = decode_global_id_of(input.id, types.Experiment, field="id")

    async def body() -> UpdateExperimentPayload:
        changes, problems = _changes(input)
        async with write(info) as tx:
            experiment = await writable_row(info, tx.session, Experiment, experiment_id, "id")
            if problems:
                raise InvalidInput(problems)
            old = {k: getattr(experiment, k) for k in changes}
            for key, value in changes.items():
                setattr(experiment, key, value)
            await tx.session.flush()
            await tx.audit("experiment.update", resource_type="Experiment",
                           resource_id=experiment.id,
                           organization_id=experiment.organization_id, old=old, new=changes)
        node = await fresh_node(info, types.Experiment, experiment_id)
        return UpdateExperimentPayload(experiment=node)

    return await mutation_payload(body, lambda e: UpdateExperimentPayload(user_errors=e))


async def delete_experiment(info: Info, input: DeleteExperimentInput
                            ) -> DeleteExperimentPayload:
    experiment_id = decode_global_id_of(input.id, types.Experiment, field="id")

    async def body() -> DeleteExperimentPayload:
        async with write(info) as tx:
            experiment = await writable_row(info, tx.session, Experiment, experiment_id, "id")
            experiment.deleted_at = datetime.now(UTC)
            await tx.session.flush()
            await tx.audit("experiment.delete", resource_type="Experiment",
                           resource_id=experiment.id,
                           organization_id=experiment.organization_id,
                           old={"name": experiment.name},
                           new={"deleted_at": experiment.deleted_at})
        return DeleteExperimentPayload(
            deleted_experiment_id=relay.to_base64("Experiment", experiment_id))

    return await mutation_payload(body, lambda e: DeleteExperimentPayload(user_errors=e))
