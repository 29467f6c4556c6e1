"""Filter, order and mutation inputs of the AI-models domain."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry
from strawberry import Maybe
from strawberry.scalars import JSON

from db.loaders.performance import METRIC_NAMES
from graphql_schema.ai_models.enums import AiModelStatus, ModelVersionStatus
from graphql_schema.relay import OrderDirection
from graphql_schema.scalars import BigInt


@strawberry.input(description="Models matching all given conditions.")
class AiModelFilter:
    organization_id: strawberry.ID | None = None
    name_contains: str | None = None
    provider: str | None = None
    provider_in: list[str] | None = None
    model_type: str | None = None
    status: AiModelStatus | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None


@strawberry.enum
class AiModelOrderField(Enum):
    ID = ("id",)
    NAME = ("name", "id")
    CREATED_AT = ("created_at", "id")


@strawberry.input
class AiModelOrder:
    field: AiModelOrderField
    direction: OrderDirection = OrderDirection.ASC


@strawberry.input(description="Model versions matching all given conditions.")
class ModelVersionFilter:
    status: ModelVersionStatus | None = None
    status_in: list[ModelVersionStatus] | None = None
    is_default: bool | None = None
    created_after: datetime | None = None


@strawberry.enum
class ModelVersionOrderField(Enum):
    ID = ("id",)
    VERSION = ("version", "id")
    CREATED_AT = ("created_at", "id")


@strawberry.input
class ModelVersionOrder:
    field: ModelVersionOrderField
    direction: OrderDirection = OrderDirection.ASC


# -- mutation inputs -------------------------------------------------------------------------

PROVIDER_HELP = "One of: local, openai, openai_compatible, anthropic, huggingface, custom."
MODEL_TYPE_HELP = ("One of: chat, completion, embedding, vision, image, audio, rerank, "
                   "classification, regression, time_series, custom.")
CONFIG_HELP = ("Provider settings, a JSON object. openai_compatible needs `base_url` (an http(s) "
               "URL); `api_key` (a string) is stored but read back as `***`; sending `***` back "
               "keeps the stored key. Replaces the whole object.")
PRICING_HELP = ("`{input_per_1k, output_per_1k}`: prices per 1,000 tokens, numbers ≥ 0, with an "
                "optional 3-letter `currency`; `{}` for none.")
ARTEFACT_HELP = "Can change only while the version is a draft."


@strawberry.input(description="A new model of an organization. Needs model:write there.")
class CreateModelInput:
    organization_id: strawberry.ID
    name: str = strawberry.field(description="1 to 200 characters, unique in the organization.")
    provider: str = strawberry.field(description=PROVIDER_HELP)
    model_type: str = strawberry.field(description=MODEL_TYPE_HELP)
    framework: str | None = None
    version: str | None = None
    description: str | None = None
    config: JSON | None = strawberry.field(default=None, description=CONFIG_HELP)
    pricing: JSON | None = strawberry.field(default=None, description=PRICING_HELP)
    capabilities: list[str] | None = None
    status: AiModelStatus = AiModelStatus.ACTIVE
    max_tokens: int | None = strawberry.field(default=None, description="1 to 10,000,000, and "
                                              "at most contextWindow.")
    context_window: int | None = strawberry.field(default=None, description="1 to 100,000,000.")
    tags: list[str] | None = None


@strawberry.input(description="Only the fields you pass change; an explicit null clears a "
                              "nullable one. Needs model:write.")
class UpdateModelInput:
    id: strawberry.ID
    name: Maybe[str]
    provider: Maybe[str] = strawberry.field(description=PROVIDER_HELP)
    model_type: Maybe[str] = strawberry.field(description=MODEL_TYPE_HELP)
    framework: Maybe[str | None]
    version: Maybe[str | None]
    description: Maybe[str | None]
    config: Maybe[JSON] = strawberry.field(description=CONFIG_HELP)
    pricing: Maybe[JSON] = strawberry.field(description=PRICING_HELP)
    capabilities: Maybe[list[str]]
    status: Maybe[AiModelStatus]
    max_tokens: Maybe[int | None]
    context_window: Maybe[int | None]
    tags: Maybe[list[str]]


@strawberry.input(description="Soft-deletes a model: it disappears from reads. Refused while a "
                              "version of it is deployed. Needs model:write.")
class DeleteModelInput:
    id: strawberry.ID


@strawberry.input(description="A new draft version of a model. Needs model:write.")
class CreateModelVersionInput:
    model_id: strawberry.ID
    version: str = strawberry.field(description="1 to 50 of letters, digits and `._+-`, unique "
                                                "per model.")
    description: str | None = None
    storage_location: str | None = None
    metrics: JSON | None = None
    parameters: JSON | None = None
    size_bytes: BigInt | None = None
    artifacts: JSON | None = None
    source_run_id: strawberry.ID | None = strawberry.field(
        default=None, description="The training run that produced it (same organization).")
    file_id: strawberry.ID | None = strawberry.field(
        default=None, description="A stored file holding its weights (same organization).")


@strawberry.input(description="Only the fields you pass change. Status changes go through "
                              "promoteModelVersion. Needs model:write.")
class UpdateModelVersionInput:
    id: strawberry.ID
    description: Maybe[str | None]
    metrics: Maybe[JSON]
    parameters: Maybe[JSON]
    storage_location: Maybe[str | None] = strawberry.field(description=ARTEFACT_HELP)
    size_bytes: Maybe[BigInt | None] = strawberry.field(description=ARTEFACT_HELP)
    artifacts: Maybe[JSON] = strawberry.field(description=ARTEFACT_HELP)
    file_id: Maybe[strawberry.ID | None] = strawberry.field(description=ARTEFACT_HELP)


@strawberry.enum(description="Where promoteModelVersion moves a version.")
class PromotionTarget(Enum):
    STAGING = "staging"
    PRODUCTION = "production"
    ARCHIVED = "archived"


@strawberry.input(description="draft → staging → production; any but an archived version → "
                              "archived. A new production version archives the model's previous "
                              "one and becomes its default. Needs model:write.")
class PromoteModelVersionInput:
    id: strawberry.ID
    to: PromotionTarget


@strawberry.input(description=(
    f"Notify the model's owner when a minute's value of `metricName` (one of "
    f"{', '.join(METRIC_NAMES)}) goes above `above` or below `below`: give exactly one. "
    "Setting the same metric and direction again replaces its value. Needs model:write."))
class SetModelAlertThresholdInput:
    model_id: strawberry.ID
    metric_name: str
    above: float | None = None
    below: float | None = None


@strawberry.input(description="Remove an alert threshold. Needs model:write.")
class RemoveModelAlertThresholdInput:
    id: strawberry.ID
