"""What a caller may see of a row: secrets in JSON settings never leave the server."""

from __future__ import annotations

import re
from typing import Any

# `token` only as a whole word part (access_token, token), so max_tokens stays visible
SECRET_KEY = re.compile(
    r"(api[_-]?key|secret|passw(or)?d|credential|private[_-]?key|(^|[_-])token($|[_-]))",
    re.IGNORECASE,
)
REDACTED = "***"


def redact_secrets(value: Any) -> Any:
    """A copy of a JSON value with the values of secret-looking keys replaced, at any depth."""
    if isinstance(value, dict):
        if not any(isinstance(v, (dict, list)) or (isinstance(k, str) and SECRET_KEY.search(k))
                   for k, v in value.items()):
            return value  # the common case: flat settings without secrets, no copy
        return {k: REDACTED if isinstance(k, str) and SECRET_KEY.search(k) and v is not None
                else redact_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_secrets(v) for v in value]
    return value
