"""setModelAlertThreshold and removeModelAlertThreshold: who may change a model may set the
bounds whose crossing notifies its owner (the roll-up compares them, see
services/performance_alerts.py).

A threshold is one per (model, metric, direction): setting it again replaces the value and
starts its crossing state afresh, so a minute already past the new value notifies again.
"""

from __future__ import annotations

import math

from sqlalchemy import select
from strawberry import relay

from db.loaders.performance import METRIC_NAMES
from db.models import ModelAlertThreshold as ThresholdRow
from graphql_schema.ai_models.alerts import ModelAlertThreshold
from graphql_schema.ai_models.inputs import (
    RemoveModelAlertThresholdInput,
    SetModelAlertThresholdInput,
)
from graphql_schema.ai_models.payloads import (
    AiModelErrorCode,
    RemoveModelAlertThresholdPayload,
    SetModelAlertThresholdPayload,
)
from graphql_schema.context import Info
from graphql_schema.errors import NotFound
from graphql_schema.relay import decode_global_id_of
from resolvers.ai_models.models import PERMISSION, locked_model
from resolvers.mutations import InvalidInput, Problem, mutation_payload, require, write
from resolvers.nodes import forget, fresh_node


def _bound(input: SetModelAlertThresholdInput) -> tuple[str, float]:
    """(direction, value), or every problem of the input at once."""
    problems = []
    if input.metric_name not in METRIC_NAMES:
        problems.append(Problem("metricName", f"One of {', '.join(METRIC_NAMES)}",
                                AiModelErrorCode.INVALID))
    given = [(d, v) for d, v in (("above", input.above), ("below", input.below))
             if v is not None]
    if not given:
        problems.append(Problem("above", "Give above or below", AiModelErrorCode.REQUIRED))
    elif len(given) > 1:
        problems.append(Problem("below", "Give above or below, not both",
                                AiModelErrorCode.INVALID))
    elif not math.isfinite(given[0][1]):
        problems.append(Problem(given[0][0], "A finite number", AiModelErrorCode.INVALID))
    if problems:
        raise InvalidInput(problems)
    return given[0]


async def set_model_alert_threshold(info: Info, input: SetModelAlertThresholdInput
                                    ) -> SetModelAlertThresholdPayload:
    async def body() -> SetModelAlertThresholdPayload:
        async with write(info) as tx:
            model = await locked_model(tx.session, info, input.model_id, field="modelId")
            direction, value = _bound(input)
            row = await tx.session.scalar(select(ThresholdRow).where(
                ThresholdRow.model_id == model.id, ThresholdRow.metric_name == input.metric_name,
                ThresholdRow.direction == direction))
            old = None if row is None else {"value": row.value}
            if row is None:
                row = ThresholdRow(organization_id=model.organization_id, model_id=model.id,
                                   metric_name=input.metric_name, direction=direction,
                                   value=value, created_by=info.context.principal.user_id)
                tx.session.add(row)
            else:
                row.value, row.breached_at = value, None
            await tx.session.flush()
            await tx.audit("model.alert_threshold.set", resource_type="AiModel",
                           resource_id=model.id, organization_id=model.organization_id, old=old,
                           new={"metric_name": input.metric_name, "direction": direction,
                                "value": value})
        return SetModelAlertThresholdPayload(
            threshold=await fresh_node(info, ModelAlertThreshold, row.id))

    return await mutation_payload(body, lambda e: SetModelAlertThresholdPayload(user_errors=e))


async def remove_model_alert_threshold(info: Info, input: RemoveModelAlertThresholdInput
                                       ) -> RemoveModelAlertThresholdPayload:
    threshold_id = decode_global_id_of(input.id, ModelAlertThreshold, field="id")

    async def body() -> RemoveModelAlertThresholdPayload:
        async with write(info) as tx:
            row = await tx.session.get(ThresholdRow, threshold_id, with_for_update=True)
            if row is None:
                raise NotFound("No such alert threshold", field="id")
            require(info, PERMISSION, row.organization_id)
            await tx.session.delete(row)
            await tx.audit("model.alert_threshold.remove", resource_type="AiModel",
                           resource_id=row.model_id, organization_id=row.organization_id,
                           old={"metric_name": row.metric_name, "direction": row.direction,
                                "value": row.value})
        forget(info, ModelAlertThreshold, threshold_id)
        return RemoveModelAlertThresholdPayload(
            removed_threshold_id=relay.to_base64("ModelAlertThreshold", threshold_id))

    return await mutation_payload(body,
                                  lambda e: RemoveModelAlertThresholdPayload(user_errors=e))

