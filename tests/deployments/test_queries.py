"""Reading deployments, applications and their components through GraphQL."""

from __future__ import annotations

import httpx
from strawberry.relay import to_base64

from tests.factories.ai_models import make_model, make_model_version
from tests.factories.deployments import make_application, make_component, make_deployment
from tests.factories.identity import make_organization
from tests.graphql import gql_data

DEPLOYMENTS = """
query Deployments($first: Int, $after: String, $filter: DeploymentFilter,
                  $orderBy: DeploymentOrder) {
  deployments(first: $first, after: $after, filter: $filter, orderBy: $orderBy) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage endCursor }
    edges { node { __typename name status environment configuration } }
  }
}
"""

DEPLOYMENT_RELATIONS = """
query DeploymentRelations($filter: DeploymentFilter) {
  deployments(filter: $filter, orderBy: {field: NAME}) {
    edges { node {
      name
      organization { slug }
      modelVersion { version model { name } }
      application { name }
    } }
  }
}
"""

APPLICATIONS = """
query Applications($filter: ApplicationFilter) {
  applications(filter: $filter, orderBy: {field: NAME}) {
    totalCount
    edges { node {
      name status configuration
      organization { slug }
      components {
        totalCount
        edges { node {
          name componentType orderIndex
          application { name }
          deployment { name application { name } }
        } }
      }
      deployments { edges { node { name } } }
    } }
  }
}
"""

NODE = """
query Node($id: ID!) {
  node(id: $id) {
    __typename id
    ... on Deployment { name }
    ... on Application { name }
    ... on ApplicationComponent { componentName: name }
  }
}
"""


async def given_deployments(session, member_client) -> tuple[dict, httpx.AsyncClient]:
    """Org "acme": model "llm" with v1 and v2 deployed four times, read by a member of acme;
    one other organization, with "omega" deployed, that the member does not belong to."""
    org = await make_organization(session, slug="acme")
    model = await make_model(session, organization=org, name="llm")
    v1 = await make_model_version(session, model=model, version="v1", status="production")
    v2 = await make_model_version(session, model=model, version="v2", status="staging")
    other = await make_organization(session, slug="other")
    other_v = await make_model_version(
        session, model=await make_model(session, organization=other, name="other"), version="x")
    rows = {
        "alpha": await make_deployment(session, model_version=v1, name="alpha", status="running",
                                       environment="prod",
                                       configuration={"api_key": "sk-live-123", "workers": 4}),
        "beta": await make_deployment(session, model_version=v1, name="beta", status="stopped",
                                      environment="prod"),
        "gamma": await make_deployment(session, model_version=v2, name="gamma",
                                       status="running", environment="prod"),
        "delta": await make_deployment(session, model_version=v2, name="delta",
                                       status="failed", environment="dev"),
        "omega": await make_deployment(session, model_version=other_v, name="omega",
                                       status="running", environment="dev"),
    }
    await session.commit()
    return {"v1": v1, "v2": v2, **rows}, await member_client(org)


async def test_deployments_filtered_by_status_and_environment_ordered_by_name(
    member_client, session
) -> None:
    # given
    _, client = await given_deployments(session, member_client)

    # when
    data = await gql_data(client, DEPLOYMENTS, {
        "filter": {"statusIn": ["RUNNING", "STOPPED"], "environment": "prod"},
        "orderBy": {"field": "NAME", "direction": "DESC"},
    })

    # then
    conn = data["deployments"]
    assert conn["totalCount"] == 3
    assert [(e["node"]["name"], e["node"]["status"]) for e in conn["edges"]] == [
        ("gamma", "RUNNING"), ("beta", "STOPPED"), ("alpha", "RUNNING"),
    ]
    assert {e["node"]["__typename"] for e in conn["edges"]} == {"Deployment"}


async def test_deployments_filtered_by_model_version_global_id(member_client, session) -> None:
    # given
    rows, client = await given_deployments(session, member_client)

    # when
    data = await gql_data(client, DEPLOYMENTS, {
        "filter": {"modelVersionId": to_base64("ModelVersion", rows["v2"].id), "status": "FAILED"},
    })

    # then
    assert [e["node"]["name"] for e in data["deployments"]["edges"]] == ["delta"]
    assert data["deployments"]["totalCount"] == 1


async def test_deployment_configuration_secrets_are_redacted(member_client, session) -> None:
    # given
    _, client = await given_deployments(session, member_client)

    # when
    data = await gql_data(client, DEPLOYMENTS, {"filter": {"nameContains": "alph"}})

    # then
    [edge] = data["deployments"]["edges"]
    assert edge["node"]["configuration"] == {"api_key": "***", "workers": 4}


async def test_deployments_paginate_with_first_and_after(member_client, session) -> None:
    # given
    _, client = await given_deployments(session, member_client)
    variables = {"first": 2, "orderBy": {"field": "NAME"}}

    # when
    first = (await gql_data(client, DEPLOYMENTS, variables))["deployments"]
    second = (await gql_data(client, DEPLOYMENTS, {
        **variables, "after": first["pageInfo"]["endCursor"]}))["deployments"]

    # then: the other organization's "omega" is neither a page nor counted
    assert [e["node"]["name"] for e in first["edges"]] == ["alpha", "beta"]
    assert [e["node"]["name"] for e in second["edges"]] == ["delta", "gamma"]
    assert (first["pageInfo"]["hasNextPage"], first["pageInfo"]["hasPreviousPage"]) == (
        True, False)
    assert (second["pageInfo"]["hasNextPage"], second["pageInfo"]["hasPreviousPage"]) == (
        False, True)
    assert first["totalCount"] == second["totalCount"] == 4


async def test_deployment_reaches_its_organization_and_model_version(member_client,
                                                                     session) -> None:
    # given
    _, client = await given_deployments(session, member_client)

    # when
    data = await gql_data(client, DEPLOYMENT_RELATIONS, {"filter": {"environment": "prod"}})

    # then
    assert [e["node"] for e in data["deployments"]["edges"]] == [
        {"name": name, "organization": {"slug": "acme"},
         "modelVersion": {"version": version, "model": {"name": "llm"}}, "application": None}
        for name, version in [("alpha", "v1"), ("beta", "v1"), ("gamma", "v2")]
    ]


async def test_applications_with_components_and_deployments_both_ways(member_client,
                                                                       session) -> None:
    # given
    org = await make_organization(session, slug="acme")
    app = await make_application(session, organization=org, name="assistant",
                                 status="published",
                                 configuration={"webhook_secret": "s3cr3t", "theme": "dark"})
    await make_application(session, organization=org, name="bare")
    served = await make_deployment(session, application=app, name="assistant-prod",
                                   status="running")
    await make_component(session, application=app, component_type="deployment",
                         component_id=served.id, name="serving", order_index=2)
    await make_component(session, application=app, component_type="knowledge_collection",
                         name="docs", order_index=1)
    await session.commit()
    client = await member_client(org)

    # when
    data = await gql_data(client, APPLICATIONS, {"filter": {"statusIn": ["PUBLISHED", "DRAFT"]}})

    # then
    apps = data["applications"]
    assert apps["totalCount"] == 2
    assert apps["edges"][0]["node"] == {
        "name": "assistant", "status": "PUBLISHED",
        "configuration": {"webhook_secret": "***", "theme": "dark"},
        "organization": {"slug": "acme"},
        "components": {"totalCount": 2, "edges": [
            {"node": {"name": "docs", "componentType": "knowledge_collection", "orderIndex": 1,
                      "application": {"name": "assistant"}, "deployment": None}},
            {"node": {"name": "serving", "componentType": "deployment", "orderIndex": 2,
                      "application": {"name": "assistant"},
                      "deployment": {"name": "assistant-prod",
                                     "application": {"name": "assistant"}}}},
        ]},
        "deployments": {"edges": [{"node": {"name": "assistant-prod"}}]},
    }
    assert apps["edges"][1]["node"]["components"] == {"totalCount": 0, "edges": []}
    assert apps["edges"][1]["node"]["deployments"] == {"edges": []}


async def test_node_round_trip_of_each_type(member_client, session) -> None:
    # given
    org = await make_organization(session)
    app = await make_application(session, organization=org, name="assistant")
    deployment = await make_deployment(session, application=app, name="assistant-prod")
    component = await make_component(session, application=app, name="serving",
                                     component_id=deployment.id)
    await session.commit()
    client = await member_client(org)

    for type_name, row, fields in [
        ("Deployment", deployment, {"name": "assistant-prod"}),
        ("Application", app, {"name": "assistant"}),
        ("ApplicationComponent", component, {"componentName": "serving"}),
    ]:
        global_id = to_base64(type_name, row.id)

        # when
        data = await gql_data(client, NODE, {"id": global_id})

        # then
        assert data["node"] == {"__typename": type_name, "id": global_id, **fields}
