"""Fixtures of the AI-models tests."""

from __future__ import annotations

import pytest

from tests.ai_models.helpers import World, make_world


@pytest.fixture
async def world(app, session) -> World:
    return await make_world(app, session)
