"""Organizations, users and memberships as Relay nodes; relation fields only call loaders."""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from db.loaders.ai_models import AI_MODELS_BY_ORGANIZATION
from db.loaders.api_keys import API_KEYS_BY_ORGANIZATION
from db.loaders.chat import CHAT_SESSIONS_BY_USER
from db.loaders.datasets import DATASETS_BY_ORGANIZATION
from db.loaders.deployments import DEPLOYMENTS_BY_ORGANIZATION
from db.loaders.experiments import PROJECTS_BY_ORGANIZATION
from db.loaders.identity import (
    MEMBERSHIPS_BY_ORGANIZATION,
    MEMBERSHIPS_BY_USER,
    ORGANIZATIONS_BY_USER,
)
from db.loaders.knowledge import KNOWLEDGE_COLLECTIONS_BY_ORGANIZATION
from db.loaders.system import AUDIT_LOGS_BY_ORGANIZATION, NOTIFICATIONS_BY_USER
from graphql_schema.identity.enums import MembershipRole, UserStatus
from graphql_schema.identity.inputs import (
    MembershipFilter,
    MembershipOrder,
    OrganizationFilter,
    OrganizationOrder,
)
from graphql_schema.relations import connection, lazy, to_one
from graphql_schema.relay import TableNode

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

    members = connection(
        MEMBERSHIPS_BY_ORGANIZATION, lazy("Membership", __name__), MembershipFilter,
        MembershipOrder,
        description="People in this organization, with their role.",
    )

    models = connection(
        AI_MODELS_BY_ORGANIZATION, lazy("AiModel", AI_MODELS),
        lazy("AiModelFilter", AI_MODEL_INPUTS), lazy("AiModelOrder", AI_MODEL_INPUTS),
        description="AI models registered in this organization.",
    )

    datasets = connection(
        DATASETS_BY_ORGANIZATION, lazy("Dataset", DATASETS), lazy("DatasetFilter", DATASET_INPUTS),
        lazy("DatasetOrder", DATASET_INPUTS),
        description="Datasets of this organization.",
    )

    projects = connection(
        PROJECTS_BY_ORGANIZATION, lazy("Project", EXPERIMENTS),
        lazy("ProjectFilter", EXPERIMENT_INPUTS), lazy("ProjectOrder", EXPERIMENT_INPUTS),
        description="ML projects of this organization.",
    )

    deployments = connection(
        DEPLOYMENTS_BY_ORGANIZATION, lazy("Deployment", DEPLOYMENTS),
        lazy("DeploymentFilter", DEPLOYMENT_INPUTS), lazy("DeploymentOrder", DEPLOYMENT_INPUTS),
        description="Deployments of this organization.",
    )

    knowledge_collections = connection(
        KNOWLEDGE_COLLECTIONS_BY_ORGANIZATION, lazy("KnowledgeCollection", KNOWLEDGE),
        lazy("KnowledgeCollectionFilter", KNOWLEDGE_INPUTS),
        lazy("KnowledgeCollectionOrder", KNOWLEDGE_INPUTS),
        description="Knowledge collections of this organization.",
    )

    audit_logs = connection(
        AUDIT_LOGS_BY_ORGANIZATION, lazy("AuditLog", SYSTEM), lazy("AuditLogFilter", SYSTEM_INPUTS),
        lazy("AuditLogOrder", SYSTEM_INPUTS),
        description=("Audit trail of this organization, newest first by default; empty unless you "
                     "hold audit:read there (owners, admins)."),
    )

    api_keys = connection(
        API_KEYS_BY_ORGANIZATION, lazy("ApiKey", API_KEYS), lazy("ApiKeyFilter", API_KEYS),
        lazy("ApiKeyOrder", API_KEYS),
        description=("Your API keys for this organization (a colleague's keys are never listed, "
                     "whatever your role)."),
    )


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

    organizations = connection(
        ORGANIZATIONS_BY_USER, Organization, OrganizationFilter, OrganizationOrder,
        description="Organizations this user belongs to.",
    )

    memberships = connection(
        MEMBERSHIPS_BY_USER, lazy("Membership", __name__), MembershipFilter, MembershipOrder,
        description="This user's memberships, with role and organization.",
    )

    chat_sessions = connection(
        CHAT_SESSIONS_BY_USER, lazy("ChatSession", CHAT), lazy("ChatSessionFilter", CHAT_INPUTS),
        lazy("ChatSessionOrder", CHAT_INPUTS),
        description="This user's chat sessions.",
    )

    notifications = connection(
        NOTIFICATIONS_BY_USER, lazy("Notification", SYSTEM),
        lazy("NotificationFilter", SYSTEM_INPUTS), lazy("NotificationOrder", SYSTEM_INPUTS),
        description=("This user's notifications, newest first; only the user sees them (`viewer { "
                     "notifications }`)."),
    )


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

    user = to_one(User, "user_id")

    organization = to_one(Organization, "organization_id")
