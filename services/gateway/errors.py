"""Refusals of the gateway, in the shape OpenAI's API and its clients use:
`{"error": {"message", "type", "code"}}` with the matching HTTP status."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class GatewayError(Exception):
    status: int
    message: str
    type: str
    code: str
    headers: dict[str, str] = field(default_factory=dict)

    def body(self) -> dict[str, object]:
        return {"error": {"message": self.message, "type": self.type, "code": self.code,
                          "param": None}}


def unauthorized(message: str, code: str) -> GatewayError:
    return GatewayError(401, message, "invalid_request_error", code,
                        {"www-authenticate": "Bearer"})


def forbidden(message: str) -> GatewayError:
    return GatewayError(403, message, "permission_error", "permission_denied")


def model_not_found(name: str) -> GatewayError:
    return GatewayError(404, f"The model {name!r} does not exist or you do not have access to "
                             "it (name a deployment of your organization)",
                        "invalid_request_error", "model_not_found")


def not_running(name: str) -> GatewayError:
    return GatewayError(404, f"The deployment {name!r} is not running", "invalid_request_error",
                        "model_not_running")


def invalid(message: str, code: str = "invalid_value") -> GatewayError:
    return GatewayError(400, message, "invalid_request_error", code)


def rate_limited(retry_after: int) -> GatewayError:
    return GatewayError(429, f"Too many requests: retry in {retry_after} s", "requests",
                        "rate_limit_exceeded", {"retry-after": str(retry_after)})


def budget_exceeded(budget: int, retry_after: int) -> GatewayError:
    return GatewayError(429, f"The organization has used its monthly token budget "
                             f"({budget} tokens)", "insufficient_quota", "BUDGET_EXCEEDED",
                        {"retry-after": str(retry_after)})


def upstream_unavailable(message: str) -> GatewayError:
    return GatewayError(503, message, "server_error", "upstream_unavailable")


def service_unavailable(message: str, retry_after: int) -> GatewayError:
    """PostgreSQL or Redis could not serve the call (services/availability.py)."""
    return GatewayError(503, message, "server_error", "service_unavailable",
                        {"retry-after": str(retry_after)})
