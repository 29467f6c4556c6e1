"""Organizations, users and memberships as Relay nodes; relation fields only call loaders."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from db.loaders.identity import (
    MEMBERSHIPS_BY_ORGANIZATION,
    MEMBERSHIPS_BY_USER,
    ORGANIZATIONS_BY_USER,
)
from graphql_schema.context import Info
from graphql_schema.identity.enums import MembershipRole, UserStatus
from graphql_schema.identity.inputs import (
    MembershipFilter,
    MembershipOrder,
    OrganizationFilter,
    OrganizationOrder,
)
from graphql_schema.relay import Connection, PageArgs, TableNode, resolve_connection

if TYPE_CHECKING:
    from graphql_schema.ai_models.inputs import AiModelFilter, AiModelOrder
    from graphql_schema.ai_models.types import AiModel
    from graphql_schema.chat.inputs import ChatSessionFilter, ChatSessionOrder
    from graphql_schema.chat.types import ChatSession
    from graphql_schema.datasets.inputs import DatasetFilter, DatasetOrder
    from graphql_schema.datasets.types import Dataset
    from graphql_schema.deployments.inputs import DeploymentFilter, DeploymentOrder
    from graphql_schema.deployments.types import Deployment
    from graphql_schema.experiments.inputs import ProjectFilter, ProjectOrder
    from graphql_schema.experiments.types import Project
    from graphql_schema.identity.api_keys import ApiKey, ApiKeyFilter, ApiKeyOrder
    from graphql_schema.knowledge.inputs import KnowledgeCollectionFilter, KnowledgeCollectionOrder
    from graphql_schema.knowledge.types import KnowledgeCollection
    from graphql_schema.system.inputs import (
        AuditLogFilter,
        AuditLogOrder,
        NotificationFilter,
        NotificationOrder,
    )
    from graphql_schema.system.types import AuditLog, Notification

AI_MODELS = "graphql_schema.ai_models.types"
AI_MODEL_INPUTS = "graphql_schema.ai_models.inputs"
CHAT = "graphql_schema.chat.types"
CHAT_INPUTS = "graphql_schema.chat.inputs"
DEPLOYMENTS = "graphql_schema.deployments.types"
DEPLOYMENT_INPUTS = "graphql_schema.deployments.inputs"
KNOWLEDGE = "graphql_schema.knowledge.types"
KNOWLEDGE_INPUTS = "graphql_schema.knowledge.inputs"
SYSTEM = "graphql_schema.system.types"
API_KEYS = "graphql_schema.identity.api_keys"
SYSTEM_INPUTS = "graphql_schema.system.inputs"

DATASETS = "graphql_schema.datasets.types"
DATASET_INPUTS = "graphql_schema.datasets.inputs"
EXPERIMENTS = "graphql_schema.experiments.types"
EXPERIMENT_INPUTS = "graphql_schema.experiments.inputs"


@strawberry.type(description="A tenant: everything else belongs to exactly one organization.")
class Organization(TableNode):
    _table = "organizations"

    id: relay.NodeID[uuid.UUID]
    name: str
    slug: str
    description: str | None
    settings: JSON
    is_active: bool
    created_at: datetime
    updated_at: datetime

    @strawberry.field(description="People in this organization, with their role.")
    async def members(
        self, info: Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
        filter: MembershipFilter | None = None, order_by: MembershipOrder | None = None,
    ) -> Connection[Membership]:
        return await resolve_connection(info, MEMBERSHIPS_BY_ORGANIZATION, Membership, self.id,
                                        PageArgs(first, after, last, before), filter, order_by)

    @strawberry.field(description="AI models registered in this organization.")
    async def models(
        self, info: Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
        filter: Annotated[AiModelFilter, strawberry.lazy(AI_MODEL_INPUTS)] | None = None,
        order_by: Annotated[AiModelOrder, strawberry.lazy(AI_MODEL_INPUTS)] | None = None,
    ) -> Connection[Annotated[AiModel, strawberry.lazy(AI_MODELS)]]:
        from db.loaders.ai_models import AI_MODELS_BY_ORGANIZATION
        from graphql_schema.ai_models.types import AiModel

        return await resolve_connection(info, AI_MODELS_BY_ORGANIZATION, AiModel, self.id,
                                        PageArgs(first, after, last, before), filter, order_by)

    @strawberry.field(description="Datasets of this organization.")
    async def datasets(
        self, info: Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
        filter: Annotated[DatasetFilter, strawberry.lazy(DATASET_INPUTS)] | None = None,
        order_by: Annotated[DatasetOrder, strawberry.lazy(DATASET_INPUTS)] | None = None,
    ) -> Connection[Annotated[Dataset, strawberry.lazy(DATASETS)]]:
        from db.loaders.datasets import DATASETS_BY_ORGANIZATION
        from graphql_schema.datasets.types import Dataset

        return await resolve_connection(info, DATASETS_BY_ORGANIZATION, Dataset, self.id,
                                        PageArgs(first, after, last, before), filter, order_by)

    @strawberry.field(description="ML projects of this organization.")
    async def projects(
        self, info: Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
        filter: Annotated[ProjectFilter, strawberry.lazy(EXPERIMENT_INPUTS)] | None = None,
        order_by: Annotated[ProjectOrder, strawberry.lazy(EXPERIMENT_INPUTS)] | None = None,
    ) -> Connection[Annotated[Project, strawberry.lazy(EXPERIMENTS)]]:
        from db.loaders.experiments import PROJECTS_BY_ORGANIZATION
        from graphql_schema.experiments.types import Project

        return await resolve_connection(info, PROJECTS_BY_ORGANIZATION, Project, self.id,
                                        PageArgs(first, after, last, before), filter, order_by)

    @strawberry.field(description="Deployments of this organization.")
    async def deployments(
        self, info: Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
        filter: Annotated[DeploymentFilter, strawberry.lazy(DEPLOYMENT_INPUTS)] | None = None,
        order_by: Annotated[DeploymentOrder, strawberry.lazy(DEPLOYMENT_INPUTS)] | None = None,
    ) -> Connection[Annotated[Deployment, strawberry.lazy(DEPLOYMENTS)]]:
        from db.loaders.deployments import DEPLOYMENTS_BY_ORGANIZATION
        from graphql_schema.deployments.types import Deployment

        return await resolve_connection(info, DEPLOYMENTS_BY_ORGANIZATION, Deployment, self.id,
                                        PageArgs(first, after, last, before), filter, order_by)

    @strawberry.field(description="Knowledge collections of this organization.")
    async def knowledge_collections(
        self, info: Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
        filter: Annotated[KnowledgeCollectionFilter, strawberry.lazy(KNOWLEDGE_INPUTS)]
        | None = None,
        order_by: Annotated[KnowledgeCollectionOrder, strawberry.lazy(KNOWLEDGE_INPUTS)]
        | None = None,
    ) -> Connection[Annotated[KnowledgeCollection, strawberry.lazy(KNOWLEDGE)]]:
        from db.loaders.knowledge import KNOWLEDGE_COLLECTIONS_BY_ORGANIZATION
        from graphql_schema.knowledge.types import KnowledgeCollection

        return await resolve_connection(info, KNOWLEDGE_COLLECTIONS_BY_ORGANIZATION,
                                        KnowledgeCollection, self.id,
                                        PageArgs(first, after, last, before), filter, order_by)

    @strawberry.field(description="Audit trail of this organization, newest first by default; "
                                  "empty unless you hold audit:read there (owners, admins).")
    async def audit_logs(
        self, info: Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
        filter: Annotated[AuditLogFilter, strawberry.lazy(SYSTEM_INPUTS)] | None = None,
        order_by: Annotated[AuditLogOrder, strawberry.lazy(SYSTEM_INPUTS)] | None = None,
    ) -> Connection[Annotated[AuditLog, strawberry.lazy(SYSTEM)]]:
        from db.loaders.system import AUDIT_LOGS_BY_ORGANIZATION
        from graphql_schema.system.types import AuditLog

        return await resolve_connection(info, AUDIT_LOGS_BY_ORGANIZATION, AuditLog, self.id,
                                        PageArgs(first, after, last, before), filter, order_by)

    @strawberry.field(description="Your API keys for this organization (a colleague's keys "
                                  "are never listed, whatever your role).")
    async def api_keys(
        self, info: Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
        filter: Annotated[ApiKeyFilter, strawberry.lazy(API_KEYS)] | None = None,
        order_by: Annotated[ApiKeyOrder, strawberry.lazy(API_KEYS)] | None = None,
    ) -> Connection[Annotated[ApiKey, strawberry.lazy(API_KEYS)]]:
        from db.loaders.api_keys import API_KEYS_BY_ORGANIZATION
        from graphql_schema.identity.api_keys import ApiKey

        return await resolve_connection(info, API_KEYS_BY_ORGANIZATION, ApiKey, self.id,
                                        PageArgs(first, after, last, before), filter, order_by)


@strawberry.type(description="A person with an account on the platform.")
class User(TableNode):
    _table = "users"
    _live_only = True

    id: relay.NodeID[uuid.UUID]
    email: str
    username: str
    first_name: str | None
    last_name: str | None
    avatar_url: str | None
    bio: str | None
    status: UserStatus
    is_superuser: bool
    created_at: datetime
    last_login_at: datetime | None

    @strawberry.field(description="Organizations this user belongs to.")
    async def organizations(
        self, info: Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
        filter: OrganizationFilter | None = None, order_by: OrganizationOrder | None = None,
    ) -> Connection[Organization]:
        return await resolve_connection(info, ORGANIZATIONS_BY_USER, Organization, self.id,
                                        PageArgs(first, after, last, before), filter, order_by)

    @strawberry.field(description="This user's memberships, with role and organization.")
    async def memberships(
        self, info: Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
        filter: MembershipFilter | None = None, order_by: MembershipOrder | None = None,
    ) -> Connection[Membership]:
        return await resolve_connection(info, MEMBERSHIPS_BY_USER, Membership, self.id,
                                        PageArgs(first, after, last, before), filter, order_by)

    @strawberry.field(description="This user's chat sessions.")
    async def chat_sessions(
        self, info: Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
        filter: Annotated[ChatSessionFilter, strawberry.lazy(CHAT_INPUTS)] | None = None,
        order_by: Annotated[ChatSessionOrder, strawberry.lazy(CHAT_INPUTS)] | None = None,
    ) -> Connection[Annotated[ChatSession, strawberry.lazy(CHAT)]]:
        from db.loaders.chat import CHAT_SESSIONS_BY_USER
        from graphql_schema.chat.types import ChatSession

        return await resolve_connection(info, CHAT_SESSIONS_BY_USER, ChatSession, self.id,
                                        PageArgs(first, after, last, before), filter, order_by)

    @strawberry.field(description="This user's notifications, newest first; only the user "
                                  "sees them (`viewer { notifications }`).")
    async def notifications(
        self, info: Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
        filter: Annotated[NotificationFilter, strawberry.lazy(SYSTEM_INPUTS)] | None = None,
        order_by: Annotated[NotificationOrder, strawberry.lazy(SYSTEM_INPUTS)] | None = None,
    ) -> Connection[Annotated[Notification, strawberry.lazy(SYSTEM)]]:
        from db.loaders.system import NOTIFICATIONS_BY_USER
        from graphql_schema.system.types import Notification

        return await resolve_connection(info, NOTIFICATIONS_BY_USER, Notification, self.id,
                                        PageArgs(first, after, last, before), filter, order_by)


@strawberry.type(description="A user's place in an organization.")
class Membership(TableNode):
    _table = "memberships"

    id: relay.NodeID[uuid.UUID]
    role: MembershipRole
    department: str | None
    position: str | None
    created_at: datetime
    organization_id: strawberry.Private[uuid.UUID]
    user_id: strawberry.Private[uuid.UUID]

    @strawberry.field
    async def user(self, info: Info) -> User | None:
        return await info.context.loaders.node(User).load(self.user_id)

    @strawberry.field
    async def organization(self, info: Info) -> Organization | None:
        return await info.context.loaders.node(Organization).load(self.organization_id)
