"""Projects and experiments: create, update, soft delete (runs: test_run_mutations.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from db.models import AuditLog, Experiment, Project
from tests.experiments.conftest import audit_actions, gid, row_counts
from tests.factories.experiments import make_experiment
from tests.graphql import error_codes, gql

CREATE_PROJECT = """
mutation ($input: CreateProjectInput!) {
  createProject(input: $input) {
    project { __typename id name description gitRepositoryUrl configuration tags
              organization { slug } }
    userErrors { field message code }
  }
}
"""
UPDATE_PROJECT = """
mutation ($input: UpdateProjectInput!) {
  updateProject(input: $input) {
    project { name description gitRepositoryUrl configuration tags }
    userErrors { field message code }
  }
}
"""
DELETE_PROJECT = """
mutation ($input: DeleteProjectInput!) {
  deleteProject(input: $input) { deletedProjectId userErrors { field code } }
}
"""
CREATE_EXPERIMENT = """
mutation ($input: CreateExperimentInput!) {
  createExperiment(input: $input) {
    experiment { __typename name status gitBranch gitCommit tags project { name } }
    userErrors { field message code }
  }
}
"""
UPDATE_EXPERIMENT = """
mutation ($input: UpdateExperimentInput!) {
  updateExperiment(input: $input) {
    experiment { name description status gitBranch gitCommit configuration }
    userErrors { field message code }
  }
}
"""
DELETE_EXPERIMENT = """
mutation ($input: DeleteExperimentInput!) {
  deleteExperiment(input: $input) { deletedExperimentId userErrors { field code } }
}
"""
EXPERIMENTS = "{ experiments { totalCount edges { node { name } } } }"
PROJECTS = "{ projects { totalCount edges { node { name } } } }"


# ------------------------------------------------------------------ createProject


async def test_a_member_creates_a_project_with_an_audit_row(client, session, team) -> None:
    body = await gql(client, CREATE_PROJECT, {"input": {
        "organizationId": gid("Organization", team.acme), "name": "  nlp  ",
        "description": "language", "gitRepositoryUrl": "https://git.example.com/nlp.git",
        "configuration": {"gpus": 2}, "tags": ["a", " b", "a"]}}, headers=team.as_("alice"))

    payload = body["data"]["createProject"]
    assert payload["userErrors"] == []
    assert payload["project"] | {"id": None} == {
        "__typename": "Project", "id": None, "name": "nlp", "description": "language",
        "gitRepositoryUrl": "https://git.example.com/nlp.git", "configuration": {"gpus": 2},
        "tags": ["a", "b"], "organization": {"slug": team.acme.slug}}
    row = await session.scalar(select(Project).where(Project.name == "nlp"))
    assert row.created_by == team.alice.id and row.organization_id == team.acme.id
    audit = (await session.scalars(select(AuditLog))).one()
    assert (audit.action, audit.resource_type, audit.resource_id, audit.user_id) == (
        "project.create", "Project", str(row.id), team.alice.id)
    assert audit.new_values["name"] == "nlp"


async def test_create_project_reports_every_input_problem_and_writes_nothing(
    client, session, team
) -> None:
    before = await row_counts(session)
    body = await gql(client, CREATE_PROJECT, {"input": {
        "organizationId": gid("Organization", team.acme), "name": " ",
        "gitRepositoryUrl": "x" * 2001, "configuration": [1], "tags": [""]}},
        headers=team.as_("alice"))

    assert body["data"]["createProject"] == {"project": None, "userErrors": [
        {"field": ["input", "name"], "message": "name must not be empty", "code": "INVALID"},
        {"field": ["input", "gitRepositoryUrl"],
         "message": "gitRepositoryUrl: at most 2000 characters", "code": "INVALID"},
        {"field": ["input", "configuration"], "message": "configuration must be a JSON object",
         "code": "INVALID"},
        {"field": ["input", "tags"], "message": "tags: each 1 to 64 characters",
         "code": "INVALID"},
    ]}
    assert await row_counts(session) == before


async def test_a_project_name_is_unique_in_its_organization_even_after_delete(
    client, session, team
) -> None:
    await gql(client, DELETE_PROJECT, {"input": {"id": gid("Project", team.project)}},
              headers=team.as_("alice"))
    before = await row_counts(session)

    body = await gql(client, CREATE_PROJECT, {"input": {
        "organizationId": gid("Organization", team.acme), "name": "vision"}},
        headers=team.as_("alice"))

    assert body["data"]["createProject"]["userErrors"] == [{
        "field": ["input", "name"], "code": "TAKEN",
        "message": "This organization already has a project of this name (deleted projects "
                   "keep theirs)"}]
    assert await row_counts(session) == before


@pytest.mark.parametrize(("who", "code"), [("vic", "FORBIDDEN"), ("bob", "NOT_FOUND")])
async def test_a_viewer_or_an_outsider_cannot_create_a_project(client, session, team, who, code
                                                               ) -> None:
    before = await row_counts(session)
    body = await gql(client, CREATE_PROJECT, {"input": {
        "organizationId": gid("Organization", team.acme), "name": "x"}}, headers=team.as_(who))

    assert body["data"] is None
    assert error_codes(body) == [code]
    assert await row_counts(session) == before


# ------------------------------------------------------------------ updateProject


async def test_update_project_changes_only_what_is_passed(client, session, team) -> None:
    first = await gql(client, UPDATE_PROJECT, {"input": {
        "id": gid("Project", team.project), "description": "pictures", "tags": ["cv"]}},
        headers=team.as_("alice"))
    second = await gql(client, UPDATE_PROJECT, {"input": {
        "id": gid("Project", team.project), "name": "vision-2", "description": None}},
        headers=team.as_("alice"))

    assert first["data"]["updateProject"] == {"userErrors": [], "project": {
        "name": "vision", "description": "pictures", "gitRepositoryUrl": None,
        "configuration": {}, "tags": ["cv"]}}
    assert second["data"]["updateProject"]["project"] == {
        "name": "vision-2", "description": None, "gitRepositoryUrl": None, "configuration": {},
        "tags": ["cv"]}
    audits = (await session.scalars(select(AuditLog).order_by(AuditLog.created_at))).all()
    assert [(a.action, a.old_values, a.new_values) for a in audits] == [
        ("project.update", {"description": None, "tags": []},
         {"description": "pictures", "tags": ["cv"]}),
        ("project.update", {"name": "vision", "description": "pictures"},
         {"name": "vision-2", "description": None}),
    ]


async def test_update_project_problems_are_user_errors(client, session, team) -> None:
    await make_experiment(session, project=team.project)  # unrelated row
    other = Project(organization_id=team.acme.id, name="taken")
    session.add(other)
    await session.commit()
    before = await row_counts(session)

    body = await gql(client, UPDATE_PROJECT, {"input": {
        "id": gid("Project", team.project), "name": "taken"}}, headers=team.as_("alice"))
    bad = await gql(client, UPDATE_PROJECT, {"input": {
        "id": gid("Project", team.project), "name": "", "configuration": "x"}},
        headers=team.as_("alice"))

    assert [e["code"] for e in body["data"]["updateProject"]["userErrors"]] == ["TAKEN"]
    assert bad["data"]["updateProject"]["userErrors"] == [
        {"field": ["input", "name"], "message": "name must not be empty", "code": "INVALID"},
        {"field": ["input", "configuration"], "message": "configuration must be a JSON object",
         "code": "INVALID"}]
    assert await row_counts(session) == before
    assert (await session.get(Project, team.project.id, populate_existing=True)).name == "vision"


@pytest.mark.parametrize(("who", "code"), [("vic", "FORBIDDEN"), ("bob", "NOT_FOUND")])
async def test_a_viewer_or_an_outsider_cannot_update_or_delete_a_project(
    client, session, team, who, code
) -> None:
    before = await row_counts(session)
    update = await gql(client, UPDATE_PROJECT, {"input": {
        "id": gid("Project", team.project), "name": "mine"}}, headers=team.as_(who))
    delete = await gql(client, DELETE_PROJECT, {"input": {"id": gid("Project", team.project)}},
                       headers=team.as_(who))

    assert (update["data"], error_codes(update)) == (None, [code])
    assert (delete["data"], error_codes(delete)) == (None, [code])
    assert await row_counts(session) == before


async def test_an_id_of_another_type_is_not_found(client, team) -> None:
    body = await gql(client, UPDATE_PROJECT, {"input": {
        "id": gid("Experiment", team.experiment), "name": "x"}}, headers=team.as_("alice"))

    assert error_codes(body) == ["NOT_FOUND"]


# ------------------------------------------------------------------ deleteProject


async def test_delete_project_hides_it_and_its_experiments(client, session, team) -> None:
    body = await gql(client, DELETE_PROJECT, {"input": {"id": gid("Project", team.project)}},
                     headers=team.as_("alice"))
    again = await gql(client, DELETE_PROJECT, {"input": {"id": gid("Project", team.project)}},
                      headers=team.as_("alice"))
    projects = await gql(client, PROJECTS, headers=team.as_("alice"))
    experiments = await gql(client, EXPERIMENTS, headers=team.as_("alice"))

    assert body["data"]["deleteProject"] == {"deletedProjectId": gid("Project", team.project),
                                             "userErrors": []}
    assert error_codes(again) == ["NOT_FOUND"]
    assert projects["data"]["projects"]["totalCount"] == 0
    assert experiments["data"]["experiments"]["totalCount"] == 0
    experiment = await session.get(Experiment, team.experiment.id, populate_existing=True)
    project = await session.get(Project, team.project.id, populate_existing=True)
    assert experiment.deleted_at == project.deleted_at is not None  # soft: the rows remain
    assert await audit_actions(session) == ["project.delete"]


# ------------------------------------------------------------------ experiments


async def test_a_member_creates_an_experiment_in_a_project(client, session, team) -> None:
    body = await gql(client, CREATE_EXPERIMENT, {"input": {
        "projectId": gid("Project", team.project), "name": "vit", "gitBranch": "main",
        "gitCommit": "abc1234", "tags": ["x"]}}, headers=team.as_("alice"))

    assert body["data"]["createExperiment"] == {"userErrors": [], "experiment": {
        "__typename": "Experiment", "name": "vit", "status": "ACTIVE", "gitBranch": "main",
        "gitCommit": "abc1234", "tags": ["x"], "project": {"name": "vision"}}}
    row = await session.scalar(select(Experiment).where(Experiment.name == "vit"))
    assert (row.organization_id, row.created_by) == (team.acme.id, team.alice.id)
    assert await audit_actions(session) == ["experiment.create"]


async def test_create_experiment_problems_and_refusals_write_nothing(client, session, team
                                                                     ) -> None:
    before = await row_counts(session)
    values = {"projectId": gid("Project", team.project), "name": "", "gitCommit": "xyz"}

    bad = await gql(client, CREATE_EXPERIMENT, {"input": values}, headers=team.as_("alice"))
    viewer = await gql(client, CREATE_EXPERIMENT, {"input": values | {"name": "v"}},
                       headers=team.as_("vic"))
    outsider = await gql(client, CREATE_EXPERIMENT, {"input": values | {"name": "v"}},
                         headers=team.as_("bob"))

    assert bad["data"]["createExperiment"]["userErrors"] == [
        {"field": ["input", "name"], "message": "name must not be empty", "code": "INVALID"},
        {"field": ["input", "gitCommit"], "message": "gitCommit: 7 to 64 hexadecimal digits",
         "code": "INVALID"}]
    assert error_codes(viewer) == ["FORBIDDEN"]
    assert error_codes(outsider) == ["NOT_FOUND"]
    assert await row_counts(session) == before


async def test_a_deleted_project_takes_no_new_experiment(client, session, team) -> None:
    await gql(client, DELETE_PROJECT, {"input": {"id": gid("Project", team.project)}},
              headers=team.as_("alice"))
    body = await gql(client, CREATE_EXPERIMENT, {"input": {
        "projectId": gid("Project", team.project), "name": "late"}}, headers=team.as_("alice"))

    assert error_codes(body) == ["NOT_FOUND"]


async def test_update_experiment_absent_null_and_value(client, session, team) -> None:
    body = await gql(client, UPDATE_EXPERIMENT, {"input": {
        "id": gid("Experiment", team.experiment), "status": "COMPLETED", "gitBranch": "dev",
        "configuration": {"lr": 0.1}}}, headers=team.as_("alice"))
    cleared = await gql(client, UPDATE_EXPERIMENT, {"input": {
        "id": gid("Experiment", team.experiment), "gitBranch": None}},
        headers=team.as_("alice"))
    bad = await gql(client, UPDATE_EXPERIMENT, {"input": {
        "id": gid("Experiment", team.experiment), "name": " ", "gitCommit": "no"}},
        headers=team.as_("alice"))
    viewer = await gql(client, UPDATE_EXPERIMENT, {"input": {
        "id": gid("Experiment", team.experiment), "name": "v"}}, headers=team.as_("vic"))

    assert body["data"]["updateExperiment"] == {"userErrors": [], "experiment": {
        "name": "resnet", "description": None, "status": "COMPLETED", "gitBranch": "dev",
        "gitCommit": None, "configuration": {"lr": 0.1}}}
    assert cleared["data"]["updateExperiment"]["experiment"]["gitBranch"] is None
    assert [e["field"] for e in bad["data"]["updateExperiment"]["userErrors"]] == [
        ["input", "name"], ["input", "gitCommit"]]
    assert error_codes(viewer) == ["FORBIDDEN"]
    assert await audit_actions(session) == ["experiment.update", "experiment.update"]


async def test_delete_experiment_is_soft_and_refused_to_others(client, session, team) -> None:
    outsider = await gql(client, DELETE_EXPERIMENT, {"input": {
        "id": gid("Experiment", team.experiment)}}, headers=team.as_("bob"))
    viewer = await gql(client, DELETE_EXPERIMENT, {"input": {
        "id": gid("Experiment", team.experiment)}}, headers=team.as_("vic"))
    body = await gql(client, DELETE_EXPERIMENT, {"input": {
        "id": gid("Experiment", team.experiment)}}, headers=team.as_("alice"))
    listed = await gql(client, EXPERIMENTS, headers=team.as_("alice"))

    assert error_codes(outsider) == ["NOT_FOUND"] and error_codes(viewer) == ["FORBIDDEN"]
    assert body["data"]["deleteExperiment"] == {
        "deletedExperimentId": gid("Experiment", team.experiment), "userErrors": []}
    assert listed["data"]["experiments"]["totalCount"] == 0
    row = await session.get(Experiment, team.experiment.id, populate_existing=True)
    assert row.deleted_at is not None
    assert await audit_actions(session) == ["experiment.delete"]
