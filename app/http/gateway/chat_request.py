"""A `POST /v1/chat/completions` body read and checked: the conversation and the options the
gateway honours (temperature, top_p, max_tokens, stop, stream, stream_options, user); other
OpenAI fields are accepted and ignored, as most compatible servers do."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from services.gateway.errors import invalid
from services.providers import ChatTurn

ROLES = {"system", "developer", "user", "assistant", "tool"}
MAX_STOPS = 4


@dataclass(frozen=True, slots=True)
class CompletionRequest:
    model: str
    turns: tuple[ChatTurn, ...]
    options: dict[str, Any]  # handed to the provider: temperature, top_p, max_tokens
    stops: tuple[str, ...]
    stream: bool
    include_usage: bool
    user: str | None


def _content(message: dict[str, Any], index: int) -> str:
    """A message's text: a string, or the text parts of a list of parts."""
    content = message.get("content")
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list) and all(isinstance(p, dict) for p in content):
        if any(p.get("type") != "text" for p in content):
            raise invalid(f"messages[{index}].content: only text parts are supported")
        return "".join(str(p.get("text", "")) for p in content)
    raise invalid(f"messages[{index}].content must be a string or a list of text parts")


def _turns(messages: object) -> tuple[ChatTurn, ...]:
    if not isinstance(messages, list) or not messages:
        raise invalid("`messages` must be a non-empty list")
    turns = []
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in ROLES:
            raise invalid(f"messages[{index}] needs a role: {', '.join(sorted(ROLES))}")
        role = "system" if message["role"] == "developer" else message["role"]
        turns.append(ChatTurn(role, _content(message, index)))
    return tuple(turns)


def _number(body: dict[str, Any], key: str, low: float, high: float) -> float | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (
            low <= value <= high):
        raise invalid(f"`{key}` must be a number from {low:g} to {high:g}")
    return float(value)


def _max_tokens(body: dict[str, Any]) -> int | None:
    value = body.get("max_completion_tokens", body.get("max_tokens"))
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise invalid("`max_tokens` must be a positive integer")
    return value


def _stops(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    stops = [value] if isinstance(value, str) else value
    if (not isinstance(stops, list) or len(stops) > MAX_STOPS
            or not all(isinstance(s, str) and s for s in stops)):
        raise invalid(f"`stop` must be a non-empty string or a list of up to {MAX_STOPS}")
    return tuple(stops)


def completion_request(body: dict[str, Any]) -> CompletionRequest:
    stream = body.get("stream") or False
    if not isinstance(stream, bool):
        raise invalid("`stream` must be a boolean")
    stream_options = body.get("stream_options") or {}
    if not isinstance(stream_options, dict):
        raise invalid("`stream_options` must be an object")
    user = body.get("user")
    if user is not None and not isinstance(user, str):
        raise invalid("`user` must be a string")
    options: dict[str, Any] = {}
    for key, value in (("temperature", _number(body, "temperature", 0, 2)),
                       ("top_p", _number(body, "top_p", 0, 1)),
                       ("max_tokens", _max_tokens(body))):
        if value is not None:
            options[key] = value
    stops = _stops(body.get("stop"))
    if stops:
        options["stop"] = list(stops)
    return CompletionRequest(
        model=body.get("model"),  # type: ignore[arg-type]  (checked by access.target_for)
        turns=_turns(body.get("messages")), options=options, stops=stops, stream=stream,
        include_usage=bool(stream_options.get("include_usage")), user=user or None)
