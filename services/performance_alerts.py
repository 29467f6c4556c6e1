"""Alert thresholds on a model's per-minute metrics (`setModelAlertThreshold`), compared by
the roll-up with each minute it writes (services/performance.py).

A threshold is `above` or `below` a value, on the model's row of the minute (all versions
together). A summed metric (requests, tokens, cost) of a minute without calls is 0; a minute
without calls has no error rate or latency, and leaves the threshold as it was. A threshold
notifies when a minute's value goes past it and the minute before was within (or it was
just set): `breached_at` keeps the minute it went past until a minute is within again, so a
model staying above notifies once, not every minute. A roll-up run again for a minute it
compared already (or an older one) compares nothing (`evaluated_minute`).

The model's owner is told: the member who created the model, or, when that account is gone
or no longer a member, the owners of the model's organization. Each gets a notification
(`kind = "model_alert"`), published after the roll-up's transaction commits, and a mail in
their language through the outbox (the worker's `mail.retry` sends it within the minute),
linking to `{AIPLATFORM_PUBLIC_URL}/models/{model's global ID}`.
"""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from db.loaders.performance import ROLL_UP_LABELS, SUMMED
from services.mail import templates
from services.mail.outbox import queue_mail
from services.notifications import add_notification
from services.settings import Settings

KIND = "model_alert"
CHECK = text("""
WITH judged AS (
    SELECT t.id, t.breached_at AS was, v.value,
           CASE WHEN v.value IS NULL THEN NULL
                WHEN t.direction = 'above' THEN v.value > t.value
                ELSE v.value < t.value END AS outside
    FROM model_alert_thresholds t
    JOIN ai_models m ON m.id = t.model_id AND m.deleted_at IS NULL
    LEFT JOIN performance_metrics pm
           ON pm.model_id = t.model_id AND pm.organization_id = t.organization_id
          AND pm.model_version_id IS NULL AND pm.metric_name = t.metric_name
          AND pm.recorded_at = :minute AND pm.labels @> CAST(:labels AS jsonb)
    CROSS JOIN LATERAL (SELECT coalesce(pm.metric_value, CASE
        WHEN t.metric_name = ANY(CAST(:summed AS text[])) THEN 0 END) AS value) v
    WHERE t.evaluated_minute IS NULL OR t.evaluated_minute < :minute
)
UPDATE model_alert_thresholds t
SET evaluated_minute = :minute, last_value = coalesce(j.value, t.last_value),
    breached_at = CASE WHEN j.outside IS NULL THEN t.breached_at
                       WHEN j.outside THEN coalesce(t.breached_at, :minute) END
FROM judged j WHERE t.id = j.id
RETURNING t.id, t.organization_id, t.model_id, t.metric_name, t.direction, t.value, j.value,
          coalesce(j.outside AND j.was IS NULL, false)""")
# the model's creator while a member of its organization, else the organization's owners
RECIPIENTS = text("""
SELECT m.id, m.name, ms.user_id, u.email, coalesce(u.locale, o.settings ->> 'locale')
FROM ai_models m
JOIN organizations o ON o.id = m.organization_id
JOIN memberships ms ON ms.organization_id = m.organization_id
JOIN users u ON u.id = ms.user_id AND u.deleted_at IS NULL
WHERE m.id = ANY(CAST(:models AS uuid[]))
  AND (ms.user_id = m.created_by
       OR ms.role = 'owner' AND NOT EXISTS (
           SELECT 1 FROM memberships c JOIN users cu ON cu.id = c.user_id
           WHERE c.organization_id = m.organization_id AND c.user_id = m.created_by
             AND cu.deleted_at IS NULL))
ORDER BY m.id, ms.user_id""")


@dataclass(frozen=True, slots=True)
class Recipient:
    user_id: uuid.UUID
    email: str
    language: str


@dataclass(frozen=True, slots=True)
class Crossing:
    threshold_id: uuid.UUID
    organization_id: uuid.UUID
    model_id: uuid.UUID
    metric_name: str
    direction: str
    bound: float
    value: float


Alert = dict[str, Any]  # a notification event, published once committed


def model_global_id(model_id: uuid.UUID) -> str:
    """The model's Relay global ID, as the API names it."""
    return base64.b64encode(f"AiModel:{model_id}".encode()).decode()


def describe(crossing: Crossing, model_name: str) -> tuple[str, str]:
    """The notification's title and body."""
    title = (f"{model_name}: {crossing.metric_name} {crossing.direction} "
             f"{crossing.bound:g}")
    body = (f"In the minute from {{minute}}, {crossing.metric_name} of {model_name} was "
            f"{crossing.value:g}, {crossing.direction} the threshold of {crossing.bound:g}.")
    return title, body


async def check_thresholds(session: AsyncSession, minute: datetime, settings: Settings
                           ) -> list[Alert]:
    """Compare the minute's model rows with every threshold (in the caller's transaction);
    the notifications of the thresholds it crossed, to publish once committed. Their mails
    are queued in the same transaction."""
    rows = (await session.execute(CHECK, {"minute": minute, "labels": ROLL_UP_LABELS,
                                          "summed": SUMMED})).all()
    crossings = [Crossing(r[0], r[1], r[2], r[3], r[4], float(r[5]), float(r[6]))
                 for r in rows if r[7]]
    if not crossings:
        return []
    recipients: dict[uuid.UUID, list[Recipient]] = {}
    names: dict[uuid.UUID, str] = {}
    for model_id, name, user_id, email, locale in (await session.execute(
            RECIPIENTS, {"models": sorted({c.model_id for c in crossings})})).all():
        names[model_id] = name
        recipients.setdefault(model_id, []).append(
            Recipient(user_id, email, templates.language_of(locale)))
    when = minute.strftime("%Y-%m-%d %H:%M UTC")
    alerts: list[Alert] = []
    for crossing in crossings:
        model_name = names.get(crossing.model_id, "a model")
        title, body = describe(crossing, model_name)
        data = {"thresholdId": str(crossing.threshold_id), "modelId": str(crossing.model_id),
                "metricName": crossing.metric_name, "direction": crossing.direction,
                "threshold": crossing.bound, "value": crossing.value,
                "minute": minute.isoformat()}
        link = f"{settings.public_url.rstrip('/')}/models/{model_global_id(crossing.model_id)}"
        for person in recipients.get(crossing.model_id, []):
            alerts.append(await add_notification(
                session, user_id=person.user_id, kind=KIND, title=title,
                body=body.format(minute=when), data=data,
                organization_id=crossing.organization_id))
            await queue_mail(session, kind=KIND, to=person.email, language=person.language,
                             mail=templates.model_alert(
                                 person.language, model=model_name,
                                 metric=crossing.metric_name, direction=crossing.direction,
                                 threshold=crossing.bound, value=crossing.value, minute=when,
                                 link=link))
    return alerts
