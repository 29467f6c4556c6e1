"""run_charging_analysis over uploaded logs: the job's row, its results, the Redis snapshot;
reruns, bad files, cancelled jobs, troubleshooting citations, and a worker-like process."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import orjson
from sqlalchemy import select

from db.models import AnalysisJob, AnalysisResult
from services.charging.job import run_charging_analysis
from services.charging.progress import progress_key
from services.embeddings import embed_for_collection
from services.vectorstores import Chunk, store_for
from tests.analysis.gbt_simulator import Script
from tests.analysis.gbt_simulator import session as scripted
from tests.analysis.uploads import uploaded_job
from tests.factories.identity import make_organization
from tests.factories.knowledge import make_collection, make_document

ROOT = Path(__file__).resolve().parents[2]


async def job_and_results(db, job_id) -> tuple[AnalysisJob, list[AnalysisResult]]:
    async with db.sessionmaker() as s:
        job = await s.get(AnalysisJob, job_id)
        results = (await s.scalars(select(AnalysisResult).where(AnalysisResult.job_id == job_id)
                                   .order_by(AnalysisResult.result_type,
                                             AnalysisResult.title))).all()
    assert job is not None
    return job, list(results)


async def test_a_job_completes_with_its_figures_results_and_snapshot(
        charging, session, db, redis, tmp_path) -> None:
    # given: a pending job of a BLF log of a 120 s session stopped for an insulation fault
    org = await make_organization(session)
    job = await uploaded_job(session, charging.storage, tmp_path, organization=org,
                             frames=scripted(Script(charge_seconds=120, stop="insulation")))

    # when
    await run_charging_analysis(job.id)

    # then
    row, results = await job_and_results(db, job.id)
    assert (row.status, row.progress, row.error_message) == ("completed", 100.0, None)
    assert row.started_at is not None and row.completed_at is not None
    data = row.result_data
    assert {k: data[k] for k in ("durationSeconds", "peakCurrentA", "peakVoltageV", "socStart",
                                 "socEnd", "stopInitiator", "stopReasons")} == {
        "durationSeconds": 122.6, "peakCurrentA": 100.0, "peakVoltageV": 400.0,
        "socStart": 30.0, "socEnd": 55.0, "stopInitiator": "BMS",
        "stopReasons": ["INSULATION_FAULT"]}
    assert [(r.result_type, r.metadata_["code"], r.confidence_score) for r in results] == [
        ("fault", "INSULATION_FAULT", 0.95), ("session_summary", "SESSION_SUMMARY", 1.0)]
    fault = results[0]
    assert fault.title == "充电中止：绝缘故障 / Stopped: insulation fault"
    assert fault.content == ("BMS 在 BST 报文中报告：绝缘故障。\n\n"
                             "The BMS reported in its BST: insulation fault.")
    assert fault.metadata_["evidence"]["timestamps"] == [data["sessionStart"] + 122.01]
    snapshot = orjson.loads(await redis.get(progress_key(job.id)))
    assert (snapshot["status"], snapshot["progress"]) == ("completed", 100.0)
    assert 1790 < await redis.ttl(progress_key(job.id)) <= 1800


async def test_a_rerun_replaces_its_results(charging, session, db, tmp_path) -> None:
    org = await make_organization(session)
    job = await uploaded_job(session, charging.storage, tmp_path, organization=org,
                             frames=scripted(Script(charge_seconds=60, bcl_gap=(20, 22))),
                             fmt="asc")
    await run_charging_analysis(job.id)
    _, first = await job_and_results(db, job.id)

    await run_charging_analysis(job.id)

    row, second = await job_and_results(db, job.id)
    assert row.status == "completed"
    assert [r.title for r in second] == [r.title for r in first] == [
        "周期报文缺失：BCL / Missing cyclic message: BCL",
        "充电会话概要 / Charging session summary"]
    assert {r.id for r in second}.isdisjoint({r.id for r in first})


async def test_bad_logs_end_failed_with_a_readable_message(charging, session, db,
                                                           tmp_path) -> None:
    org = await make_organization(session)
    truncated = await uploaded_job(session, charging.storage, tmp_path, organization=org,
                                   frames=scripted(Script(charge_seconds=60)), cut=3000,
                                   name="truncated")
    other_bus = await uploaded_job(session, charging.storage, tmp_path, organization=org,
                                   frames=iter([(n * 0.01, 0x0CF00400, bytes(8))
                                                for n in range(50)]), name="other-bus")

    no_file = AnalysisJob(organization_id=org.id, name="no file", status="pending")
    summary = AnalysisJob(organization_id=org.id, name="summary", status="pending",
                          analysis_type="summary", file_id=truncated.file_id,
                          file_path=truncated.file_path)
    session.add_all([no_file, summary])
    await session.commit()

    for job in (truncated, other_bus, no_file, summary):
        await run_charging_analysis(job.id)

    messages = [(row.status, row.error_message, row.progress, len(results))
                for row, results in [await job_and_results(db, j.id)
                                     for j in (truncated, other_bus, no_file, summary)]]
    assert messages[0][0] == "failed" and messages[0][1].startswith(
        "the BLF file is truncated: its header says")
    assert messages[1][:2] == ("failed", "not a GB/T 27930 charging log: none of its 50 frames "
                                         "passes between a BMS (0xF4) and a charger (0x56)")
    assert messages[2][:2] == ("failed", "the job has no uploaded log to analyse")
    assert messages[3][:2] == ("failed", "a 'summary' job is not a charging analysis")
    assert [m[3] for m in messages] == [0, 0, 0, 0]


async def test_a_log_without_a_session_completes_with_a_fault(charging, session, db,
                                                              tmp_path) -> None:
    org = await make_organization(session)
    cyclic_only = [f for f in scripted(Script(charge_seconds=5)) if f[1] & 0xFF0000 == 0x120000]
    job = await uploaded_job(session, charging.storage, tmp_path, organization=org,
                             frames=iter(cyclic_only), fmt="csv")

    await run_charging_analysis(job.id)

    row, results = await job_and_results(db, job.id)
    assert (row.status, row.result_data["sessionFound"]) == ("completed", False)
    assert [(r.result_type, r.metadata_["code"]) for r in results] == [("fault", "NO_SESSION")]


async def test_a_cancelled_job_is_left_alone(charging, session, db, tmp_path) -> None:
    org = await make_organization(session)
    job = await uploaded_job(session, charging.storage, tmp_path, organization=org,
                             frames=scripted(Script(charge_seconds=10)))
    job.status = "cancelled"
    await session.commit()

    await run_charging_analysis(job.id)

    row, results = await job_and_results(db, job.id)
    assert (row.status, row.started_at, results) == ("cancelled", None, [])


async def test_faults_cite_the_troubleshooting_collection(charging, session, db,
                                                          tmp_path) -> None:
    # given: a troubleshooting collection with a passage on insulation faults and one on cables
    org = await make_organization(session)
    guides = await make_collection(session, organization=org, name="troubleshooting_guides")
    passages = {"insulation.md": "Insulation fault (绝缘故障): check the insulation monitoring "
                                 "device and the HV cable for damage before charging again.",
                "cooling.md": "A liquid-cooled cable needs its coolant level checked monthly."}
    for filename, text in passages.items():
        document = await make_document(session, collection=guides, filename=filename)
        [vector] = await embed_for_collection(
            session, organization_id=org.id, embedding_model=guides.embedding_model,
            dimensions=guides.embedding_dimensions, config={}, texts=[text])
        await store_for("pgvector").replace_document(
            session, organization_id=org.id, collection_id=guides.id, document_id=document.id,
            chunks=[Chunk(0, text, vector)])
    job = await uploaded_job(session, charging.storage, tmp_path, organization=org,
                             frames=scripted(Script(charge_seconds=30, stop="insulation")),
                             parameters={"troubleshootingCollectionId": str(guides.id)})

    await run_charging_analysis(job.id)

    row, results = await job_and_results(db, job.id)
    [fault] = [r for r in results if r.result_type == "fault"]
    citations = fault.metadata_["evidence"]["citations"]
    assert [c["title"] for c in citations] == ["insulation.md", "cooling.md"]
    assert citations[0]["content"] == passages["insulation.md"]
    assert citations[0]["score"] > citations[1]["score"]
    assert "citationsError" not in row.result_data


async def test_a_process_without_the_server_runs_a_job(session, db, settings, tmp_path,
                                                       app) -> None:
    # given: a job, and a process that has only the environment's settings (like a worker)
    org = await make_organization(session)
    job = await uploaded_job(session, app.state.storage, tmp_path, organization=org,
                             frames=scripted(Script(charge_seconds=30)), fmt="csv")
    env = {**os.environ, "DATABASE_URL": settings.database_url,
           "REDIS_URL": settings.redis_url, "AIPLATFORM_DATA_DIR": str(settings.data_dir),
           "AIPLATFORM_SECRET_KEY": settings.secret_key.get_secret_value()}

    # when
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "import asyncio, sys, uuid\n"
        "from services.charging.job import run_charging_analysis\n"
        "asyncio.run(run_charging_analysis(uuid.UUID(sys.argv[1])))", str(job.id),
        cwd=ROOT, env=env)
    assert await asyncio.wait_for(proc.wait(), 60) == 0

    # then
    row, results = await job_and_results(db, job.id)
    assert (row.status, row.result_data["durationSeconds"], len(results)) == (
        "completed", 32.6, 1)
