"""createProject, updateProject, deleteProject (soft: `deleted_at`, with its experiments).

A project's name is unique in its organization, deleted projects included (the table's
unique constraint covers every row), so a deleted project's name stays taken.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay

from db.models import Experiment, Project
from graphql_schema.context import Info
from graphql_schema.experiments import types
from graphql_schema.experiments.inputs import (
    CreateProjectInput,
    DeleteProjectInput,
    UpdateProjectInput,
)
from graphql_schema.experiments.payloads import (
    CreateProjectPayload,
    DeleteProjectPayload,
    UpdateProjectPayload,
)
from graphql_schema.experiments.payloads import ExperimentErrorCode as Code
from graphql_schema.identity.types import Organization
from graphql_schema.relay import decode_global_id_of
from resolvers.experiments.mutations.common import (
    URL_MAX,
    WRITE,
    clean_tags,
    object_problems,
    optional_text_problems,
    tags_problems,
    text_problems,
    writable_row,
)
from resolvers.mutations import InvalidInput, Problem, mutation_payload, require, write
from resolvers.nodes import fresh_node

AUDITED = ("name", "description", "git_repository_url", "configuration", "tags")


def _taken() -> InvalidInput:
    return InvalidInput(Problem("name", "This organization already has a project of this name "
                                        "(deleted projects keep theirs)", Code.TAKEN))


async def _name_taken(session: AsyncSession, organization_id: Any, name: str) -> bool:
    found = await session.scalar(select(Project.id).where(
        Project.organization_id == organization_id, Project.name == name))
    return found is not None


async def _flush(session: AsyncSession) -> None:
    try:
        await session.flush()
    except IntegrityError:  # a concurrent request took the name first
        raise _taken() from None


async def create_project(info: Info, input: CreateProjectInput) -> CreateProjectPayload:
    org_id = decode_global_id_of(input.organization_id, Organization, field="organizationId")
    require(info, WRITE, org_id)

    async def body() -> CreateProjectPayload:
        name = input.name.strip()
        configuration = {} if input.configuration is None else input.configuration
        tags = clean_tags(input.tags or [])
        problems = (text_problems("name", name)
                    + optional_text_problems("gitRepositoryUrl", input.git_repository_url,
                                             URL_MAX)
                    + object_problems("configuration", configuration) + tags_problems(tags))
        async with write(info) as tx:
            if not problems and await _name_taken(tx.session, org_id, name):
                raise _taken()
            if problems:
                raise InvalidInput(problems)
            project = Project(organization_id=org_id, name=name, description=input.description,
                              git_repository_url=input.git_repository_url,
                              configuration=configuration, tags=tags,
                              created_by=info.context.principal.user_id)
            tx.session.add(project)
            await _flush(tx.session)
            await tx.audit("project.create", resource_type="Project", resource_id=project.id,
                           organization_id=org_id,
                           new={k: getattr(project, k) for k in AUDITED})
        node = await fresh_node(info, types.Project, project.id)
        return CreateProjectPayload(project=node)

    return await mutation_payload(body, lambda e: CreateProjectPayload(user_errors=e))


def _changes(input: UpdateProjectInput) -> tuple[dict[str, Any], list[Problem]]:
    """The fields passed (absent ones stay unchanged), and their problems."""
    changes: dict[str, Any] = {}
    problems: list[Problem] = []
    if input.name is not None:
        changes["name"] = input.name.value.strip()
        problems += text_problems("name", changes["name"])
    if input.description is not None:
        changes["description"] = input.description.value
    if input.git_repository_url is not None:
        changes["git_repository_url"] = input.git_repository_url.value
        problems += optional_text_problems("gitRepositoryUrl", input.git_repository_url.value,
                                           URL_MAX)
    if input.configuration is not None:
        changes["configuration"] = input.configuration.value
        problems += object_problems("configuration", input.configuration.value)
    if input.tags is not None:
        changes["tags"] = clean_tags(input.tags.value)
        problems += tags_problems(changes["tags"])
    return changes, problems


async def update_project(info: Info, input: UpdateProjectInput) -> UpdateProjectPayload:
    project_id = decode_global_id_of(input.id, types.Project, field="id")

    async def body() -> UpdateProjectPayload:
        changes, problems = _changes(input)
        async with write(info) as tx:
            project = await writable_row(info, tx.session, Project, project_id, "id")
            name = changes.get("name")
            if not problems and name not in (None, project.name) and await _name_taken(
                    tx.session, project.organization_id, name):
                raise _taken()
            if problems:
                raise InvalidInput(problems)
            old = {k: getattr(project, k) for k in changes}
            for key, value in changes.items():
                setattr(project, key, value)
            await _flush(tx.session)
            await tx.audit("project.update", resource_type="Project", resource_id=project.id,
                           organization_id=project.organization_id, old=old, new=changes)
        node = await fresh_node(info, types.Project, project_id)
        return UpdateProjectPayload(project=node)

    return await mutation_payload(body, lambda e: UpdateProjectPayload(user_errors=e))


async def delete_project(info: Info, input: DeleteProjectInput) -> DeleteProjectPayload:
    project_id = decode_global_id_of(input.id, types.Project, field="id")

    async def body() -> DeleteProjectPayload:
        async with write(info) as tx:
            project = await writable_row(info, tx.session, Project, project_id, "id")
            now = datetime.now(UTC)
            project.deleted_at = now
            deleted = await tx.session.execute(
                update(Experiment)
                .where(Experiment.project_id == project_id, Experiment.deleted_at.is_(None))
                .values(deleted_at=now).returning(Experiment.id))
            await tx.session.flush()
            await tx.audit("project.delete", resource_type="Project", resource_id=project.id,
                           organization_id=project.organization_id,
                           old={"name": project.name},
                           new={"deleted_at": now,
                                "deleted_experiments": [str(i) for i in deleted.scalars()]})
        return DeleteProjectPayload(deleted_project_id=relay.to_base64("Project", project_id))

    return await mutation_payload(body, lambda e: DeleteProjectPayload(user_errors=e))
