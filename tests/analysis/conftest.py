"""Fixtures of the analysis tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.applications import Starlette

from services.charging.job import ChargingResources


@pytest.fixture
def charging(app: Starlette, db) -> Iterator[ChargingResources]:
    """The app's database, Redis and storage serve run_charging_analysis in this test."""
    resources = ChargingResources(app.state.db, app.state.redis, app.state.storage).install()
    yield resources
    resources.uninstall()
