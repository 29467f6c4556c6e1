"""The live server fixture for the system tests."""

from tests.system.live_server import server  # noqa: F401  (the fixture)
