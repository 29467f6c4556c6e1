"""Organizations, users and memberships as Relay nodes; relation fields only call loaders."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

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
    GROUPS_BY_ORGANIZATION,
    INVITATIONS_BY_ORGANIZATION,
    MEMBERS_BY_GROUP,
    MEMBERSHIPS_BY_ORGANIZATION,
    MEMBERSHIPS_BY_USER,
    OBJECT_PERMISSIONS_BY_ORGANIZATION,
    ORGANIZATIONS_BY_USER,
    SESSIONS_BY_USER,
    codename_by_permission,
    codenames_by_group,
    codenames_by_membership,
)
from db.loaders.knowledge import KNOWLEDGE_COLLECTIONS_BY_ORGANIZATION
from db.loaders.system import AUDIT_LOGS_BY_ORGANIZATION, NOTIFICATIONS_BY_USER
from graphql_schema.context import Info
from graphql_schema.identity.enums import MailKind, MailStatus, MembershipRole, UserStatus
from graphql_schema.identity.inputs import (
    ApiKeyFilter,
    ApiKeyOrder,
    GroupFilter,
    GroupOrder,
    InvitationFilter,
    InvitationOrder,
    MembershipFilter,
    MembershipOrder,
    ObjectPermissionFilter,
    ObjectPermissionOrder,
    OrganizationFilter,
    OrganizationOrder,
    UserFilter,
    UserOrder,
    UserSessionFilter,
    UserSessionOrder,
)
from graphql_schema.node import node_types
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
SYSTEM_INPUTS = "graphql_schema.system.inputs"

DATASETS = "graphql_schema.datasets.types"
DATASET_INPUTS = "graphql_schema.datasets.inputs"
EXPERIMENTS = "graphql_schema.experiments.types"
EXPERIMENT_INPUTS = "graphql_schema.experiments.inputs"


@strawberry.type(description="A tenant: everything else belongs to exactly one organization.")
class Organization(TableNode):
    _table = "organizations"
    _live_only = True

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
        API_KEYS_BY_ORGANIZATION, lazy("ApiKey", __name__), ApiKeyFilter, ApiKeyOrder,
        description=("Your API keys for this organization (a colleague's keys are never listed, "
                     "whatever your role)."),
    )

    invitations = connection(
        INVITATIONS_BY_ORGANIZATION, lazy("Invitation", __name__), InvitationFilter,
        InvitationOrder,
        description="Pending invitations (not accepted, revoked or expired); empty unless you "
                    "hold member:manage here.",
    )

    groups = connection(
        GROUPS_BY_ORGANIZATION, lazy("Group", __name__), GroupFilter, GroupOrder,
        description="Groups of this organization.",
    )

    object_permissions = connection(
        OBJECT_PERMISSIONS_BY_ORGANIZATION, lazy("ObjectPermissionGrant", __name__),
        ObjectPermissionFilter, ObjectPermissionOrder,
        description="Grants on single objects of this organization, to users or groups.",
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
    locale: str | None = strawberry.field(
        description="BCP 47 (`zh-CN`): the language of mails and analysis results; null: the "
                    "organization's.")
    avatar_file_id: strawberry.Private[uuid.UUID | None]
    settings: strawberry.Private[Any]

    avatar_file = to_one(lazy("File", DATASETS), "avatar_file_id",
                         description="The avatar, if you may read that file.")

    @strawberry.field(description="Your own preferences (a JSON object); null on anyone "
                                   "else's account.")
    def preferences(self, info: Info) -> JSON | None:
        return self.settings if info.context.principal.user_id == self.id else None

    sessions = connection(
        SESSIONS_BY_USER, lazy("UserSession", __name__), UserSessionFilter, UserSessionOrder,
        description="Live login sessions, newest first; only your own are ever listed "
                    "(`viewer { sessions }`).",
    )

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

    @strawberry.field(description="Codenames granted to this member directly "
                                   "(grantUserPermission), on top of the role.")
    async def permissions(self, info: Info) -> list[str]:
        return await info.context.loaders.batch(codenames_by_membership).load(self.id)


@strawberry.type(description="A key for scripts and training jobs: `Authorization: Bearer "
                             "aip_<prefix>_<secret>`. Acts for its owner in one organization, "
                             "limited to its scopes.")
class ApiKey(TableNode):
    _table = "api_keys"

    id: relay.NodeID[uuid.UUID]
    name: str
    prefix: str = strawberry.field(description="The visible start of the key, `aip_<prefix>_`.")
    scopes: list[str] = strawberry.field(description="Permission codenames the key may use; "
                                                     "empty means read-only.")
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None = strawberry.field(
        description="Updated at most once a minute.")
    revoked_at: datetime | None
    organization_id: strawberry.Private[uuid.UUID]
    user_id: strawberry.Private[uuid.UUID]

    organization = to_one(Organization, "organization_id")



@strawberry.type(description="A named set of people in one organization, with extra "
                             "permissions for its members.")
class Group(TableNode):
    _table = "groups"

    id: relay.NodeID[uuid.UUID]
    name: str
    description: str | None
    created_at: datetime
    updated_at: datetime
    organization_id: strawberry.Private[uuid.UUID]

    organization = to_one(Organization, "organization_id")

    members = connection(
        MEMBERS_BY_GROUP, User, UserFilter, UserOrder,
        description="The users in this group.",
    )

    @strawberry.field(description="Codenames the group adds to its members' roles.")
    async def permissions(self, info: Info) -> list[str]:
        return await info.context.loaders.batch(codenames_by_group).load(self.id)


@strawberry.type(description="One permission on one object, for a user or a group.")
class ObjectPermissionGrant(TableNode):
    _table = "object_permissions"

    id: relay.NodeID[uuid.UUID]
    created_at: datetime
    organization_id: strawberry.Private[uuid.UUID]
    permission_id: strawberry.Private[uuid.UUID]
    resource_type: strawberry.Private[str]
    resource_id: strawberry.Private[uuid.UUID]
    user_id: strawberry.Private[uuid.UUID | None]
    group_id: strawberry.Private[uuid.UUID | None]

    user = to_one(User, "user_id")

    group = to_one(Group, "group_id")

    @strawberry.field(description="The codename granted.")
    async def permission(self, info: Info) -> str:
        return await info.context.loaders.batch(codename_by_permission).load(
            self.permission_id)

    @strawberry.field(description="Global ID of the object.")
    def object_id(self) -> strawberry.ID:
        name = next(n for n, t in node_types().items() if t._table == self.resource_type)
        return strawberry.ID(relay.to_base64(name, self.resource_id))



@strawberry.type(description="One of your logins: a device or browser holding tokens.")
class UserSession(TableNode):
    _table = "user_sessions"

    id: relay.NodeID[uuid.UUID]
    created_at: datetime
    last_used_at: datetime = strawberry.field(description="When its tokens were last issued "
                                                          "(log in or refresh).")
    ip_address: str | None
    user_agent: str | None
    expires_at: datetime

    @strawberry.field(description="Whether this is the session making this request.")
    def current(self, info: Info) -> bool:
        return info.context.principal.session_id == self.id


@strawberry.type(description="An email invited into an organization, pending until accepted "
                             "(acceptInvitation), revoked or expired.")
class Invitation(TableNode):
    _table = "invitations"

    id: relay.NodeID[uuid.UUID]
    email: str
    role: MembershipRole
    created_at: datetime
    expires_at: datetime
    organization_id: strawberry.Private[uuid.UUID]
    invited_by: strawberry.Private[uuid.UUID | None]

    organization = to_one(Organization, "organization_id")

    inviter = to_one(User, "invited_by", description="Who invited, while the account exists.")


@strawberry.type(description="A mail of the outbox, with its links (and so their tokens): "
                             "platform-level, superusers only.")
class OutboxMail(TableNode):
    _table = "mail_outbox"

    id: relay.NodeID[uuid.UUID]
    kind: MailKind
    to_address: str
    language: str = strawberry.field(description="`en` or `zh`.")
    subject: str
    text_body: str
    html_body: str
    status: MailStatus
    attempts: int
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
