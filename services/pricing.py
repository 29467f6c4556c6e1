"""What a model call costs, from the model's `ai_models.pricing`: one price list for chat
replies, gateway calls and RAG answers, so a token costs the same whichever door it came
through."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

MICRO = Decimal("0.000001")
_UNIT = re.compile(r"^\s*1\s*([km])", re.IGNORECASE)


def cost_of(pricing: dict[str, Any], input_tokens: int, output_tokens: int) -> Decimal:
    """Price of a call from `ai_models.pricing`: `{"input_per_1k": .., "output_per_1k": ..}`,
    `input_per_1m`/`output_per_1m`, or `{"input": .., "output": .., "unit": "1M tokens"}`
    (per 1K tokens when no unit is given). Missing prices count as free."""
    def price(key: str) -> Decimal:
        value = pricing.get(key)
        if not isinstance(value, (int, float, str)) or isinstance(value, bool):
            return Decimal(0)
        try:
            return Decimal(str(value))
        except InvalidOperation:
            return Decimal(0)

    unit = _UNIT.match(str(pricing.get("unit", "1K")))
    per_plain = Decimal(1_000_000 if unit and unit.group(1).lower() == "m" else 1_000)
    input_cost = (price("input_per_1k") / 1000 + price("input_per_1m") / 1_000_000
                  + price("input") / per_plain)
    output_cost = (price("output_per_1k") / 1000 + price("output_per_1m") / 1_000_000
                   + price("output") / per_plain)
    total = input_cost * input_tokens + output_cost * output_tokens
    return total.quantize(MICRO)
