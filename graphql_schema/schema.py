"""The schema: every domain's root merged, with limits, caches and error handling on."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

import strawberry
from graphql import GraphQLError
from strawberry.extensions import DisableIntrospection, SchemaExtension
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from graphql_schema.ai_models.schema import AiModelsMutation, AiModelsQuery
from graphql_schema.analysis.schema import (
    AnalysisMutation,
    AnalysisQuery,
    AnalysisSubscription,
)
from graphql_schema.chat.schema import ChatMutation, ChatQuery, ChatSubscription
from graphql_schema.datasets.files import FilesMutation
from graphql_schema.datasets.schema import (
    DataProcessingTasksMutation,
    DataProcessingTasksSubscription,
    DatasetsMutation,
    DatasetsQuery,
)
from graphql_schema.deployments.schema import (
    ApplicationsMutation,
    DeploymentsMutation,
    DeploymentsQuery,
    DeploymentsSubscription,
)
from graphql_schema.experiments.schema import (
    ExperimentsMutation,
    ExperimentsQuery,
    ExperimentsSubscription,
)
from graphql_schema.extensions import (
    DocumentCaches,
    Documents,
    ErrorCodes,
    OperationObserver,
    is_expected,
    outage,
)
from graphql_schema.identity.schema import (
    AccountsMutation,
    ApiKeysMutation,
    GroupsMutation,
    IdentityQuery,
    OrganizationsMutation,
)
from graphql_schema.knowledge.schema import (
    KnowledgeMutation,
    KnowledgeQuery,
    KnowledgeSubscription,
)
from graphql_schema.node import NodeQuery, node_types
from graphql_schema.planner.door import QueryPlanner
from graphql_schema.planner.extension import PlannerExtension
from graphql_schema.scalars import SCALAR_MAP
from graphql_schema.search.schema import SearchQuery
from graphql_schema.system.schema import SystemMutation, SystemQuery, SystemSubscription
from services.settings import Settings

log = logging.getLogger("aiplatform.graphql")

Query = merge_types("Query", (
    NodeQuery, IdentityQuery, AiModelsQuery, ChatQuery, DeploymentsQuery, KnowledgeQuery,
    AnalysisQuery, DatasetsQuery, ExperimentsQuery, SearchQuery, SystemQuery,
))
Mutation = merge_types("Mutation", (
    AccountsMutation, ApiKeysMutation, OrganizationsMutation, GroupsMutation,
    DeploymentsMutation, SystemMutation, ChatMutation, ExperimentsMutation,
    AiModelsMutation, DatasetsMutation, ApplicationsMutation, AnalysisMutation,
    FilesMutation, KnowledgeMutation, DataProcessingTasksMutation,
))
Subscription = merge_types("Subscription", (DeploymentsSubscription, SystemSubscription,
                                             ChatSubscription, ExperimentsSubscription,
                                             KnowledgeSubscription, AnalysisSubscription,
                                             DataProcessingTasksSubscription))


class Schema(strawberry.Schema):
    planner: QueryPlanner | None = None  # set when AIPLATFORM_PLANNER is on

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Log crashes with their traceback, outages as one line; errors raised on purpose
        are the client's."""
        for error in errors:
            if is_expected(error):
                continue
            down = outage(error)
            if down is not None:
                log.warning("%s at %s", down, error.path)
            else:
                log.error("unexpected error at %s", error.path, exc_info=error.original_error)


def build_schema(settings: Settings,
                 extensions: Sequence[Callable[[], SchemaExtension]] = ()) -> strawberry.Schema:
    """The schema; `extensions`: more, run after ours (one that a plan does not reproduce turns
    the planner's known-query shortcut off, see graphql_schema/planner/door.py)."""
    caches = DocumentCaches.of(settings)
    ours: list[Callable[[], SchemaExtension]] = [
        lambda: ErrorCodes(mask=settings.mask_errors),
        lambda: Documents(caches),
        OperationObserver,
    ]
    if not settings.introspection:
        ours.append(DisableIntrospection)
    planner = QueryPlanner() if settings.planner else None
    if planner is not None:
        ours.append(lambda: PlannerExtension(planner))
    schema = Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=list(node_types().values()),  # every node is reachable through node(id:)
        extensions=[*ours, *extensions],
        config=StrawberryConfig(relay_max_results=settings.max_page_size, scalar_map=SCALAR_MAP),
    )
    schema.planner = planner
    return schema
