"""shiftTraffic: how requests to a deployment name in one environment split between its
deployments (the gateway routes by these percentages, services/gateway/routing.py).

Every deployment of the name and environment is row-locked in one transaction and all their
percentages change together, so the gateway never sees a split that does not sum to 100.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select

from db.models import Deployment
from graphql_schema.context import Info
from graphql_schema.deployments import types
from graphql_schema.deployments.inputs import ShiftTrafficInput
from graphql_schema.deployments.payloads import DeploymentErrorCode, ShiftTrafficPayload
from graphql_schema.relay import decode_global_id_of
from resolvers.deployments.mutations import MANAGE
from resolvers.mutations import (
    InvalidInput,
    Problem,
    mutation_payload,
    require,
    require_authenticated,
    write,
)

TOTAL = 100.0
TOLERANCE = 1e-6  # floats such as 33.3 + 33.3 + 33.4 still sum to 100


def split_problems(percentages: dict[uuid.UUID, float], count: int) -> list[Problem]:
    problems = []
    if count == 0:
        problems.append(Problem("splits", "Name at least one deployment"))
    elif len(percentages) != count:
        problems.append(Problem("splits", "Each deployment may appear once"))
    if any(not 0 <= p <= TOTAL for p in percentages.values()):
        problems.append(Problem("splits", "Each percentage must be from 0 to 100",
                                DeploymentErrorCode.OUT_OF_RANGE))
    elif count and abs(sum(percentages.values()) - TOTAL) > TOLERANCE:
        problems.append(Problem("splits", f"The percentages sum to "
                                          f"{sum(percentages.values()):g}, not 100",
                                DeploymentErrorCode.OUT_OF_RANGE))
    return problems


async def shift_traffic(info: Info, input: ShiftTrafficInput) -> ShiftTrafficPayload:
    require_authenticated(info)
    percentages = {decode_global_id_of(s.deployment_id, types.Deployment, field="splits"):
                   s.percentage for s in input.splits}

    async def body() -> ShiftTrafficPayload:
        async with write(info) as tx:
            named = (await tx.session.scalars(select(Deployment).where(
                Deployment.id.in_(percentages)).order_by(Deployment.id))).all()
            found = {row.id: row for row in named}
            for deployment_id in percentages:
                row = found.get(deployment_id)
                require(info, MANAGE, row.organization_id if row is not None else None)
            problems = split_problems(percentages, len(input.splits))
            strangers = [r for r in named
                         if (r.name, r.environment) != (input.name, input.environment)]
            if strangers:
                problems.append(Problem("splits", f"{len(strangers)} of the deployments are "
                                                  f"not {input.name!r} in {input.environment}",
                                        DeploymentErrorCode.NOT_IN_GROUP))
            if problems:
                raise InvalidInput(problems)
            organization_id = named[0].organization_id
            group = (await tx.session.scalars(select(Deployment).where(
                Deployment.organization_id == organization_id, Deployment.name == input.name,
                Deployment.environment == input.environment,
            ).order_by(Deployment.id).with_for_update())).all()
            old = {str(r.id): r.traffic_percentage for r in group}
            for row in group:
                row.traffic_percentage = percentages.get(row.id, 0.0)
            await tx.session.flush()
            await tx.audit("deployment.shift_traffic", resource_type="Deployment",
                           resource_id=named[0].id, organization_id=organization_id,
                           old=old, new={str(r.id): r.traffic_percentage for r in group})
            ids = [r.id for r in group]
        loader = info.context.loaders.node(types.Deployment)
        return ShiftTrafficPayload(deployments=list(await loader.load_many(ids)))

    return await mutation_payload(body, lambda e: ShiftTrafficPayload(user_errors=e))
