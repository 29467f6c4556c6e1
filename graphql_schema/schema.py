"""The schema: every domain's root merged, with limits, caches and error handling on."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache

import strawberry
from graphql import ASTValidationRule, DocumentNode, GraphQLError, parse
from strawberry.extensions import (
    DisableIntrospection,
    MaxAliasesLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.schema import validate_document
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from graphql_schema.ai_models.schema import AiModelsMutation, AiModelsQuery
from graphql_schema.analysis.schema import AnalysisMutation, AnalysisQuery
from graphql_schema.chat.schema import ChatMutation, ChatQuery, ChatSubscription
from graphql_schema.datasets.files import FilesMutation
from graphql_schema.datasets.schema import (
    DataProcessingTasksMutation,
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
from graphql_schema.extensions import ErrorCodes, is_expected
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
from graphql_schema.planner.extension import PlannerExtension, QueryPlanner
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
                                             KnowledgeSubscription))


class Schema(strawberry.Schema):
    planner: QueryPlanner | None = None  # set when AIPLATFORM_PLANNER is on

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Log crashes with their traceback; errors raised on purpose are the client's."""
        for error in errors:
            if not is_expected(error):
                log.error("unexpected error at %s", error.path, exc_info=error.original_error)


class Documents(SchemaExtension):
    """Parsing and validation through the schema's LRU caches, with the document limits
    (tokens, depth, aliases): what strawberry's ParserCache, ValidationCache,
    MaxTokensLimiter, QueryDepthLimiter and MaxAliasesLimiter do, in one extension, because
    strawberry dispatches the hooks of every extension on every request (five of them cost
    ≈ 50 µs of each request, measured with bench/profile_request.py)."""

    def __init__(self, caches: DocumentCaches) -> None:
        self.caches = caches

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        context.graphql_document = self.caches.parse(
            context.query, **context.parse_options, max_tokens=self.caches.max_tokens)
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        context.pre_execution_errors = self.caches.validate(
            context.schema._schema, context.graphql_document,
            (*context.validation_rules, *self.caches.rules))
        yield


@dataclass(eq=False)
class DocumentCaches:
    """Shared by all requests of a schema. The validation cache is keyed by the rule classes,
    so the limits' validators are built once here, not per request."""

    max_tokens: int
    rules: tuple[type[ASTValidationRule], ...]
    parse: Callable[..., DocumentNode]
    validate: Callable[..., list[GraphQLError]]

    @classmethod
    def of(cls, settings: Settings, maxsize: int = 1024) -> DocumentCaches:
        rules = (*QueryDepthLimiter(max_depth=settings.max_depth).validation_rules,
                 *MaxAliasesLimiter(max_alias_count=settings.max_aliases).validation_rules)
        return cls(settings.max_tokens, rules, lru_cache(maxsize=maxsize)(parse),
                   lru_cache(maxsize=maxsize)(validate_document))


def build_schema(settings: Settings) -> strawberry.Schema:
    caches = DocumentCaches.of(settings)
    extensions: list[Callable[[], SchemaExtension]] = [
        lambda: ErrorCodes(mask=settings.mask_errors),
        lambda: Documents(caches),
    ]
    if not settings.introspection:
        extensions.append(DisableIntrospection)
    planner = QueryPlanner() if settings.planner else None
    if planner is not None:
        extensions.append(lambda: PlannerExtension(planner))
    schema = Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=list(node_types().values()),  # every node is reachable through node(id:)
        extensions=extensions,
        config=StrawberryConfig(relay_max_results=settings.max_page_size, scalar_map=SCALAR_MAP),
    )
    schema.planner = planner
    return schema
