"""Factories of the experiments domain: keyword-only, flushed, uncommitted."""

from __future__ import annotations

import itertools

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    Dataset,
    Experiment,
    ModelVersion,
    Organization,
    Project,
    Run,
    RunMetric,
    User,
)

_seq = itertools.count(1)


async def make_project(
    session: AsyncSession, *, organization: Organization, name: str | None = None,
) -> Project:
    project = Project(organization_id=organization.id, name=name or f"project-{next(_seq)}")
    session.add(project)
    await session.flush()
    return project


async def make_experiment(
    session: AsyncSession, *, project: Project, name: str | None = None, status: str = "active",
) -> Experiment:
    experiment = Experiment(organization_id=project.organization_id, project_id=project.id,
                            name=name or f"experiment-{next(_seq)}", status=status)
    session.add(experiment)
    await session.flush()
    return experiment


async def make_run(
    session: AsyncSession, *, experiment: Experiment, name: str | None = None,
    status: str = "pending", dataset: Dataset | None = None,
    base_model_version: ModelVersion | None = None, created_by: User | None = None,
    total_steps: int | None = None, total_epochs: int | None = None,
) -> Run:
    run = Run(organization_id=experiment.organization_id, experiment_id=experiment.id,
              name=name or f"run-{next(_seq)}", status=status,
              dataset_id=dataset.id if dataset else None,
              base_model_version_id=base_model_version.id if base_model_version else None,
              created_by=created_by.id if created_by else None, total_steps=total_steps,
              total_epochs=total_epochs)
    session.add(run)
    await session.flush()
    return run


async def make_metrics(
    session: AsyncSession, *, run: Run, steps: list[int], loss: float = 1.0,
) -> list[RunMetric]:
    """One point per step, in the order given; loss halves at each point."""
    points = []
    for i, step in enumerate(steps):
        point = RunMetric(organization_id=run.organization_id, run_id=run.id, step=step,
                          loss=loss / 2**i)
        session.add(point)
        points.append(point)
    await session.flush()
    return points


async def make_watched_run(session: AsyncSession) -> tuple[User, Run]:
    """A member of a new organization and a running run of it: what a live client watches."""
    from tests.factories.identity import make_membership, make_organization, make_user

    org = await make_organization(session)
    user = await make_user(session)
    await make_membership(session, organization=org, user=user, role="member")
    project = await make_project(session, organization=org)
    experiment = await make_experiment(session, project=project)
    return user, await make_run(session, experiment=experiment, status="running")
