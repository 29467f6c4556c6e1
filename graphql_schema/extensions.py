"""Schema extensions: error codes on every error, and masking of unexpected ones."""

from __future__ import annotations

from graphql import GraphQLError
from strawberry.extensions import MaskErrors

from graphql_schema.errors import ErrorCode


def is_expected(error: GraphQLError) -> bool:
    """Errors raised on purpose (ApiError, graphql-core's own) as opposed to crashes."""
    original = error.original_error
    return original is None or isinstance(original, GraphQLError)


class ErrorCodes(MaskErrors):
    """Every error gets `extensions.code`; an unexpected exception's text never reaches the
    client (it is logged with its traceback instead)."""

    def __init__(self, *, mask: bool = True) -> None:
        super().__init__(should_mask_error=lambda e: mask and not is_expected(e),
                         error_message="Internal server error")

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        masked = super().anonymise_error(error)
        masked.extensions = {"code": ErrorCode.INTERNAL_SERVER_ERROR.value}
        return masked

    def _process_result(self, result: object) -> None:
        """As MaskErrors does, without its isinstance check against a runtime Protocol,
        which alone cost ≈ 30 µs on every request."""
        errors = getattr(result, "errors", None)
        if errors:
            result.errors = self._process_errors(errors)  # type: ignore[attr-defined]

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        processed = super()._process_errors(errors)
        for error in processed:
            if not (error.extensions or {}).get("code"):
                code = (ErrorCode.INTERNAL_SERVER_ERROR.value
                        if not is_expected(error) else _code_for(error))
                error.extensions = {**(error.extensions or {}), "code": code}
        return processed


def _code_for(error: GraphQLError) -> str:
    """Errors graphql-core raises itself: invalid documents and variables are the client's."""
    if error.path is None and not error.message.startswith("Variable '$"):
        return "GRAPHQL_VALIDATION_FAILED"
    return ErrorCode.BAD_USER_INPUT.value
