"""Deployment mutations: create, update, scale and delete, with their audit rows, userErrors
and refusals (the status machine has test_status.py). `acme` is in conftest.py."""

from __future__ import annotations

import pytest
from strawberry.relay import to_base64

from tests.deployments.conftest import Acme
from tests.factories.deployments import make_deployment
from tests.graphql import error_codes, gql

FIELDS = """deployment { __typename name description environment serviceType status replicas
                         resourceAllocation autoscalingConfig trafficPercentage configuration
                         endpointUrl version modelVersion { version } }
            userErrors { field message code }"""
CREATE = f"""mutation ($input: CreateDeploymentInput!) {{
  createDeployment(input: $input) {{ {FIELDS} }} }}"""
UPDATE = f"""mutation ($input: UpdateDeploymentInput!) {{
  updateDeployment(input: $input) {{ {FIELDS} }} }}"""
STATUS = """mutation ($input: UpdateDeploymentStatusInput!) {
  updateDeploymentStatus(input: $input) {
    deployment { status deployedAt } userErrors { field message code } } }"""
SCALE = """mutation ($input: ScaleDeploymentInput!) {
  scaleDeployment(input: $input) { deployment { replicas } userErrors { field message code } } }"""
DELETE = """mutation ($input: DeleteDeploymentInput!) {
  deleteDeployment(input: $input) { deletedDeploymentId userErrors { field message code } } }"""


async def deployment_of(session, acme: Acme, **kwargs) -> str:
    row = await make_deployment(session, model_version=acme.version, created_by=acme.admin,
                                **kwargs)
    await session.commit()
    return to_base64("Deployment", row.id)


async def run(client, acme: Acme, document: str, input: dict, caller: str = "admin") -> dict:
    return await gql(client, document, {"input": input}, headers=acme.headers[caller])


async def counts(db) -> dict[str, int]:
    return {t: (await db.fetch(f"SELECT count(*) FROM {t}"))[0][0]
            for t in ("deployments", "audit_logs", "notifications")}


async def audit_rows(db) -> list[tuple]:
    rows = await db.fetch("SELECT action, resource_type, old_values, new_values FROM audit_logs "
                          "ORDER BY created_at, action")
    return [tuple(r) for r in rows]


# ------------------------------------------------------------------ createDeployment

async def test_an_admin_creates_a_pending_deployment_with_an_audit_row(client, db, acme) -> None:
    body = await run(client, acme, CREATE, {
        "modelVersionId": acme.version_id, "name": " chat-api ", "environment": "staging",
        "serviceType": "triton", "replicas": 3,
        "resourceAllocation": {"cpu": "500m", "memory": "4Gi", "gpu": 1},
        "autoscalingConfig": {"enabled": True, "min_replicas": 2, "max_replicas": 5},
        "trafficPercentage": 25, "configuration": {"api_key": "sk-1", "batch": 8},
        "endpointUrl": "https://serve.example.com/chat", "version": "2025.1"})

    assert body["data"]["createDeployment"] == {"deployment": {
        "__typename": "Deployment", "name": "chat-api", "description": None,
        "environment": "staging", "serviceType": "triton", "status": "PENDING", "replicas": 3,
        "resourceAllocation": {"cpu": "500m", "memory": "4Gi", "gpu": 1},
        "autoscalingConfig": {"enabled": True, "min_replicas": 2, "max_replicas": 5},
        "trafficPercentage": 25.0, "configuration": {"api_key": "***", "batch": 8},
        "endpointUrl": "https://serve.example.com/chat", "version": "2025.1",
        "modelVersion": {"version": "v1"}}, "userErrors": []}
    row = (await db.fetch("SELECT organization_id, created_by FROM deployments"))[0]
    assert (row["organization_id"], row["created_by"]) == (acme.org.id, acme.admin.id)
    [(action, resource_type, old, new)] = await audit_rows(db)
    assert (action, resource_type, old) == ("deployment.create", "Deployment", None)
    assert new["name"] == "chat-api" and new["replicas"] == 3


async def test_defaults_make_a_one_replica_dev_deployment(client, acme) -> None:
    body = await run(client, acme, CREATE, {"modelVersionId": acme.version_id, "name": "d"})

    deployment = body["data"]["createDeployment"]["deployment"]
    assert {k: deployment[k] for k in ("environment", "serviceType", "replicas",
                                       "trafficPercentage", "resourceAllocation")} == {
        "environment": "dev", "serviceType": "builtin", "replicas": 1,
        "trafficPercentage": 100.0, "resourceAllocation": {}}


async def test_every_input_problem_comes_back_at_once_and_nothing_is_written(
    client, db, acme
) -> None:
    before = await counts(db)

    body = await run(client, acme, CREATE, {
        "modelVersionId": acme.version_id, "name": " ", "environment": "qa",
        "serviceType": "Bad Type", "replicas": 101,
        "resourceAllocation": {"cpu": 0, "memory": "lots", "gpu": -1, "disk": "1Gi"},
        "autoscalingConfig": {"min_replicas": 5, "max_replicas": 2},
        "trafficPercentage": 100.5, "configuration": [1], "endpointUrl": "ftp://x",
        "version": "v" * 51})

    assert body["data"]["createDeployment"]["deployment"] is None
    errors = body["data"]["createDeployment"]["userErrors"]
    assert [(e["field"], e["code"]) for e in errors] == [
        (["input", "name"], "INVALID"),
        (["input", "environment"], "INVALID"),
        (["input", "serviceType"], "INVALID"),
        (["input", "resourceAllocation"], "INVALID"),  # disk: unknown key
        (["input", "resourceAllocation"], "INVALID"),  # cpu
        (["input", "resourceAllocation"], "INVALID"),  # memory
        (["input", "resourceAllocation"], "INVALID"),  # gpu
        (["input", "autoscalingConfig"], "OUT_OF_RANGE"),
        (["input", "trafficPercentage"], "OUT_OF_RANGE"),
        (["input", "configuration"], "INVALID"),
        (["input", "endpointUrl"], "INVALID"),
        (["input", "version"], "INVALID"),
        (["input", "replicas"], "OUT_OF_RANGE"),
    ]
    assert errors[7]["message"] == "autoscalingConfig: min_replicas must not exceed max_replicas"
    assert errors[1]["message"] == "environment must be one of dev, staging, production"
    assert await counts(db) == before


@pytest.mark.parametrize(("config", "message"), [
    ({"min_replicas": 0}, "autoscalingConfig.min_replicas: an integer, 1 to 100"),
    ({"max_replicas": 2.5}, "autoscalingConfig.max_replicas: an integer, 1 to 100"),
    ({"enabled": "yes"}, "autoscalingConfig.enabled: true or false"),
    ({"target_cpu_utilization": 0}, "autoscalingConfig.target_cpu_utilization: 1 to 100"),
    ("fast", "autoscalingConfig must be a JSON object"),
])
async def test_autoscaling_config_shape(client, acme, config, message) -> None:
    body = await run(client, acme, CREATE, {"modelVersionId": acme.version_id, "name": "d",
                                            "autoscalingConfig": config})

    assert [e["message"] for e in body["data"]["createDeployment"]["userErrors"]] == [message]


@pytest.mark.parametrize("replicas", [0, 101])
async def test_replicas_outside_1_to_100_are_refused(client, db, acme, replicas) -> None:
    body = await run(client, acme, CREATE, {"modelVersionId": acme.version_id, "name": "d",
                                            "replicas": replicas})

    assert body["data"]["createDeployment"]["userErrors"] == [{
        "field": ["input", "replicas"], "message": "replicas must be 1 to 100",
        "code": "OUT_OF_RANGE"}]
    assert (await counts(db))["deployments"] == 0


async def test_an_archived_model_version_cannot_be_deployed(client, db, session, acme) -> None:
    acme.version.status = "archived"
    await session.commit()

    body = await run(client, acme, CREATE, {"modelVersionId": acme.version_id, "name": "d"})

    assert body["data"]["createDeployment"]["userErrors"] == [{
        "field": ["input", "modelVersionId"],
        "message": "An archived model version cannot be deployed",
        "code": "MODEL_VERSION_ARCHIVED"}]
    assert (await counts(db))["deployments"] == 0


@pytest.mark.parametrize(("caller", "code"), [
    ("member", "FORBIDDEN"), ("viewer", "FORBIDDEN"), ("outsider", "NOT_FOUND"),
    ("anonymous", "UNAUTHENTICATED"),
])
async def test_create_needs_deployment_manage_in_the_versions_organization(
    client, db, acme, caller, code
) -> None:
    before = await counts(db)

    body = await run(client, acme, CREATE, {"modelVersionId": acme.version_id, "name": "d"},
                     caller)

    assert body["data"] is None
    assert error_codes(body) == [code]
    assert await counts(db) == before


@pytest.mark.parametrize("global_id", [to_base64("Dataset", "00000000-0000-0000-0000-000000000001"),
                                       to_base64("ModelVersion",
                                                 "00000000-0000-0000-0000-000000000001")])
async def test_a_wrong_or_unknown_model_version_id_is_not_found(client, acme, global_id) -> None:
    body = await run(client, acme, CREATE, {"modelVersionId": global_id, "name": "d"})

    assert error_codes(body) == ["NOT_FOUND"]


# ------------------------------------------------------------------ updateDeployment

async def test_update_changes_only_the_fields_passed_and_null_clears(
    client, db, session, acme
) -> None:
    deployment_id = await deployment_of(session, acme, name="old")
    await run(client, acme, UPDATE, {"id": deployment_id, "description": "first"})

    renamed = await run(client, acme, UPDATE, {"id": deployment_id, "name": "new",
                                               "trafficPercentage": 0})
    cleared = await run(client, acme, UPDATE, {"id": deployment_id, "description": None})

    assert renamed["data"]["updateDeployment"]["deployment"]["name"] == "new"
    assert renamed["data"]["updateDeployment"]["deployment"]["description"] == "first"
    assert renamed["data"]["updateDeployment"]["deployment"]["trafficPercentage"] == 0.0
    assert cleared["data"]["updateDeployment"]["deployment"]["description"] is None
    assert cleared["data"]["updateDeployment"]["deployment"]["name"] == "new"
    assert [(a, old, new) for a, _, old, new in await audit_rows(db)][1:] == [
        ("deployment.update", {"name": "old", "traffic_percentage": 100.0},
         {"name": "new", "traffic_percentage": 0.0}),
        ("deployment.update", {"description": "first"}, {"description": None}),
    ]


async def test_update_problems_are_user_errors_and_nothing_changes(
    client, db, session, acme
) -> None:
    deployment_id = await deployment_of(session, acme, name="keep")

    body = await run(client, acme, UPDATE, {"id": deployment_id, "name": "other",
                                            "environment": "prod",
                                            "resourceAllocation": {"gpu": 1.5}})

    assert [(e["field"], e["code"]) for e in body["data"]["updateDeployment"]["userErrors"]] == [
        (["input", "environment"], "INVALID"), (["input", "resourceAllocation"], "INVALID")]
    assert (await db.fetch("SELECT name FROM deployments"))[0][0] == "keep"
    assert (await counts(db))["audit_logs"] == 0


@pytest.mark.parametrize("field", ["name", "environment", "serviceType", "trafficPercentage",
                                   "resourceAllocation", "autoscalingConfig", "configuration"])
async def test_null_for_a_required_setting_is_refused(client, session, acme, field) -> None:
    deployment_id = await deployment_of(session, acme)

    body = await gql(client, UPDATE, {"input": {"id": deployment_id, field: None}},
                     headers=acme.headers["admin"])

    assert body["data"] is None
    assert error_codes(body) == ["BAD_USER_INPUT"]


# ------------------------------------------------------------------ scaleDeployment

async def test_scale_sets_replicas_with_an_audit_row(client, db, session, acme) -> None:
    deployment_id = await deployment_of(session, acme, replicas=2)

    body = await run(client, acme, SCALE, {"id": deployment_id, "replicas": 10})

    assert body["data"]["scaleDeployment"] == {"deployment": {"replicas": 10}, "userErrors": []}
    [(action, _, old, new)] = await audit_rows(db)
    assert (action, old, new) == ("deployment.scale", {"replicas": 2}, {"replicas": 10})


@pytest.mark.parametrize("replicas", [0, -1, 101])
async def test_scale_out_of_range_changes_nothing(client, db, session, acme, replicas) -> None:
    deployment_id = await deployment_of(session, acme, replicas=2)

    body = await run(client, acme, SCALE, {"id": deployment_id, "replicas": replicas})

    assert body["data"]["scaleDeployment"]["userErrors"] == [{
        "field": ["input", "replicas"], "message": "replicas must be 1 to 100",
        "code": "OUT_OF_RANGE"}]
    assert (await db.fetch("SELECT replicas FROM deployments"))[0][0] == 2
    assert (await counts(db))["audit_logs"] == 0


# ------------------------------------------------------------------ deleteDeployment

async def test_delete_a_stopped_deployment(client, db, session, acme) -> None:
    deployment_id = await deployment_of(session, acme, status="stopped", name="gone")

    body = await run(client, acme, DELETE, {"id": deployment_id})

    assert body["data"]["deleteDeployment"] == {"deletedDeploymentId": deployment_id,
                                                "userErrors": []}
    assert (await counts(db))["deployments"] == 0
    [(action, _, old, new)] = await audit_rows(db)
    assert (action, old["name"], old["status"], new) == ("deployment.delete", "gone", "stopped",
                                                         None)


@pytest.mark.parametrize("status", ["deploying", "running"])
async def test_an_active_deployment_cannot_be_deleted(client, db, session, acme, status) -> None:
    deployment_id = await deployment_of(session, acme, status=status)

    body = await run(client, acme, DELETE, {"id": deployment_id})

    assert body["data"]["deleteDeployment"] == {"deletedDeploymentId": None, "userErrors": [{
        "field": ["input", "id"], "message": f"The deployment is {status}: stop it first",
        "code": "ACTIVE"}]}
    assert (await counts(db))["deployments"] == 1


# ------------------------------------------------------------------ refusals

CHANGES = [
    (UPDATE, lambda d: {"id": d, "name": "x"}),
    (STATUS, lambda d: {"deploymentId": d, "status": "DEPLOYING"}),
    (SCALE, lambda d: {"id": d, "replicas": 5}),
    (DELETE, lambda d: {"id": d}),
]


@pytest.mark.parametrize(("document", "input"), CHANGES)
@pytest.mark.parametrize(("caller", "code"), [
    ("member", "FORBIDDEN"), ("viewer", "FORBIDDEN"), ("outsider", "NOT_FOUND"),
    ("anonymous", "UNAUTHENTICATED"),
])
async def test_changes_need_deployment_manage(
    client, db, session, acme, document, input, caller, code
) -> None:
    deployment_id = await deployment_of(session, acme, status="pending")
    before = await db.fetch("SELECT d::text FROM deployments d")
    before_counts = await counts(db)

    body = await run(client, acme, document, input(deployment_id), caller)

    assert body["data"] is None
    assert error_codes(body) == [code]
    assert await db.fetch("SELECT d::text FROM deployments d") == before
    assert await counts(db) == before_counts


@pytest.mark.parametrize(("document", "input"), CHANGES)
async def test_an_unknown_deployment_is_not_found(client, acme, document, input) -> None:
    missing = to_base64("Deployment", "00000000-0000-0000-0000-000000000001")

    body = await run(client, acme, document, input(missing))

    assert error_codes(body) == ["NOT_FOUND"]
