"""Filter, order and mutation inputs of the deployments domain."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry
from strawberry import Maybe
from strawberry.scalars import JSON

from graphql_schema.deployments.enums import ApplicationStatus, DeploymentStatus
from graphql_schema.relay import OrderDirection


@strawberry.input(description="Deployments matching all given conditions.")
class DeploymentFilter:
    organization_id: strawberry.ID | None = None
    model_version_id: strawberry.ID | None = None
    application_id: strawberry.ID | None = None
    status: DeploymentStatus | None = None
    status_in: list[DeploymentStatus] | None = None
    environment: str | None = None
    environment_in: list[str] | None = None
    name_contains: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None


@strawberry.enum
class DeploymentOrderField(Enum):
    ID = ("id",)
    NAME = ("name", "id")
    CREATED_AT = ("created_at", "id")


@strawberry.input
class DeploymentOrder:
    field: DeploymentOrderField
    direction: OrderDirection = OrderDirection.ASC


@strawberry.input(description="Applications matching all given conditions.")
class ApplicationFilter:
    organization_id: strawberry.ID | None = None
    status: ApplicationStatus | None = None
    status_in: list[ApplicationStatus] | None = None
    application_type: str | None = None
    name_contains: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None


@strawberry.enum
class ApplicationOrderField(Enum):
    ID = ("id",)
    NAME = ("name", "id")
    CREATED_AT = ("created_at", "id")


@strawberry.input
class ApplicationOrder:
    field: ApplicationOrderField
    direction: OrderDirection = OrderDirection.ASC


@strawberry.input(description="Application components matching all given conditions.")
class ApplicationComponentFilter:
    component_type: str | None = None
    component_type_in: list[str] | None = None
    name_contains: str | None = None


@strawberry.enum
class ApplicationComponentOrderField(Enum):
    ORDER_INDEX = ("order_index", "id")
    CREATED_AT = ("created_at", "id")


@strawberry.input
class ApplicationComponentOrder:
    field: ApplicationComponentOrderField
    direction: OrderDirection = OrderDirection.ASC


# -- mutation inputs ---------------------------------------------------------------------------

ENVIRONMENT_HELP = "`dev`, `staging` or `production`."
RESOURCES_HELP = ('A JSON object with any of `cpu` (cores, a number > 0 or a quantity such as '
                  '"500m"), `memory` (a quantity such as "512Mi" or "4Gi") and `gpu` (an '
                  'integer ≥ 0).')
AUTOSCALING_HELP = ("A JSON object with any of `enabled` (boolean), `min_replicas` and "
                    "`max_replicas` (1 to 100, min ≤ max) and `target_cpu_utilization` "
                    "(1 to 100).")


@strawberry.input(description="Serve a model version; the deployment belongs to the version's "
                              "organization and starts `pending`. Needs deployment:manage.")
class CreateDeploymentInput:
    model_version_id: strawberry.ID
    name: str
    description: str | None = None
    environment: str = strawberry.field(default="dev", description=ENVIRONMENT_HELP)
    service_type: str = strawberry.field(
        default="builtin", description="The serving stack: builtin, torchserve, triton, "
                                       "custom... (a-z, 0-9, `_`, `-`).")
    replicas: int = strawberry.field(default=1, description="1 to 100.")
    resource_allocation: JSON = strawberry.field(default_factory=dict,
                                                 description=RESOURCES_HELP)
    autoscaling_config: JSON = strawberry.field(default_factory=dict,
                                                description=AUTOSCALING_HELP)
    traffic_percentage: float = strawberry.field(default=100.0, description="0 to 100.")
    configuration: JSON = strawberry.field(default_factory=dict,
                                           description="Serving settings (a JSON object).")
    endpoint_url: str | None = None
    version: str | None = None


@strawberry.input(description="Only the fields you pass change; `description: null` clears it. "
                              "Status and replicas have mutations of their own. Needs "
                              "deployment:manage.")
class UpdateDeploymentInput:
    id: strawberry.ID
    name: Maybe[str]
    description: Maybe[str | None]
    environment: Maybe[str] = strawberry.field(description=ENVIRONMENT_HELP)
    service_type: Maybe[str]
    resource_allocation: Maybe[JSON] = strawberry.field(description=RESOURCES_HELP)
    autoscaling_config: Maybe[JSON] = strawberry.field(description=AUTOSCALING_HELP)
    traffic_percentage: Maybe[float] = strawberry.field(description="0 to 100.")
    configuration: Maybe[JSON] = strawberry.field(description="Replaces the old settings.")
    endpoint_url: Maybe[str | None]
    version: Maybe[str | None]


@strawberry.input(description="pending → deploying → running → stopped, stopped → deploying, "
                              "and any status → failed; anything else is INVALID_TRANSITION. "
                              "Needs deployment:manage.")
class UpdateDeploymentStatusInput:
    deployment_id: strawberry.ID
    status: DeploymentStatus
    reason: str | None = strawberry.field(
        default=None, description="Why (kept in the audit trail; sent to the creator when the "
                                  "deployment failed).")


@strawberry.input(description="Set the number of replicas (1 to 100). Needs deployment:manage.")
class ScaleDeploymentInput:
    id: strawberry.ID
    replicas: int


@strawberry.input(description="Delete a deployment that is not `deploying` or `running`. Needs "
                              "deployment:manage.")
class DeleteDeploymentInput:
    id: strawberry.ID



@strawberry.input(description="One deployment's share of its name's traffic.")
class TrafficSplitInput:
    deployment_id: strawberry.ID
    percentage: float = strawberry.field(description="0 to 100.")


@strawberry.input(description="Set how requests to a deployment name in one environment split "
                              "between its deployments (a canary: 90 and 10), all at once. The "
                              "percentages must sum to 100; deployments of that name and "
                              "environment left out get 0. Needs deployment:manage.")
class ShiftTrafficInput:
    name: str
    environment: str = strawberry.field(description=ENVIRONMENT_HELP)
    splits: list[TrafficSplitInput]

# -- application mutation inputs ---------------------------------------------------------------

APPLICATION_STATUS_HELP = ("draft → published or archived, published → draft or archived, "
                           "archived → draft; anything else is INVALID_TRANSITION.")
COMPONENT_TYPE_HELP = ("What the component is: `deployment`, `model_version`, `dataset` or "
                       "`knowledge_collection` (then `componentId` names a row of the same "
                       "organization), or another word such as `prompt` (then no "
                       "`componentId`).")


@strawberry.input(description="A new application (status `draft`). Needs deployment:manage.")
class CreateApplicationInput:
    organization_id: strawberry.ID
    name: str
    description: str | None = None
    application_type: str = strawberry.field(default="api", description="api, chatbot, "
                                             "workflow... (a-z, 0-9 and `_`).")
    configuration: JSON | None = strawberry.field(default=None,
                                                  description="Settings (a JSON object).")
    version: str = "1.0"
    tags: list[str] | None = None


@strawberry.input(description="Only the fields you pass change; `description: null` clears it. "
                              "Needs deployment:manage.")
class UpdateApplicationInput:
    id: strawberry.ID
    name: Maybe[str]
    description: Maybe[str | None]
    application_type: Maybe[str]
    status: Maybe[ApplicationStatus] = strawberry.field(description=APPLICATION_STATUS_HELP)
    configuration: Maybe[JSON] = strawberry.field(description="Replaces the old settings.")
    version: Maybe[str]
    tags: Maybe[list[str]]


@strawberry.input(description="Delete an application and its components; it must have no "
                              "deployments. Needs deployment:manage.")
class DeleteApplicationInput:
    id: strawberry.ID


@strawberry.input(description="Add a building block to an application. Needs "
                              "deployment:manage.")
class AddApplicationComponentInput:
    application_id: strawberry.ID
    component_type: str = strawberry.field(description=COMPONENT_TYPE_HELP)
    component_id: strawberry.ID | None = None
    name: str | None = None
    configuration: JSON | None = strawberry.field(default=None,
                                                  description="Settings (a JSON object).")
    order_index: int | None = strawberry.field(
        default=None, description="Position (0 to 10000); by default after the last one.")


@strawberry.input(description="Remove a building block from its application. Needs "
                              "deployment:manage.")
class RemoveApplicationComponentInput:
    id: strawberry.ID
