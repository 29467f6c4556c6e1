"""One organization holding a row of every node type, for the isolation matrix.

`build_world` must create an object of every type `node_types()` knows: the matrix fails for a
type it cannot find here, so a new type cannot be added without being covered.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    ApiKey,
    Group,
    Invitation,
    ModelAlertThreshold,
    ModelUsageLog,
    ObjectPermission,
    OutboxMail,
    PerformanceMetric,
    UserSession,
)
from resolvers.identity.groups import permission_ids
from services.security.api_keys import generate_api_key
from tests.factories.ai_models import make_model, make_model_version
from tests.factories.analysis import make_analysis_job, make_analysis_result
from tests.factories.chat import make_chat_session, make_messages
from tests.factories.datasets import (
    make_data_source,
    make_dataset,
    make_dataset_version,
    make_file,
    make_processing_task,
)
from tests.factories.deployments import make_application, make_component, make_deployment
from tests.factories.experiments import make_experiment, make_metrics, make_project, make_run
from tests.factories.identity import make_membership, make_organization, make_user
from tests.factories.knowledge import make_collection, make_document, make_rag_query
from tests.factories.system import (
    make_audit_log,
    make_notification,
    make_system_log,
    make_system_setting,
)


def global_id(type_name: str, key: object) -> str:
    return base64.b64encode(f"{type_name}:{key}".encode()).decode()


@dataclass
class World:
    name: str
    organization: Any
    owner: Any
    viewer: Any
    objects: dict[str, Any] = field(default_factory=dict)  # GraphQL type name -> ORM row

    def gid(self, type_name: str) -> str:
        return global_id(type_name, self.objects[type_name].id)

    @property
    def global_ids(self) -> set[str]:
        return {self.gid(t) for t in self.objects}


async def build_world(session: AsyncSession, name: str) -> World:
    org = await make_organization(session, name=f"Org {name}", slug=f"org-{name}")
    owner = await make_user(session, username=f"{name}-owner")
    viewer = await make_user(session, username=f"{name}-viewer")
    owner_membership = await make_membership(session, organization=org, user=owner, role="owner")
    await make_membership(session, organization=org, user=viewer, role="viewer")
    w = World(name, org, owner, viewer)
    o = w.objects
    o["Organization"], o["User"], o["Membership"] = org, owner, owner_membership
    o["AiModel"] = model = await make_model(session, organization=org, name=f"{name}-model",
                                            config={"api_key": "sk-secret"})
    o["ModelVersion"] = version = await make_model_version(session, model=model, version="v1")
    o["ChatSession"] = chat = await make_chat_session(session, user=owner, model=model)
    o["ChatMessage"] = (await make_messages(session, chat=chat, count=1))[0]
    o["DataSource"] = source = await make_data_source(session, organization=org)
    o["Dataset"] = dataset = await make_dataset(session, organization=org, source=source)
    o["File"] = file = await make_file(session, organization=org)
    o["DatasetVersion"] = version_1 = await make_dataset_version(session, dataset=dataset,
                                                                 file=file)
    o["DataProcessingTask"] = task = await make_processing_task(
        session, source_dataset=dataset, source_version=version_1)
    # a version the task wrote, so lineage relations lead somewhere
    written = await make_dataset_version(session, dataset=dataset, file=file)
    written.parent_version_id, written.processing_task_id = version_1.id, task.id
    o["Project"] = project = await make_project(session, organization=org)
    o["Experiment"] = experiment = await make_experiment(session, project=project)
    o["Run"] = run = await make_run(session, experiment=experiment, dataset=dataset,
                                    base_model_version=version)
    o["RunMetric"] = (await make_metrics(session, run=run, steps=[1]))[0]
    o["Deployment"] = deployment = await make_deployment(session, model_version=version)
    o["Application"] = application = await make_application(session, organization=org)
    o["ApplicationComponent"] = await make_component(session, application=application,
                                                     component_id=deployment.id)
    o["KnowledgeCollection"] = collection = await make_collection(session, organization=org)
    o["KnowledgeDocument"] = await make_document(session, collection=collection, file=file)
    o["RagQuery"] = await make_rag_query(session, collection=collection, user=owner)
    o["AnalysisJob"] = job = await make_analysis_job(session, organization=org, file=file)
    o["AnalysisResult"] = await make_analysis_result(session, job=job)
    o["AuditLog"] = await make_audit_log(session, organization=org, user=owner)
    o["Notification"] = await make_notification(session, user=owner, organization=org)
    # platform rows (no organization): a non-public setting and a log line, superusers only
    o["SystemSetting"] = await make_system_setting(session, key=f"{name}-setting")
    o["SystemLog"] = await make_system_log(session, user=owner, message=f"{name} failed")
    usage = ModelUsageLog(organization_id=org.id, user_id=owner.id, model_id=model.id,
                          request_type="chat", status="success")
    metric = PerformanceMetric(organization_id=org.id, model_id=model.id, metric_name="latency",
                               metric_value=12.5, recorded_at=datetime.now(UTC))
    threshold = ModelAlertThreshold(organization_id=org.id, model_id=model.id,
                                    metric_name="requests", direction="above", value=100)
    _, prefix, key_hash = generate_api_key()
    api_key = ApiKey(organization_id=org.id, user_id=owner.id, name=f"{name}-key",
                     prefix=prefix, key_hash=key_hash, scopes=["model:write"])
    group = Group(organization_id=org.id, name=f"{name}-group")
    invitation = Invitation(organization_id=org.id, email=f"{name}-invited@example.com",
                            role="member", token_hash=f"{name}-invitation",
                            expires_at=datetime.now(UTC) + timedelta(days=7))
    login = UserSession(user_id=owner.id, token_hash=f"{name}-session",
                        expires_at=datetime.now(UTC) + timedelta(days=1))
    # a platform row: only a superuser reads the outbox
    mail = OutboxMail(kind="invitation", to_address=invitation.email, language="en",
                      subject=f"{name} invitation", text_body="link", html_body="<p>link</p>")
    session.add_all([usage, metric, threshold, api_key, group, invitation, login, mail])
    await session.flush()
    permission = (await permission_ids(session, ["dataset:write"]))["dataset:write"]
    grant = ObjectPermission(organization_id=org.id, permission_id=permission,
                             group_id=group.id, resource_type="datasets",
                             resource_id=dataset.id)
    session.add(grant)
    await session.flush()
    o["ObjectPermissionGrant"] = grant
    o["ModelUsageLog"], o["PerformanceMetric"], o["ApiKey"] = usage, metric, api_key
    o["Group"], o["Invitation"], o["UserSession"] = group, invitation, login
    o["OutboxMail"] = mail
    o["ModelAlertThreshold"] = threshold
    return w

