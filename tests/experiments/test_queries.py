"""Reading the experiments domain: root connections, the project → metrics tree, the links
into datasets and models, pages of a run's curve, and nodes."""

from __future__ import annotations

from datetime import UTC, datetime

from strawberry.relay import to_base64

from tests.factories.ai_models import make_model, make_model_version
from tests.factories.datasets import make_dataset
from tests.factories.experiments import make_experiment, make_metrics, make_project, make_run
from tests.factories.identity import make_organization
from tests.graphql import error_codes, gql, gql_data

PROJECTS = """
query Projects($filter: ProjectFilter, $orderBy: ProjectOrder) {
  projects(filter: $filter, orderBy: $orderBy) {
    totalCount
    edges { node { name organization { slug } } }
  }
}
"""

EXPERIMENTS = """
query Experiments($filter: ExperimentFilter, $orderBy: ExperimentOrder) {
  experiments(filter: $filter, orderBy: $orderBy) {
    totalCount
    edges { node { name status project { name } } }
  }
}
"""

RUNS = """
query Runs($filter: RunFilter, $orderBy: RunOrder) {
  runs(filter: $filter, orderBy: $orderBy) {
    totalCount
    edges { node { id name status experiment { name } } }
  }
}
"""

TREE = """
query Tree {
  projects(orderBy: {field: NAME}) { edges { node {
    name
    experiments(orderBy: {field: NAME}) { totalCount edges { node {
      name
      runs(orderBy: {field: ID}) { edges { node {
        status
        metrics { totalCount edges { node { step loss run { status } } } }
      } } }
    } } }
  } } }
}
"""

RUN_LINKS = """
query RunLinks($id: ID!) {
  node(id: $id) { ... on Run {
    name
    experiment { name project { name } }
    dataset { name }
    baseModelVersion { version model { name } }
    modelVersions(orderBy: {field: VERSION, direction: DESC}) {
      totalCount
      edges { node { version status } }
    }
    window: metrics(filter: {stepGte: 20, stepLte: 40}) { edges { node { step } } }
    latest: metrics(orderBy: {field: STEP, direction: DESC}, first: 1) {
      edges { node { step } }
    }
  } }
}
"""

METRIC_PAGES = """
query MetricPages($id: ID!, $first: Int, $after: String, $last: Int, $before: String) {
  node(id: $id) { ... on Run {
    metrics(first: $first, after: $after, last: $last, before: $before) {
      totalCount
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges { node { step } }
    }
  } }
}
"""

NODE = """
query Node($id: ID!) {
  node(id: $id) {
    __typename id
    ... on Project { name }
    ... on Experiment { name }
    ... on Run { runName: name }
    ... on RunMetric { step }
  }
}
"""

DELETED = datetime(2024, 1, 1, tzinfo=UTC)


def node_names(data: dict, root: str) -> list[str]:
    return [e["node"]["name"] for e in data[root]["edges"]]


async def test_projects_filtered_and_ordered_without_deleted(member_client, session) -> None:
    # given
    org = await make_organization(session, slug="acme")
    other = await make_organization(session, slug="other")
    for name in ("vision", "nlp", "speech"):
        await make_project(session, organization=org, name=name)
    gone = await make_project(session, organization=org, name="old")
    gone.deleted_at = DELETED
    await make_project(session, organization=other, name="vision elsewhere")
    await session.commit()
    client = await member_client(org)  # not of `other`

    # when
    desc = await gql_data(client, PROJECTS, {
        "filter": {"organizationId": to_base64("Organization", org.id)},
        "orderBy": {"field": "NAME", "direction": "DESC"},
    })
    contains = await gql_data(client, PROJECTS, {"filter": {"nameContains": "I"},
                                                 "orderBy": {"field": "NAME"}})

    # then
    assert desc["projects"] == {"totalCount": 3, "edges": [
        {"node": {"name": n, "organization": {"slug": "acme"}}}
        for n in ("vision", "speech", "nlp")
    ]}
    assert node_names(contains, "projects") == ["vision"]


async def test_experiments_filtered_by_project_and_status(member_client, session) -> None:
    # given
    org = await make_organization(session)
    project = await make_project(session, organization=org, name="p")
    other = await make_project(session, organization=org, name="q")
    await make_experiment(session, project=project, name="e1", status="active")
    await make_experiment(session, project=project, name="e2", status="completed")
    await make_experiment(session, project=project, name="e3", status="archived")
    await make_experiment(session, project=other, name="e4", status="active")
    await session.commit()
    client = await member_client(org)

    # when
    data = await gql_data(client, EXPERIMENTS, {
        "filter": {"projectId": to_base64("Project", project.id),
                   "statusIn": ["ACTIVE", "COMPLETED"]},
        "orderBy": {"field": "NAME", "direction": "DESC"},
    })

    # then
    assert data["experiments"] == {"totalCount": 2, "edges": [
        {"node": {"name": "e2", "status": "COMPLETED", "project": {"name": "p"}}},
        {"node": {"name": "e1", "status": "ACTIVE", "project": {"name": "p"}}},
    ]}


async def test_runs_filtered_by_status_and_experiment(member_client, session) -> None:
    # given
    org = await make_organization(session)
    project = await make_project(session, organization=org)
    experiment = await make_experiment(session, project=project, name="exp")
    other = await make_experiment(session, project=project, name="other")
    runs = [await make_run(session, experiment=experiment, name=f"r{i}", status=s)
            for i, s in enumerate(("running", "failed", "completed", "running"))]
    await make_run(session, experiment=other, name="x", status="running")
    await session.commit()
    client = await member_client(org)
    wanted = sorted((r for r in runs if r.status in ("running", "failed")),
                    key=lambda r: r.id, reverse=True)

    # when
    by_status_in = await gql_data(client, RUNS, {
        "filter": {"experimentId": to_base64("Experiment", experiment.id),
                   "statusIn": ["RUNNING", "FAILED"]},
        "orderBy": {"field": "ID", "direction": "DESC"},
    })
    by_status = await gql_data(client, RUNS, {"filter": {"status": "COMPLETED"}})

    # then
    assert by_status_in["runs"] == {"totalCount": 3, "edges": [
        {"node": {"id": to_base64("Run", r.id), "name": r.name, "status": r.status.upper(),
                  "experiment": {"name": "exp"}}} for r in wanted
    ]}
    assert node_names(by_status, "runs") == ["r2"]


async def test_project_to_metrics_tree_orders_metrics_by_step(member_client, session) -> None:
    # given: one project, two experiments (one deleted), a run reporting out of order
    org = await make_organization(session)
    project = await make_project(session, organization=org, name="p")
    experiment = await make_experiment(session, project=project, name="a")
    hidden = await make_experiment(session, project=project, name="b")
    hidden.deleted_at = DELETED
    run = await make_run(session, experiment=experiment, status="running")
    await make_metrics(session, run=run, steps=[30, 10, 20])
    await session.commit()
    client = await member_client(org)

    # when
    data = await gql_data(client, TREE)

    # then: loss halves per point in report order, so steps 30, 10, 20 carry 1, .5, .25
    assert data["projects"]["edges"] == [{"node": {"name": "p", "experiments": {
        "totalCount": 1,
        "edges": [{"node": {"name": "a", "runs": {"edges": [{"node": {
            "status": "RUNNING",
            "metrics": {"totalCount": 3, "edges": [
                {"node": {"step": 10, "loss": 0.5, "run": {"status": "RUNNING"}}},
                {"node": {"step": 20, "loss": 0.25, "run": {"status": "RUNNING"}}},
                {"node": {"step": 30, "loss": 1.0, "run": {"status": "RUNNING"}}},
            ]},
        }}]}}}],
    }}}]


async def test_run_links_to_dataset_and_model_versions(member_client, session) -> None:
    # given: a run fine-tunes v1 on a dataset and produces v2 and v3
    org = await make_organization(session)
    dataset = await make_dataset(session, organization=org, name="corpus")
    model = await make_model(session, organization=org, name="llm")
    base = await make_model_version(session, model=model, version="v1", status="production")
    project = await make_project(session, organization=org, name="p")
    experiment = await make_experiment(session, project=project, name="e")
    run = await make_run(session, experiment=experiment, name="ft", dataset=dataset,
                         base_model_version=base)
    await make_metrics(session, run=run, steps=[10, 20, 30, 40, 50])
    for version in ("v2", "v3"):
        produced = await make_model_version(session, model=model, version=version)
        produced.source_run_id = run.id
    await session.commit()
    client = await member_client(org)

    # when
    data = await gql_data(client, RUN_LINKS, {"id": to_base64("Run", run.id)})

    # then
    assert data["node"] == {
        "name": "ft",
        "experiment": {"name": "e", "project": {"name": "p"}},
        "dataset": {"name": "corpus"},
        "baseModelVersion": {"version": "v1", "model": {"name": "llm"}},
        "modelVersions": {"totalCount": 2, "edges": [
            {"node": {"version": "v3", "status": "DRAFT"}},
            {"node": {"version": "v2", "status": "DRAFT"}},
        ]},
        "window": {"edges": [{"node": {"step": s}} for s in (20, 30, 40)]},
        "latest": {"edges": [{"node": {"step": 50}}]},
    }


async def test_run_of_a_deleted_dataset_shows_no_dataset(member_client, session) -> None:
    # given
    org = await make_organization(session)
    dataset = await make_dataset(session, organization=org, deleted_at=DELETED)
    project = await make_project(session, organization=org)
    run = await make_run(session, experiment=await make_experiment(session, project=project),
                         dataset=dataset)
    await session.commit()
    client = await member_client(org)

    # when
    data = await gql_data(client, RUN_LINKS, {"id": to_base64("Run", run.id)})

    # then
    assert data["node"]["dataset"] is None
    assert data["node"]["baseModelVersion"] is None
    assert data["node"]["modelVersions"] == {"totalCount": 0, "edges": []}


async def test_metric_pages_forward_and_backward(member_client, session) -> None:
    # given: steps 1..5
    org = await make_organization(session)
    project = await make_project(session, organization=org)
    run = await make_run(session, experiment=await make_experiment(session, project=project))
    await make_metrics(session, run=run, steps=[4, 2, 5, 1, 3])
    await session.commit()
    client = await member_client(org)
    run_id = to_base64("Run", run.id)

    async def page(**args) -> dict:
        return (await gql_data(client, METRIC_PAGES, {"id": run_id, **args}))["node"]["metrics"]

    def steps(conn: dict) -> list[int]:
        return [e["node"]["step"] for e in conn["edges"]]

    # when
    first = await page(first=2)
    second = await page(first=2, after=first["pageInfo"]["endCursor"])
    third = await page(first=2, after=second["pageInfo"]["endCursor"])
    back = await page(last=2, before=third["pageInfo"]["startCursor"])

    # then
    assert (steps(first), steps(second), steps(third), steps(back)) == (
        [1, 2], [3, 4], [5], [3, 4])
    assert first["pageInfo"]["hasNextPage"] is True
    assert first["pageInfo"]["hasPreviousPage"] is False
    assert second["pageInfo"]["hasNextPage"] is True
    assert third["pageInfo"]["hasNextPage"] is False
    assert third["pageInfo"]["hasPreviousPage"] is True
    assert back["pageInfo"]["hasPreviousPage"] is True
    assert back["pageInfo"]["hasNextPage"] is True
    assert {c["totalCount"] for c in (first, second, third, back)} == {5}


async def test_node_round_trip(member_client, session) -> None:
    # given
    org = await make_organization(session)
    project = await make_project(session, organization=org, name="p")
    experiment = await make_experiment(session, project=project, name="e")
    run = await make_run(session, experiment=experiment, name="r")
    (metric,) = await make_metrics(session, run=run, steps=[7])
    await session.commit()
    client = await member_client(org)
    expected = [
        ("Project", project.id, {"name": "p"}),
        ("Experiment", experiment.id, {"name": "e"}),
        ("Run", run.id, {"runName": "r"}),
        ("RunMetric", metric.id, {"step": 7}),
    ]

    for type_name, key, fields in expected:
        # when
        global_id = to_base64(type_name, key)
        data = await gql_data(client, NODE, {"id": global_id})

        # then
        assert data["node"] == {"__typename": type_name, "id": global_id, **fields}


async def test_deleted_project_is_not_a_node(member_client, session) -> None:
    # given
    org = await make_organization(session)
    project = await make_project(session, organization=org)
    project.deleted_at = DELETED
    await session.commit()
    client = await member_client(org)

    # when
    body = await gql(client, NODE, {"id": to_base64("Project", project.id)})

    # then
    assert body["data"] == {"node": None}
    assert error_codes(body) == ["NOT_FOUND"]


REVERSE = """
query Reverse($version: ID!) {
  organizations { edges { node {
    projects(orderBy: {field: NAME, direction: DESC}) { totalCount edges { node { name } } }
  } } }
  node(id: $version) { ... on ModelVersion { version sourceRun { name } } }
}
"""


async def test_organization_projects_and_version_source_run(member_client, session) -> None:
    # given
    org = await make_organization(session)
    for name in ("a", "b"):
        await make_project(session, organization=org, name=name)
    gone = await make_project(session, organization=org, name="c")
    gone.deleted_at = DELETED
    run = await make_run(session, name="producer", experiment=await make_experiment(
        session, project=gone))
    model = await make_model(session, organization=org)
    version = await make_model_version(session, model=model, version="v7")
    version.source_run_id = run.id
    await session.commit()
    client = await member_client(org)

    # when
    data = await gql_data(client, REVERSE, {"version": to_base64("ModelVersion", version.id)})

    # then
    assert data["organizations"]["edges"] == [{"node": {"projects": {
        "totalCount": 2, "edges": [{"node": {"name": "b"}}, {"node": {"name": "a"}}]}}}]
    assert data["node"] == {"version": "v7", "sourceRun": {"name": "producer"}}
