"""Root fields of the deployments domain (wiring only; logic lives in resolvers/deployments)."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from db.loaders.deployments import APPLICATIONS, DEPLOYMENTS
from graphql_schema.context import Info
from graphql_schema.deployments.events import DeploymentStatusChanged
from graphql_schema.deployments.inputs import (
    AddApplicationComponentInput,
    ApplicationFilter,
    ApplicationOrder,
    CreateApplicationInput,
    CreateDeploymentInput,
    DeleteApplicationInput,
    DeleteDeploymentInput,
    DeploymentFilter,
    DeploymentOrder,
    RemoveApplicationComponentInput,
    ScaleDeploymentInput,
    ShiftTrafficInput,
    UpdateApplicationInput,
    UpdateDeploymentInput,
    UpdateDeploymentStatusInput,
)
from graphql_schema.deployments.payloads import (
    AddApplicationComponentPayload,
    CreateApplicationPayload,
    CreateDeploymentPayload,
    DeleteApplicationPayload,
    DeleteDeploymentPayload,
    RemoveApplicationComponentPayload,
    ScaleDeploymentPayload,
    ShiftTrafficPayload,
    UpdateApplicationPayload,
    UpdateDeploymentPayload,
    UpdateDeploymentStatusPayload,
)
from graphql_schema.deployments.types import Application, Deployment
from graphql_schema.relations import connection
from resolvers.deployments import (
    applications,
    components,
    mutations,
    status,
    subscriptions,
    traffic,
)


@strawberry.type
class DeploymentsQuery:
    deployments = connection(
        DEPLOYMENTS, Deployment, DeploymentFilter, DeploymentOrder,
        description="Deployments of the organizations you may see.",
    )

    applications = connection(
        APPLICATIONS, Application, ApplicationFilter, ApplicationOrder,
        description="Applications of the organizations you may see.",
    )


@strawberry.type
class DeploymentsMutation:
    @strawberry.mutation(description="Deploy a model version (status `pending`).")
    async def create_deployment(self, info: Info, input: CreateDeploymentInput
                                ) -> CreateDeploymentPayload:
        return await mutations.create_deployment(info, input)

    @strawberry.mutation(description="Change a deployment's settings.")
    async def update_deployment(self, info: Info, input: UpdateDeploymentInput
                                ) -> UpdateDeploymentPayload:
        return await mutations.update_deployment(info, input)

    @strawberry.mutation(description="Move a deployment through its status machine; "
                                     "deploymentStatus subscribers see the change.")
    async def update_deployment_status(self, info: Info, input: UpdateDeploymentStatusInput
                                       ) -> UpdateDeploymentStatusPayload:
        return await status.update_deployment_status(info, input)

    @strawberry.mutation(description="Set a deployment's number of replicas.")
    async def scale_deployment(self, info: Info, input: ScaleDeploymentInput
                               ) -> ScaleDeploymentPayload:
        return await mutations.scale_deployment(info, input)

    @strawberry.mutation(description="Split a deployment name's requests between its "
                                     "deployments in one environment (a canary), atomically.")
    async def shift_traffic(self, info: Info, input: ShiftTrafficInput) -> ShiftTrafficPayload:
        return await traffic.shift_traffic(info, input)

    @strawberry.mutation(description="Delete a deployment that is not deploying or running.")
    async def delete_deployment(self, info: Info, input: DeleteDeploymentInput
                                ) -> DeleteDeploymentPayload:
        return await mutations.delete_deployment(info, input)


@strawberry.type
class ApplicationsMutation:
    @strawberry.mutation(description="Create an application (status `draft`).")
    async def create_application(self, info: Info, input: CreateApplicationInput
                                 ) -> CreateApplicationPayload:
        return await applications.create_application(info, input)

    @strawberry.mutation(description="Change an application's settings or status.")
    async def update_application(self, info: Info, input: UpdateApplicationInput
                                 ) -> UpdateApplicationPayload:
        return await applications.update_application(info, input)

    @strawberry.mutation(description="Delete an application that has no deployments.")
    async def delete_application(self, info: Info, input: DeleteApplicationInput
                                 ) -> DeleteApplicationPayload:
        return await applications.delete_application(info, input)

    @strawberry.mutation(description="Add a building block to an application.")
    async def add_application_component(self, info: Info, input: AddApplicationComponentInput
                                        ) -> AddApplicationComponentPayload:
        return await components.add_application_component(info, input)

    @strawberry.mutation(description="Remove a building block from its application.")
    async def remove_application_component(
        self, info: Info, input: RemoveApplicationComponentInput
    ) -> RemoveApplicationComponentPayload:
        return await components.remove_application_component(info, input)


@strawberry.type
class DeploymentsSubscription:
    deployment_status: AsyncGenerator[DeploymentStatusChanged, None] = strawberry.subscription(
        resolver=subscriptions.deployment_status,
        description="A deployment's status as it is, then its changes as they are committed. "
                    "Ends when the deployment is deleted.")
