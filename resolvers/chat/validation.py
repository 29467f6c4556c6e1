"""Input rules of the chat mutations, each returning all its problems at once."""

from __future__ import annotations

from typing import Any

from graphql_schema.chat.payloads import ChatErrorCode as Code
from resolvers.mutations import Problem

MAX_CONTENT = 32_000
MAX_TITLE = 255
MAX_SYSTEM_PROMPT = 32_000
MAX_STOP = 4
DEFAULT_MAX_TOKENS_CAP = 1_000_000  # a model without a context window still gets a bound


def content_problems(content: str) -> list[Problem]:
    if not content.strip() or len(content) > MAX_CONTENT:
        return [Problem("content", f"Write 1 to {MAX_CONTENT:,} characters (not only spaces)",
                        Code.INVALID_CONTENT)]
    return []


def title_problems(title: str | None) -> list[Problem]:
    if title is not None and not (title.strip() and len(title) <= MAX_TITLE):
        return [Problem("title", f"A title has 1 to {MAX_TITLE} characters (or is null)",
                        Code.INVALID)]
    return []


def system_prompt_problems(prompt: str | None) -> list[Problem]:
    if prompt is not None and len(prompt) > MAX_SYSTEM_PROMPT:
        return [Problem("systemPrompt", f"A system prompt has at most {MAX_SYSTEM_PROMPT:,} "
                        "characters", Code.INVALID)]
    return []


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def config_problems(config: Any, context_window: int | None) -> list[Problem]:
    """A session's generation settings: a JSON object of known keys with values in range."""
    if not isinstance(config, dict):
        return [Problem("config", "config must be a JSON object", Code.INVALID_CONFIG)]
    problems: list[Problem] = []

    def bad(message: str) -> None:
        problems.append(Problem("config", message, Code.INVALID_CONFIG))

    unknown = sorted(set(config) - {"temperature", "max_tokens", "top_p", "stop"})
    if unknown:
        bad(f"Unknown config keys: {', '.join(unknown)} (known: max_tokens, stop, temperature, "
            "top_p)")
    if "temperature" in config and not (
            _number(config["temperature"]) and 0 <= config["temperature"] <= 2):
        bad("temperature must be a number from 0 to 2")
    if "top_p" in config and not (_number(config["top_p"]) and 0 <= config["top_p"] <= 1):
        bad("top_p must be a number from 0 to 1")
    if "max_tokens" in config:
        limit = context_window or DEFAULT_MAX_TOKENS_CAP
        value = config["max_tokens"]
        if not (isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= limit):
            bad(f"max_tokens must be a whole number from 1 to {limit:,} (the model's context "
                "window)")
    if "stop" in config:
        stop = config["stop"]
        stops = [stop] if isinstance(stop, str) else stop
        if not (isinstance(stops, list) and 1 <= len(stops) <= MAX_STOP
                and all(isinstance(s, str) and s for s in stops)):
            bad(f"stop must be a non-empty string or a list of 1 to {MAX_STOP} of them")
    return problems
