"""A charging analysis from end to end over a real worker process: `createAnalysisJob` enqueues
the job with its row, an `aiplatform worker` takes it from the charging_analysis queue and the
job completes with its figures and results, written once."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select
from strawberry.relay import to_base64

from db.models import AnalysisJob, AnalysisResult
from tests.analysis.gbt_simulator import WRITERS, Script
from tests.analysis.gbt_simulator import session as scripted
from tests.analysis.uploads import upload
from tests.conftest import bearer_headers
from tests.factories.identity import make_membership, make_organization, make_user
from tests.graphql import gql
from tests.jobs.workers import eventually, workers

CREATE = """mutation ($input: CreateAnalysisJobInput!) { createAnalysisJob(input: $input) {
  analysisJob { id status } userErrors { code message } } }"""


async def test_a_created_job_is_analysed_by_a_worker_process(
        app, client, db, session, settings, tmp_path: Path) -> None:
    # given a member's uploaded BLF log of a session stopped for an insulation fault
    org, user = await make_organization(session), await make_user(session)
    await make_membership(session, organization=org, user=user)
    log = WRITERS["blf"](tmp_path / "session.blf",
                         scripted(Script(charge_seconds=60, stop="insulation")))
    file = await upload(session, app.state.storage, organization=org,
                        content=log.read_bytes(), filename="session.blf")
    await session.commit()
    headers = await bearer_headers(app, session, user)

    # when the member creates the job, with a worker process running
    with workers(settings, tmp_path / "worker.log", "--queues", "charging_analysis"):
        body = await gql(client, CREATE, {"input": {
            "organizationId": to_base64("Organization", org.id), "name": "blf",
            "fileId": to_base64("File", file.id)}}, headers=headers)
        assert body["data"]["createAnalysisJob"]["userErrors"] == [], body

        async def completed() -> bool:
            return await db.fetch("SELECT 1 FROM analysis_jobs WHERE status = 'completed'") != []
        await eventually(completed, "the analysis job completed", within=60)

    # then its figures and results are there, once
    async with db.sessionmaker() as s:
        job = await s.scalar(select(AnalysisJob))
        results = list(await s.scalars(select(AnalysisResult.result_type)
                                       .order_by(AnalysisResult.result_type)))
        assert job is not None
        assert (job.result_data["stopReasons"], job.result_data["stopInitiator"]) == (
            ["INSULATION_FAULT"], "BMS")
        assert results == ["fault", "session_summary"]
        assert await s.scalar(select(func.count()).select_from(AnalysisResult)) == 2
    procrastinate = await db.fetch("SELECT status::text FROM procrastinate_jobs "
                                   "WHERE task_name = 'charging.analyse'")
    assert [r[0] for r in procrastinate] == ["succeeded"]
