"""What a gateway call costs its organization: the monthly token budget checked before the
call, and the `model_usage_logs` row written after it (tokens, cost, latency, status, the
deployment, its model version and the API key), whatever the outcome.

The budget is `Organization.settings.monthlyTokenBudget` (tokens per calendar month, UTC),
counted over every usage row of the organization that month, chat replies included. A call
that starts under the budget finishes even if it ends above it; the next one is refused.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from db.models import ModelUsageLog
from db.session import Database
from services.gateway.targets import Target
from services.metrics import observe_gateway_tokens

BUDGET_KEY = "monthlyTokenBudget"
BUDGET_SQL = """
SELECT o.settings -> 'monthlyTokenBudget',
       CASE WHEN jsonb_typeof(o.settings -> 'monthlyTokenBudget') = 'number' THEN
         (SELECT coalesce(sum(u.total_tokens), 0) FROM model_usage_logs u
          WHERE u.organization_id = o.id
            AND u.created_at >= date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC')
       END
FROM organizations o WHERE o.id = $1"""


@dataclass(frozen=True, slots=True)
class Budget:
    limit: int
    used: int

    @property
    def exhausted(self) -> bool:
        return self.used >= self.limit


async def monthly_budget(db: Database, organization_id: uuid.UUID) -> Budget | None:
    """The organization's budget and this month's tokens; None when it sets no budget."""
    rows = await db.fetch(BUDGET_SQL, organization_id)
    if not rows:
        return None
    limit, used = rows[0]
    if not isinstance(limit, (int, float)) or isinstance(limit, bool):
        return None
    return Budget(int(limit), int(used or 0))


def seconds_to_next_month(now: datetime | None = None) -> int:
    """When a budget refusal ends: the first second of next month (UTC)."""
    now = now or datetime.now(UTC)
    year, month = (now.year + 1, 1) if now.month == 12 else (now.year, now.month + 1)
    return max(1, int((datetime(year, month, 1, tzinfo=UTC) - now).total_seconds()))


@dataclass(slots=True)
class Usage:
    """One call's accounting, filled in as it runs, then written by `record` (or added to
    the caller's own transaction as `usage_row`)."""

    target: Target
    request_type: str  # chat_completion, embedding, prediction, chat (a reply in a chat)
    user_id: uuid.UUID | None
    api_key_id: uuid.UUID | None
    input_tokens: int = 0
    output_tokens: int = 0
    cost: Decimal = Decimal(0)
    status: str = "success"  # success, error, timeout, cancelled
    error: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    session_id: uuid.UUID | None = None  # the chat a reply belongs to

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens


def usage_row(usage: Usage, duration_ms: int) -> ModelUsageLog:
    """The `model_usage_logs` row of a call through a deployment."""
    target = usage.target
    return ModelUsageLog(
        organization_id=target.organization_id, user_id=usage.user_id,
        model_id=target.model_id, model_version_id=target.model_version_id,
        deployment_id=target.deployment_id, api_key_id=usage.api_key_id,
        session_id=usage.session_id,
        request_type=usage.request_type, input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens, total_tokens=usage.total_tokens, cost=usage.cost,
        duration_ms=duration_ms, status=usage.status, error_message=usage.error,
        metadata_={"deployment": target.name, "environment": target.environment,
                   **usage.metadata})


async def record(db: Database, usage: Usage, duration_ms: int) -> None:
    """Write the usage row; its tokens count on /metrics too."""
    async with db.sessionmaker() as session, session.begin():
        session.add(usage_row(usage, duration_ms))
    observe_gateway_tokens(usage.input_tokens, usage.output_tokens)
