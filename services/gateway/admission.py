"""The one door to a deployment, for gateway calls and chat replies alike: the deployments
a name reaches, the running group that answers (targets.py), the member of its traffic split
that takes this call (routing.py), and whether the organization's monthly token budget
allows another call (accounting.py).

Refusals are domain exceptions; each caller words them for its clients (OpenAI's error
shape in app/http/gateway/, `userErrors` on sendMessage).
"""

from __future__ import annotations

import uuid

from db.session import Database
from services.gateway.accounting import monthly_budget, seconds_to_next_month
from services.gateway.routing import choose
from services.gateway.targets import Target, running_group, targets_named


class NotRoutable(LookupError):
    """No deployment answers the name: none exists for the caller (`exists` False), or
    none of them is running."""

    def __init__(self, name: str, *, exists: bool) -> None:
        super().__init__(name)
        self.name = name
        self.exists = exists


class OverBudget(Exception):
    """The organization has used its monthly token budget; calls resume in `retry_after`
    seconds (next month)."""

    def __init__(self, limit: int, retry_after: int) -> None:
        super().__init__(limit)
        self.limit = limit
        self.retry_after = retry_after


async def route(db: Database, name: str, organizations: list[uuid.UUID] | None, *,
                sticky: str | None, environment: str | None = None) -> Target:
    """The running deployment called `name` that answers this call, once its organization's
    budget allows it. `sticky`: the same value always reaches the same member of a split
    (the gateway's `user`, a chat's session); `environment`: only that environment's group
    (a chat keeps the one it started in), else the first group by environment."""
    named = await targets_named(db, name, organizations)
    if environment is not None:
        named = [t for t in named if t.environment == environment]
    if not named:
        raise NotRoutable(name, exists=False)
    group = running_group(named)
    if not group:
        raise NotRoutable(name, exists=True)
    target = choose(group, name=name, user=sticky)
    await within_budget(db, target.organization_id)
    return target


async def within_budget(db: Database, organization_id: uuid.UUID) -> None:
    """Raises OverBudget once the organization has used its monthly token budget: every
    call that spends tokens (the gateway's, a chat's reply) is admitted by this one check."""
    budget = await monthly_budget(db, organization_id)
    if budget is not None and budget.exhausted:
        raise OverBudget(budget.limit, seconds_to_next_month())
