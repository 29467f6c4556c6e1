"""What a model's and a version's fields may hold; every problem is collected, none raised early.

Only the fields a mutation sends are checked (plus the cross-field rules they take part in),
so older rows whose JSON predates these rules can still be renamed or re-tagged.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

from resolvers.input_checks import Checks, is_number
from services.security.redaction import REDACTED, SECRET_KEY, redact_secrets

PROVIDERS = ("local", "openai", "openai_compatible", "anthropic", "huggingface", "custom")
MODEL_TYPES = ("chat", "completion", "embedding", "vision", "image", "audio", "rerank",
               "classification", "regression", "time_series", "custom")
NAME_MAX, SHORT_MAX, LOCATION_MAX = 200, 50, 2048
MAX_TOKENS, MAX_CONTEXT = 10_000_000, 100_000_000
MAX_SIZE_BYTES = 2**63 - 1
CURRENCY = re.compile(r"[A-Z]{3}")
PRICE_KEYS = ("input_per_1k", "output_per_1k")


def _pricing(c: Checks, value: Any) -> dict[str, Any]:
    pricing = c.json_object("pricing", value)
    if not pricing:
        return pricing
    unknown = sorted(set(pricing) - {*PRICE_KEYS, "currency"})
    if unknown:
        c.add("pricing", f"pricing: unknown keys {', '.join(unknown)} (use input_per_1k, "
                         "output_per_1k, currency)")
    for key in PRICE_KEYS:
        price = pricing.get(key)
        if not is_number(price) or not math.isfinite(price) or price < 0:
            c.add("pricing", f"pricing.{key} must be a number ≥ 0", "OUT_OF_RANGE"
                  if is_number(price) else "INVALID")
    currency = pricing.get("currency")
    if currency is not None and not (isinstance(currency, str) and CURRENCY.fullmatch(currency)):
        c.add("pricing", "pricing.currency must be a 3-letter code such as USD")
    return pricing


MODEL_FIELDS: dict[str, Callable[[Checks, Any], Any]] = {
    "name": lambda c, v: c.name("name", v, NAME_MAX),
    "provider": lambda c, v: c.one_of("provider", v, PROVIDERS),
    "model_type": lambda c, v: c.one_of("modelType", v, MODEL_TYPES),
    "framework": lambda c, v: c.text("framework", v, SHORT_MAX),
    "version": lambda c, v: c.text("version", v, SHORT_MAX),
    "description": lambda c, v: c.text("description", v),
    "config": lambda c, v: c.json_object("config", v),
    "pricing": _pricing,
    "capabilities": lambda c, v: c.tags("capabilities", v),
    "status": lambda c, v: v,
    "max_tokens": lambda c, v: c.int_range("maxTokens", v, 1, MAX_TOKENS),
    "context_window": lambda c, v: c.int_range("contextWindow", v, 1, MAX_CONTEXT),
    "tags": lambda c, v: c.tags("tags", v),
}


def model_values(c: Checks, sent: dict[str, Any], current: dict[str, Any] | None = None
                 ) -> dict[str, Any]:
    """The cleaned columns of the fields sent; `current` holds the stored row on update."""
    values = {k: MODEL_FIELDS[k](c, v) for k, v in sent.items()}
    if current is not None and isinstance(values.get("config"), dict):
        values["config"] = keep_secrets(values["config"], current.get("config") or {})
    merged = {**(current or {}), **values}
    if {"provider", "config"} & sent.keys() and isinstance(merged.get("config"), dict):
        _config_for_provider(c, merged["provider"], merged["config"])
    if {"max_tokens", "context_window"} & sent.keys() and not any(
            p.field in ("maxTokens", "contextWindow") for p in c.problems):
        max_tokens, window = merged.get("max_tokens"), merged.get("context_window")
        if max_tokens is not None and window is not None and max_tokens > window:
            c.add("maxTokens", "maxTokens must not exceed contextWindow", "OUT_OF_RANGE")
    return values


def _config_for_provider(c: Checks, provider: str, config: dict[str, Any]) -> None:
    if "base_url" in config:
        c.http_url("config", config["base_url"], "config.base_url")
    elif provider == "openai_compatible":
        c.add("config", "config.base_url is required for openai_compatible (an http(s) URL)",
              "REQUIRED")
    if "api_key" in config and not isinstance(config["api_key"], str):
        c.add("config", "config.api_key must be a string")


def keep_secrets(new: dict[str, Any], old: dict[str, Any]) -> dict[str, Any]:
    """A config read back (secrets shown as `***`) and sent again keeps the stored secrets."""
    kept = {}
    for key, value in new.items():
        previous = old.get(key)
        if value == REDACTED and SECRET_KEY.search(key) and previous is not None:
            kept[key] = previous
        elif isinstance(value, dict) and isinstance(previous, dict):
            kept[key] = keep_secrets(value, previous)
        else:
            kept[key] = value
    return kept


def audit_values(values: dict[str, Any]) -> dict[str, Any]:
    """What the audit trail may hold: secrets masked."""
    return {k: redact_secrets(v) for k, v in values.items()}


# -- versions ----------------------------------------------------------------------------------

ARTEFACT_FIELDS = {"storage_location": "storageLocation", "size_bytes": "sizeBytes",
                   "artifacts": "artifacts", "file_id": "fileId"}
VERSION_FIELDS: dict[str, Callable[[Checks, Any], Any]] = {
    "version": Checks.version,
    "description": lambda c, v: c.text("description", v),
    "storage_location": lambda c, v: c.text("storageLocation", v, LOCATION_MAX),
    "metrics": lambda c, v: c.json_object("metrics", v),
    "parameters": lambda c, v: c.json_object("parameters", v),
    "size_bytes": lambda c, v: c.int_range("sizeBytes", v, 0, MAX_SIZE_BYTES),
    "artifacts": lambda c, v: c.json_object("artifacts", v),
}


def version_values(c: Checks, sent: dict[str, Any]) -> dict[str, Any]:
    return {k: VERSION_FIELDS[k](c, v) for k, v in sent.items() if k in VERSION_FIELDS}
