"""promoteModelVersion: draft → staging → production, and any live status → archived.

A model has at most one production version, and it is the default one. Promoting a version to
production archives the previous one in the same transaction. Promotions of one model queue on
the model's row lock, and the partial unique index `uq_model_versions_one_production` makes a
second production version impossible even for a writer that skips this code.
"""

from __future__ import annotations

from sqlalchemy import select, update

from db.models import AIModel, Deployment, ModelVersion
from graphql_schema.ai_models.inputs import PromoteModelVersionInput
from graphql_schema.ai_models.payloads import AiModelErrorCode, PromoteModelVersionPayload
from graphql_schema.ai_models.types import ModelVersion as ModelVersionNode
from graphql_schema.context import Info
from graphql_schema.errors import NotFound
from graphql_schema.relay import decode_global_id_of
from resolvers.ai_models.models import LIVE_DEPLOYMENT, PERMISSION
from resolvers.mutations import InvalidInput, Problem, mutation_payload, require, write
from resolvers.nodes import fresh_node

TRANSITIONS: dict[str, frozenset[str]] = {
    "draft": frozenset({"staging", "archived"}),
    "staging": frozenset({"production", "archived"}),
    "production": frozenset({"archived"}),
    "archived": frozenset(),
}


async def promote_model_version(info: Info, input: PromoteModelVersionInput
                                ) -> PromoteModelVersionPayload:
    version_id = decode_global_id_of(input.id, ModelVersionNode, field="id")
    target = input.to.value

    async def body() -> PromoteModelVersionPayload:
        async with write(info) as tx:
            session = tx.session
            found = await session.get(ModelVersion, version_id)
            if found is None:
                raise NotFound("No such model version", field="id")
            require(info, PERMISSION, found.organization_id)
            model = await session.scalar(select(AIModel).where(
                AIModel.id == found.model_id).with_for_update())
            if model is None or model.deleted_at is not None:
                raise NotFound("No such model version", field="id")
            version = await session.get(ModelVersion, version_id, with_for_update=True,
                                        populate_existing=True)
            if version is None:
                raise NotFound("No such model version", field="id")
            before = version.status
            if target not in TRANSITIONS[before]:
                allowed = ", ".join(sorted(TRANSITIONS[before])) or "nothing (it is final)"
                raise InvalidInput(Problem("to", f"A {before} version cannot become {target}; "
                                           f"it can become: {allowed}",
                                           AiModelErrorCode.INVALID_TRANSITION))
            if target == "archived" and await session.scalar(select(Deployment.id).where(
                    Deployment.model_version_id == version.id,
                    Deployment.status.in_(LIVE_DEPLOYMENT)).limit(1)) is not None:
                raise InvalidInput(Problem("id", "This version is deployed: stop its "
                                           "deployments first", AiModelErrorCode.IN_USE))
            replaced = None
            if target == "production":
                replaced = await session.scalar(select(ModelVersion).where(
                    ModelVersion.model_id == model.id, ModelVersion.status == "production",
                ).with_for_update())
                if replaced is not None:  # archived first: one production row at any time
                    replaced.status = "archived"
                    await session.flush()
                await session.execute(update(ModelVersion).where(
                    ModelVersion.model_id == model.id, ModelVersion.id != version.id,
                    ModelVersion.is_default).values(is_default=False),
                    execution_options={"synchronize_session": "fetch"})
            version.status = target
            version.is_default = target == "production"
            await session.flush()
            await tx.audit("model_version.promote", resource_type="ModelVersion",
                           resource_id=version.id, organization_id=version.organization_id,
                           old={"status": before},
                           new={"status": target, "archived_version_id":
                                replaced.id if replaced is not None else None})
        return PromoteModelVersionPayload(
            model_version=await fresh_node(info, ModelVersionNode, version.id),
            archived_version=(await fresh_node(info, ModelVersionNode, replaced.id)
                              if replaced is not None else None))

    return await mutation_payload(body, lambda e: PromoteModelVersionPayload(user_errors=e))
