"""A subscriber that disconnects while its event is being sent is not an error of the server:
nothing is logged for it, while a real failure of an operation still is."""

from __future__ import annotations

import logging

import pytest
from strawberry.http.exceptions import WebSocketDisconnected

from app.http.websockets import LimitedTransportWSHandler


@pytest.fixture
def handler() -> LimitedTransportWSHandler:
    handler = object.__new__(LimitedTransportWSHandler)  # only its logging is exercised
    handler.task_logger = logging.getLogger("strawberry.test.ws")
    return handler


async def test_a_client_gone_mid_send_is_not_logged(handler, caplog) -> None:
    with caplog.at_level(logging.DEBUG, logger="strawberry.test.ws"):
        await handler.handle_task_exception(WebSocketDisconnected())
    assert caplog.records == []


async def test_other_failures_are_logged_with_their_traceback(handler, caplog) -> None:
    with caplog.at_level(logging.DEBUG, logger="strawberry.test.ws"):
        await handler.handle_task_exception(RuntimeError("the resolver broke"))
    (record,) = caplog.records
    assert record.levelno == logging.ERROR and record.exc_info[1].args == ("the resolver broke",)
