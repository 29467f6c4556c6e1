"""Reading analysis jobs and their results through GraphQL."""

from __future__ import annotations

from strawberry.relay import to_base64

from tests.factories.analysis import make_analysis_job, make_analysis_result
from tests.factories.datasets import make_file
from tests.factories.identity import make_organization
from tests.graphql import gql_data

JOBS = """
query Jobs($first: Int, $after: String, $filter: AnalysisJobFilter, $orderBy: AnalysisJobOrder) {
  analysisJobs(first: $first, after: $after, filter: $filter, orderBy: $orderBy) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage endCursor }
    edges { node {
      __typename name analysisType status progress parameters resultData
      organization { slug }
      file { filename }
    } }
  }
}
"""

RESULTS = """
query Results($first: Int, $after: String, $filter: AnalysisResultFilter) {
  analysisJobs {
    edges { node {
      name
      results(first: $first, after: $after, filter: $filter) {
        totalCount
        pageInfo { hasNextPage hasPreviousPage endCursor }
        edges { node { title resultType confidenceScore job { name } } }
      }
    } }
  }
}
"""

NODE = """
query Node($id: ID!) {
  node(id: $id) {
    __typename id
    ... on AnalysisJob { name }
    ... on AnalysisResult { title }
  }
}
"""


async def test_jobs_filtered_by_status_and_type_ordered_by_name(member_client, session) -> None:
    # given: acme's jobs, and a matching one of an organization the reader is not in
    org = await make_organization(session, slug="acme")
    other = await make_organization(session, slug="other")
    await make_analysis_job(session, organization=other, name="elsewhere", status="completed")
    log = await make_file(session, organization=org, filename="charging.csv")
    await make_analysis_job(session, organization=org, name="march", status="completed",
                            file=log, parameters={"db_password": "hunter2", "window": "1h"})
    await make_analysis_job(session, organization=org, name="april", status="processing")
    await make_analysis_job(session, organization=org, name="may", status="pending")
    await make_analysis_job(session, organization=org, name="fleet", status="completed",
                            analysis_type="fleet")
    await session.commit()
    client = await member_client(org)

    # when
    data = await gql_data(client, JOBS, {
        "filter": {"statusIn": ["COMPLETED", "PROCESSING"], "analysisType": "charging"},
        "orderBy": {"field": "NAME"},
    })

    # then
    conn = data["analysisJobs"]
    assert conn["totalCount"] == 2
    assert [e["node"] for e in conn["edges"]] == [
        {"__typename": "AnalysisJob", "name": "april", "analysisType": "charging",
         "status": "PROCESSING", "progress": 0.0, "parameters": {}, "resultData": None,
         "organization": {"slug": "acme"}, "file": None},
        {"__typename": "AnalysisJob", "name": "march", "analysisType": "charging",
         "status": "COMPLETED", "progress": 0.0,
         "parameters": {"db_password": "***", "window": "1h"}, "resultData": None,
         "organization": {"slug": "acme"}, "file": {"filename": "charging.csv"}},
    ]


async def test_jobs_filtered_by_file_global_id(member_client, session) -> None:
    # given
    org = await make_organization(session)
    log = await make_file(session, organization=org, filename="charging.csv")
    await make_analysis_job(session, organization=org, name="with-file", file=log)
    await make_analysis_job(session, organization=org, name="without-file")
    await session.commit()
    client = await member_client(org)

    # when
    data = await gql_data(client, JOBS, {"filter": {"fileId": to_base64("File", log.id)}})

    # then
    assert [e["node"]["name"] for e in data["analysisJobs"]["edges"]] == ["with-file"]


async def test_jobs_paginate_with_first_and_after(member_client, session) -> None:
    # given
    org = await make_organization(session)
    for name in ("a", "b", "c"):
        await make_analysis_job(session, organization=org, name=name)
    await session.commit()
    client = await member_client(org)
    variables = {"first": 2, "orderBy": {"field": "NAME", "direction": "DESC"}}

    # when
    first = (await gql_data(client, JOBS, variables))["analysisJobs"]
    rest = (await gql_data(client, JOBS, {
        **variables, "after": first["pageInfo"]["endCursor"]}))["analysisJobs"]

    # then
    assert [e["node"]["name"] for e in first["edges"]] == ["c", "b"]
    assert first["pageInfo"]["hasNextPage"] is True
    assert [e["node"]["name"] for e in rest["edges"]] == ["a"]
    assert (rest["pageInfo"]["hasNextPage"], rest["pageInfo"]["hasPreviousPage"]) == (
        False, True)
    assert first["totalCount"] == rest["totalCount"] == 3


async def test_results_of_a_job_filtered_and_paged_and_back_to_the_job(member_client,
                                                                        session) -> None:
    # given
    org = await make_organization(session)
    job = await make_analysis_job(session, organization=org, name="march")
    found = [await make_analysis_result(session, job=job, title=f"finding {i}",
                                        confidence_score=score)
             for i, score in enumerate([0.9, 0.2, 0.75, 0.5])]
    await session.commit()
    client = await member_client(org)
    expected = sorted((r for r in found if r.confidence_score >= 0.5), key=lambda r: r.id)
    variables = {"first": 2, "filter": {"confidenceScoreGte": 0.5}}

    # when
    [page1] = (await gql_data(client, RESULTS, variables))["analysisJobs"]["edges"]
    after = page1["node"]["results"]["pageInfo"]["endCursor"]
    [page2] = (await gql_data(client, RESULTS, {**variables, "after": after})
               )["analysisJobs"]["edges"]

    # then
    results1, results2 = page1["node"]["results"], page2["node"]["results"]
    assert results1["totalCount"] == results2["totalCount"] == 3
    assert [e["node"] for e in results1["edges"] + results2["edges"]] == [
        {"title": r.title, "resultType": "anomaly", "confidenceScore": r.confidence_score,
         "job": {"name": "march"}}
        for r in expected
    ]
    assert results1["pageInfo"]["hasNextPage"] is True
    assert results2["pageInfo"]["hasNextPage"] is False


async def test_node_round_trip_of_each_type(member_client, session) -> None:
    # given
    org = await make_organization(session)
    job = await make_analysis_job(session, organization=org, name="march")
    result = await make_analysis_result(session, job=job, title="peak load")
    await session.commit()
    client = await member_client(org)

    for type_name, row, fields in [("AnalysisJob", job, {"name": "march"}),
                                   ("AnalysisResult", result, {"title": "peak load"})]:
        global_id = to_base64(type_name, row.id)

        # when
        data = await gql_data(client, NODE, {"id": global_id})

        # then
        assert data["node"] == {"__typename": type_name, "id": global_id, **fields}
