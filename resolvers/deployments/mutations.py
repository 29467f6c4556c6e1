"""createDeployment, updateDeployment, scaleDeployment and deleteDeployment.

Each needs deployment:manage in the deployment's organization (a model version's organization
for a new one): NOT_FOUND when the caller cannot see it, FORBIDDEN when it may only read.
Input problems come back together as userErrors and nothing is written. Status changes have
their own module (status.py), because they publish events.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay

from db.models import Deployment
from graphql_schema.ai_models.types import ModelVersion
from graphql_schema.context import Info
from graphql_schema.deployments import types
from graphql_schema.deployments.inputs import (
    CreateDeploymentInput,
    DeleteDeploymentInput,
    ScaleDeploymentInput,
    UpdateDeploymentInput,
)
from graphql_schema.deployments.payloads import (
    CreateDeploymentPayload,
    DeleteDeploymentPayload,
    DeploymentErrorCode,
    ScaleDeploymentPayload,
    UpdateDeploymentPayload,
)
from graphql_schema.relay import decode_global_id_of
from resolvers.deployments import validation as v
from resolvers.mutations import (
    InvalidInput,
    Problem,
    mutation_payload,
    require,
    require_authenticated,
    write,
)
from resolvers.system.live import publish
from services.pubsub import deployment_channel

MANAGE = "deployment:manage"
ACTIVE_STATUSES = ("deploying", "running")
DELETED = "deleted"  # the event that ends deploymentStatus streams


async def locked_deployment(info: Info, session: AsyncSession, deployment_id: uuid.UUID
                            ) -> Deployment:
    """The deployment, row-locked for this transaction, once the caller may manage it."""
    row = await session.get(Deployment, deployment_id, with_for_update=True)
    require(info, MANAGE, row.organization_id if row is not None else None)
    assert row is not None  # require() refuses a missing row as NOT_FOUND
    return row


async def payload_node(info: Info, deployment_id: uuid.UUID) -> types.Deployment:
    """The committed deployment as the caller reads it."""
    return await info.context.loaders.node(types.Deployment).load(deployment_id)


def _raise_if(problems: list[Problem]) -> None:
    if problems:
        raise InvalidInput(problems)


# ------------------------------------------------------------------ create


async def create_deployment(info: Info, input: CreateDeploymentInput) -> CreateDeploymentPayload:
    require_authenticated(info)
    version_id = decode_global_id_of(input.model_version_id, ModelVersion,
                                     field="modelVersionId")
    version = await info.context.loaders.node(ModelVersion).load(version_id)
    require(info, MANAGE, version.organization_id if version is not None else None)

    async def body() -> CreateDeploymentPayload:
        values = _create_values(input)
        problems = _create_problems(values)
        if version.status == "archived":
            problems.append(Problem("modelVersionId", "An archived model version cannot be "
                                                      "deployed",
                                    DeploymentErrorCode.MODEL_VERSION_ARCHIVED))
        _raise_if(problems)
        async with write(info) as tx:
            row = Deployment(organization_id=version.organization_id, model_version_id=version_id,
                             created_by=info.context.principal.user_id, status="pending",
                             **values)
            tx.session.add(row)
            await tx.session.flush()
            await tx.audit("deployment.create", resource_type="Deployment", resource_id=row.id,
                           organization_id=row.organization_id,
                           new={**values, "model_version_id": version_id})
        return CreateDeploymentPayload(deployment=await payload_node(info, row.id))

    return await mutation_payload(body, lambda e: CreateDeploymentPayload(user_errors=e))


def _create_values(input: CreateDeploymentInput) -> dict[str, Any]:
    return {
        "name": input.name.strip(), "description": input.description,
        "environment": input.environment, "service_type": input.service_type,
        "replicas": input.replicas, "resource_allocation": input.resource_allocation,
        "autoscaling_config": input.autoscaling_config,
        "traffic_percentage": input.traffic_percentage, "configuration": input.configuration,
        "endpoint_url": input.endpoint_url, "version": input.version,
    }


def _create_problems(values: dict[str, Any]) -> list[Problem]:
    return [*_value_problems(values), *v.replicas_problems(values["replicas"])]


_CHECKS = {
    "name": v.name_problems,
    "environment": v.environment_problems,
    "service_type": v.service_type_problems,
    "resource_allocation": v.resource_problems,
    "autoscaling_config": v.autoscaling_problems,
    "traffic_percentage": v.traffic_problems,
    "configuration": lambda value: v.object_problems("configuration", value),
    "endpoint_url": v.url_problems,
    "version": lambda value: v.short_text_problems("version", value),
}


def _value_problems(values: dict[str, Any]) -> list[Problem]:
    """Problems of every field present in `values`, in the input's order."""
    return [p for key, check in _CHECKS.items() if key in values for p in check(values[key])]


# ------------------------------------------------------------------ update


async def update_deployment(info: Info, input: UpdateDeploymentInput) -> UpdateDeploymentPayload:
    require_authenticated(info)
    deployment_id = decode_global_id_of(input.id, types.Deployment, field="id")

    async def body() -> UpdateDeploymentPayload:
        changes = _update_changes(input)
        async with write(info) as tx:
            row = await locked_deployment(info, tx.session, deployment_id)
            _raise_if(_value_problems(changes))
            old = {key: getattr(row, key) for key in changes}
            for key, value in changes.items():
                setattr(row, key, value)
            await tx.session.flush()
            await tx.audit("deployment.update", resource_type="Deployment", resource_id=row.id,
                           organization_id=row.organization_id, old=old, new=changes)
        return UpdateDeploymentPayload(deployment=await payload_node(info, deployment_id))

    return await mutation_payload(body, lambda e: UpdateDeploymentPayload(user_errors=e))


_UPDATABLE = ("name", "description", "environment", "service_type", "resource_allocation",
              "autoscaling_config", "traffic_percentage", "configuration", "endpoint_url",
              "version")


def _update_changes(input: UpdateDeploymentInput) -> dict[str, Any]:
    """The fields passed (an absent one stays unchanged; `null` clears a nullable one)."""
    changes = {key: getattr(input, key).value for key in _UPDATABLE
               if getattr(input, key) is not None}
    if isinstance(changes.get("name"), str):
        changes["name"] = changes["name"].strip()
    return changes


# ------------------------------------------------------------------ scale


async def scale_deployment(info: Info, input: ScaleDeploymentInput) -> ScaleDeploymentPayload:
    require_authenticated(info)
    deployment_id = decode_global_id_of(input.id, types.Deployment, field="id")

    async def body() -> ScaleDeploymentPayload:
        async with write(info) as tx:
            row = await locked_deployment(info, tx.session, deployment_id)
            _raise_if(v.replicas_problems(input.replicas))
            old = row.replicas
            row.replicas = input.replicas
            await tx.session.flush()
            await tx.audit("deployment.scale", resource_type="Deployment", resource_id=row.id,
                           organization_id=row.organization_id, old={"replicas": old},
                           new={"replicas": input.replicas})
        return ScaleDeploymentPayload(deployment=await payload_node(info, deployment_id))

    return await mutation_payload(body, lambda e: ScaleDeploymentPayload(user_errors=e))


# ------------------------------------------------------------------ delete


async def delete_deployment(info: Info, input: DeleteDeploymentInput) -> DeleteDeploymentPayload:
    require_authenticated(info)
    deployment_id = decode_global_id_of(input.id, types.Deployment, field="id")

    async def body() -> DeleteDeploymentPayload:
        async with write(info) as tx:
            row = await locked_deployment(info, tx.session, deployment_id)
            if row.status in ACTIVE_STATUSES:
                raise InvalidInput(Problem("id", f"The deployment is {row.status}: stop it "
                                                 "first", DeploymentErrorCode.ACTIVE))
            old = {"name": row.name, "status": row.status,
                   "model_version_id": row.model_version_id}
            await tx.session.delete(row)
            await tx.session.flush()
            await tx.audit("deployment.delete", resource_type="Deployment",
                           resource_id=deployment_id, organization_id=row.organization_id,
                           old=old)
        await publish(info, deployment_channel(deployment_id), {DELETED: True})
        return DeleteDeploymentPayload(
            deleted_deployment_id=relay.to_base64("Deployment", deployment_id))

    return await mutation_payload(body, lambda e: DeleteDeploymentPayload(user_errors=e))
