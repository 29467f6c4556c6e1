"""Every table's model. Importing this package registers all tables on `Base.metadata`,
which alembic's autogenerate and `check` compare against the database."""

from db.base import Base
from db.models.accounts import Invitation, PasswordReset
from db.models.ai_models import (
    AIModel,
    ModelAlertThreshold,
    ModelUsageLog,
    ModelVersion,
    PerformanceMetric,
)
from db.models.analysis import AnalysisJob, AnalysisResult
from db.models.chat import ChatMessage, ChatPendingReply, ChatSession
from db.models.datasets import DataProcessingTask, Dataset, DatasetVersion, DataSource, File
from db.models.deployments import Application, ApplicationComponent, Deployment
from db.models.experiments import Experiment, Project, Run, RunMetric
from db.models.identity import (
    ApiKey,
    Group,
    GroupMember,
    GroupPermission,
    Membership,
    ObjectPermission,
    Organization,
    Permission,
    User,
    UserIdentity,
    UserPermission,
    UserSession,
)
from db.models.knowledge import KnowledgeCollection, KnowledgeDocument, RagQuery
from db.models.mail import OutboxMail
from db.models.system import AuditLog, Notification, SystemLog, SystemSetting

__all__ = [
    "AIModel",
    "AnalysisJob",
    "AnalysisResult",
    "ApiKey",
    "Application",
    "ApplicationComponent",
    "AuditLog",
    "Base",
    "ChatMessage",
    "ChatPendingReply",
    "ChatSession",
    "DataProcessingTask",
    "DataSource",
    "Dataset",
    "DatasetVersion",
    "Deployment",
    "Experiment",
    "File",
    "Group",
    "GroupMember",
    "GroupPermission",
    "Invitation",
    "KnowledgeCollection",
    "KnowledgeDocument",
    "Membership",
    "ModelAlertThreshold",
    "ModelUsageLog",
    "ModelVersion",
    "Notification",
    "ObjectPermission",
    "Organization",
    "OutboxMail",
    "PasswordReset",
    "PerformanceMetric",
    "Permission",
    "Project",
    "RagQuery",
    "Run",
    "RunMetric",
    "SystemLog",
    "SystemSetting",
    "User",
    "UserIdentity",
    "UserPermission",
    "UserSession",
]
