"""Analysis job mutations: create, cancel and delete, with their audit rows, userErrors and
refusals (a member may write analyses; a viewer only reads)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from strawberry.relay import to_base64

from tests.conftest import bearer_headers
from tests.factories.analysis import make_analysis_job, make_analysis_result
from tests.factories.datasets import make_file
from tests.factories.identity import make_membership, make_organization, make_user
from tests.graphql import error_codes, gql

ERRORS = "userErrors { field message code }"
CREATE = f"""mutation ($input: CreateAnalysisJobInput!) {{ createAnalysisJob(input: $input) {{
  analysisJob {{ name analysisType status parameters fileSize filePath file {{ filename }} }}
  {ERRORS} }} }}"""
CANCEL = f"""mutation ($input: CancelAnalysisJobInput!) {{ cancelAnalysisJob(input: $input) {{
  analysisJob {{ status }} {ERRORS} }} }}"""
DELETE = f"""mutation ($input: DeleteAnalysisJobInput!) {{ deleteAnalysisJob(input: $input) {{
  deletedAnalysisJobId {ERRORS} }} }}"""
TABLES = ("analysis_jobs", "analysis_results", "audit_logs")


@dataclass
class Lab:
    """An organization with a file, a member, a viewer, and an outsider (owner elsewhere)."""

    org: Any
    other: Any
    file: Any
    headers: dict[str, dict[str, str]]


@pytest.fixture
async def lab(app, session) -> Lab:
    org, other = await make_organization(session), await make_organization(session)
    file = await make_file(session, organization=org, filename="log.csv", size_bytes=42)
    users = {role: await make_user(session, username=role)
             for role in ("member", "viewer", "outsider")}
    await make_membership(session, organization=org, user=users["member"], role="member")
    await make_membership(session, organization=org, user=users["viewer"], role="viewer")
    await make_membership(session, organization=other, user=users["outsider"], role="owner")
    headers = {role: await bearer_headers(app, session, user) for role, user in users.items()}
    return Lab(org, other, file, headers)


async def run(client, lab: Lab, document: str, input: dict, caller: str = "member") -> dict:
    return await gql(client, document, {"input": input}, headers=lab.headers[caller])


async def counts(db) -> dict[str, int]:
    return {t: (await db.fetch(f"SELECT count(*) FROM {t}"))[0][0] for t in TABLES}


async def audit_actions(db) -> list[tuple]:
    rows = await db.fetch("SELECT action, old_values, new_values FROM audit_logs")
    return [(r["action"], r["old_values"], r["new_values"]) for r in rows]


async def job_of(session, lab: Lab, status: str = "pending") -> str:
    job = await make_analysis_job(session, organization=lab.org, status=status, name="j")
    await make_analysis_result(session, job=job)
    await session.commit()
    return to_base64("AnalysisJob", job.id)


def new_job(lab: Lab, **extra) -> dict:
    return {"organizationId": to_base64("Organization", lab.org.id), "name": " charging ",
            **extra}


# ------------------------------------------------------------------ createAnalysisJob

async def test_a_member_creates_a_pending_job_of_a_file_with_an_audit_row(client, db, lab
                                                                          ) -> None:
    body = await run(client, lab, CREATE, new_job(
        lab, fileId=to_base64("File", lab.file.id), parameters={"window": 7}))

    assert body["data"]["createAnalysisJob"] == {"analysisJob": {
        "name": "charging", "analysisType": "charging", "status": "PENDING",
        "parameters": {"window": 7}, "fileSize": 42, "filePath": "uploads/log.csv",
        "file": {"filename": "log.csv"}}, "userErrors": []}
    [(action, old, new)] = await audit_actions(db)
    assert (action, old, new["status"], new["parameters"]) == (
        "analysis_job.create", None, "pending", {"window": 7})


async def test_create_problems_come_back_together_and_nothing_is_written(client, db, lab
                                                                         ) -> None:
    before = await counts(db)

    body = await run(client, lab, CREATE, {**new_job(lab), "name": "", "analysisType": "A B",
                                           "parameters": [1]})

    assert body["data"]["createAnalysisJob"]["analysisJob"] is None
    assert [(e["field"], e["code"]) for e in body["data"]["createAnalysisJob"]["userErrors"]] == [
        (["input", "name"], "REQUIRED"), (["input", "analysisType"], "INVALID"),
        (["input", "parameters"], "INVALID")]
    assert await counts(db) == before


async def test_a_file_of_another_organization_is_not_found(client, db, session, lab) -> None:
    foreign = await make_file(session, organization=lab.other)
    await session.commit()
    before = await counts(db)

    body = await run(client, lab, CREATE, new_job(lab, fileId=to_base64("File", foreign.id)))

    assert error_codes(body) == ["NOT_FOUND"]
    assert await counts(db) == before


async def test_a_viewer_gets_forbidden_and_an_outsider_not_found_on_create(client, db, lab
                                                                           ) -> None:
    before = await counts(db)

    codes = [error_codes(await run(client, lab, CREATE, new_job(lab), caller))
             for caller in ("viewer", "outsider")]

    assert codes == [["FORBIDDEN"], ["NOT_FOUND"]]
    assert await counts(db) == before


# ------------------------------------------------------------------ cancelAnalysisJob

@pytest.mark.parametrize("status", ["pending", "queued", "processing"])
async def test_an_unfinished_job_is_cancelled_with_an_audit_row(client, db, session, lab,
                                                                status) -> None:
    gid = await job_of(session, lab, status)

    body = await run(client, lab, CANCEL, {"id": gid})

    assert body["data"]["cancelAnalysisJob"] == {"analysisJob": {"status": "CANCELLED"},
                                                 "userErrors": []}
    assert await audit_actions(db) == [("analysis_job.cancel", {"status": status},
                                        {"status": "cancelled"})]
    assert (await db.fetch("SELECT completed_at IS NOT NULL FROM analysis_jobs"))[0][0]


@pytest.mark.parametrize("status", ["completed", "failed", "cancelled"])
async def test_a_finished_job_cannot_be_cancelled(client, db, session, lab, status) -> None:
    gid = await job_of(session, lab, status)
    before = await counts(db)

    body = await run(client, lab, CANCEL, {"id": gid})

    assert [e["code"] for e in body["data"]["cancelAnalysisJob"]["userErrors"]] == [
        "INVALID_TRANSITION"]
    assert await counts(db) == before
    assert (await db.fetch("SELECT status FROM analysis_jobs"))[0][0] == status


async def test_a_viewer_and_an_outsider_cannot_cancel(client, db, session, lab) -> None:
    gid = await job_of(session, lab)

    codes = [error_codes(await run(client, lab, CANCEL, {"id": gid}, caller))
             for caller in ("viewer", "outsider")]

    assert codes == [["FORBIDDEN"], ["NOT_FOUND"]]
    assert (await db.fetch("SELECT status FROM analysis_jobs"))[0][0] == "pending"
    assert await audit_actions(db) == []


# ------------------------------------------------------------------ deleteAnalysisJob

async def test_a_member_deletes_a_job_and_its_results(client, db, session, lab) -> None:
    gid = await job_of(session, lab, "completed")

    body = await run(client, lab, DELETE, {"id": gid})

    assert body["data"]["deleteAnalysisJob"] == {"deletedAnalysisJobId": gid, "userErrors": []}
    assert await counts(db) == {"analysis_jobs": 0, "analysis_results": 0, "audit_logs": 1}
    assert [a for a, _, _ in await audit_actions(db)] == ["analysis_job.delete"]


async def test_a_processing_job_is_not_deleted(client, db, session, lab) -> None:
    gid = await job_of(session, lab, "processing")
    before = await counts(db)

    body = await run(client, lab, DELETE, {"id": gid})

    assert [e["code"] for e in body["data"]["deleteAnalysisJob"]["userErrors"]] == ["ACTIVE"]
    assert await counts(db) == before


async def test_a_viewer_and_an_outsider_cannot_delete(client, db, session, lab) -> None:
    gid = await job_of(session, lab)
    before = await counts(db)

    codes = [error_codes(await run(client, lab, DELETE, {"id": gid}, caller))
             for caller in ("viewer", "outsider")]

    assert codes == [["FORBIDDEN"], ["NOT_FOUND"]]
    assert await counts(db) == before
