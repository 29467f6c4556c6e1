"""createChatSession, updateChatSession, archiveChatSession and deleteChatSession.

A session is its starter's conversation: others in the organization can read it, only its
starter (with `chat:write` there) changes it. Deleting is soft (`deleted_at`), so usage logs
keep their session.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from strawberry.relay import to_base64

from db.models import AIModel, ChatSession, Deployment
from graphql_schema.ai_models.types import AiModel as AiModelNode
from graphql_schema.chat.inputs import (
    ArchiveChatSessionInput,
    CreateChatSessionInput,
    DeleteChatSessionInput,
    UpdateChatSessionInput,
)
from graphql_schema.chat.payloads import (
    ArchiveChatSessionPayload,
    ChatErrorCode,
    CreateChatSessionPayload,
    DeleteChatSessionPayload,
    UpdateChatSessionPayload,
)
from graphql_schema.chat.types import ChatSession as ChatSessionNode
from graphql_schema.context import Info
from graphql_schema.deployments.types import Deployment as DeploymentNode
from graphql_schema.errors import Forbidden
from graphql_schema.relay import decode_global_id_of
from resolvers.chat.common import model_unavailable, session_for_write
from resolvers.chat.deployments import deployment_problems, started_on
from resolvers.chat.knowledge import attached, collection_choice, with_collection
from resolvers.chat.validation import config_problems, system_prompt_problems, title_problems
from resolvers.mutations import (
    InvalidInput,
    Problem,
    Transaction,
    mutation_payload,
    require,
    require_authenticated,
    write,
)

AUDITED = ("title", "system_prompt", "config", "status")


def _values(chat: ChatSession) -> dict[str, Any]:
    return {k: getattr(chat, k) for k in AUDITED}


async def _node(info: Info, chat: ChatSession) -> ChatSessionNode | None:
    return await info.context.loaders.node(ChatSessionNode).load(chat.id)


async def create_chat_session(info: Info, input: CreateChatSessionInput
                              ) -> CreateChatSessionPayload:
    model_id = (None if input.model_id is None
                else decode_global_id_of(input.model_id, AiModelNode, field="modelId"))
    deployment_id = (None if input.deployment_id is None else decode_global_id_of(
        input.deployment_id, DeploymentNode, field="deploymentId"))

    async def body() -> CreateChatSessionPayload:
        require_authenticated(info)
        async with write(info) as tx:
            deployment, model, problems = await _started_on(info, tx, model_id, deployment_id)
            if model is None:
                raise InvalidInput(problems)
            user_id = info.context.principal.user_id
            if user_id is None:
                raise Forbidden("Log in as a user to start a chat")
            config = {} if input.config is None else input.config
            collection_id, collection_problems = await collection_choice(
                info, model.organization_id, input.knowledge_collection_id)
            problems = (title_problems(input.title)
                        + system_prompt_problems(input.system_prompt)
                        + config_problems(config, model.context_window) + collection_problems
                        + problems)
            if problems:
                raise InvalidInput(problems)
            chat = ChatSession(organization_id=model.organization_id, user_id=user_id,
                               model_id=model.id, title=input.title,
                               system_prompt=input.system_prompt,
                               config=with_collection(config, collection_id), status="active")
            if deployment is not None:
                chat.deployment_id = deployment.id
                chat.deployment_name = deployment.name
                chat.deployment_environment = deployment.environment
            tx.session.add(chat)
            await tx.session.flush()
            await tx.audit("chat_session.create", resource_type="ChatSession",
                           resource_id=chat.id, organization_id=chat.organization_id,
                           new={"model_id": model.id, "deployment_id": chat.deployment_id,
                                **_values(chat)})
        return CreateChatSessionPayload(chat_session=await _node(info, chat))

    return await mutation_payload(body, lambda e: CreateChatSessionPayload(user_errors=e))


async def _started_on(info: Info, tx: Transaction, model_id: uuid.UUID | None,
                      deployment_id: uuid.UUID | None
                      ) -> tuple[Deployment | None, AIModel | None, list[Problem]]:
    """What a new chat talks to: a model, or a deployment and its model, once the caller may
    chat in their organization; with the problems of that choice (no model: none to use)."""
    model = deployment = None
    if deployment_id is not None:
        deployment, model = await started_on(info, tx, deployment_id)
    if model_id is not None:
        model = await tx.session.get(AIModel, model_id)
        live = model is not None and model.deleted_at is None
        require(info, "chat:write", model.organization_id if live and model else None)
    if (model_id is None) == (deployment_id is None):
        return None, None, [Problem("modelId", "Give exactly one of modelId and deploymentId",
                                    ChatErrorCode.INVALID)]
    if deployment is not None:
        return deployment, model, deployment_problems(deployment, model)
    assert model is not None  # require() raised NOT_FOUND otherwise
    reason = model_unavailable(model)
    return None, model, ([] if reason is None else
                         [Problem("modelId", reason, ChatErrorCode.MODEL_UNAVAILABLE)])


def _changes(input: UpdateChatSessionInput) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    if input.title is not None:
        changes["title"] = input.title.value
    if input.system_prompt is not None:
        changes["system_prompt"] = input.system_prompt.value
    if input.config is not None:
        changes["config"] = input.config.value
    return changes


async def update_chat_session(info: Info, input: UpdateChatSessionInput
                              ) -> UpdateChatSessionPayload:
    session_id = decode_global_id_of(input.id, ChatSessionNode, field="id")

    async def body() -> UpdateChatSessionPayload:
        changes = _changes(input)
        async with write(info) as tx:
            chat = await session_for_write(info, tx, session_id)
            problems = (title_problems(changes.get("title"))
                        + system_prompt_problems(changes.get("system_prompt")))
            if "config" in changes:
                model = await tx.session.get(AIModel, chat.model_id)
                problems += config_problems(changes["config"],
                                            model.context_window if model else None)
            collection_id = attached(chat.config)
            if input.knowledge_collection_id is not None:
                collection_id, collection_problems = await collection_choice(
                    info, chat.organization_id, input.knowledge_collection_id.value)
                problems += collection_problems
            if problems:
                raise InvalidInput(problems)
            if "config" in changes or input.knowledge_collection_id is not None:
                changes["config"] = with_collection(changes.get("config", chat.config or {}),
                                                    collection_id)
            old = _values(chat)
            for key, value in changes.items():
                setattr(chat, key, value)
            await tx.audit("chat_session.update", resource_type="ChatSession",
                           resource_id=chat.id, organization_id=chat.organization_id,
                           old={k: old[k] for k in changes}, new=changes)
        return UpdateChatSessionPayload(chat_session=await _node(info, chat))

    return await mutation_payload(body, lambda e: UpdateChatSessionPayload(user_errors=e))


async def archive_chat_session(info: Info, input: ArchiveChatSessionInput
                               ) -> ArchiveChatSessionPayload:
    """Archived chats stay readable but take no new messages. Archiving twice changes nothing
    (and audits nothing)."""
    session_id = decode_global_id_of(input.id, ChatSessionNode, field="id")
    async with write(info) as tx:
        chat = await session_for_write(info, tx, session_id)
        if chat.status != "archived":
            chat.status = "archived"
            await tx.audit("chat_session.archive", resource_type="ChatSession",
                           resource_id=chat.id, organization_id=chat.organization_id,
                           old={"status": "active"}, new={"status": "archived"})
    return ArchiveChatSessionPayload(chat_session=await _node(info, chat))


async def delete_chat_session(info: Info, input: DeleteChatSessionInput
                              ) -> DeleteChatSessionPayload:
    """Soft delete: the chat disappears from every read; a reply still streaming is then
    discarded (its `ChatMessageFailed` says so)."""
    session_id = decode_global_id_of(input.id, ChatSessionNode, field="id")
    async with write(info) as tx:
        chat = await session_for_write(info, tx, session_id)
        chat.deleted_at = datetime.now(UTC)
        await tx.audit("chat_session.delete", resource_type="ChatSession", resource_id=chat.id,
                       organization_id=chat.organization_id, old=_values(chat))
    return DeleteChatSessionPayload(deleted_chat_session_id=to_base64("ChatSession", chat.id))
