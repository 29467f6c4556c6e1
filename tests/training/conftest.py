"""The training tests' world: a member of acme with an experiment and a dataset version whose
CSV file is in storage, the same data as arrays for the tests' own fits, and helpers to upload
other files and start training through the API."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.relay import to_base64

from db.models import Dataset, DatasetVersion, Experiment, Organization, User
from tests.analysis.uploads import upload
from tests.conftest import bearer_headers
from tests.factories.datasets import make_dataset, make_dataset_version
from tests.factories.experiments import make_experiment, make_project
from tests.factories.identity import make_membership, make_organization, make_user
from tests.graphql import gql

FEATURES = ["voltage", "current", "temperature", "soc", "cycles"]
TARGET = "health"
CLASSES = ("good", "worn", "faulty")
START = """mutation ($input: StartTrainingJobInput!) { startTrainingJob(input: $input) {
  run { id status totalSteps hyperparameters } userErrors { field code message } } }"""


def table(rows: int = 300, seed: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """Three overlapping classes in five numeric columns (so no trainer is perfect)."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, len(CLASSES), size=rows)
    centers = np.array([[380, 50, 25, 60, 100], [370, 45, 30, 50, 600], [360, 40, 38, 45, 1100]],
                       dtype=float)
    x = centers[labels] + rng.normal(0, [8, 6, 4, 15, 350], size=(rows, len(FEATURES)))
    return x.round(3), np.array(CLASSES)[labels]


def csv_bytes(x: np.ndarray, y: np.ndarray, header: list[str] | None = None) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header or [*FEATURES, TARGET])
    for row, label in zip(x.tolist(), y.tolist(), strict=True):
        writer.writerow([*map(repr, row), label])
    return out.getvalue().encode()


@dataclass
class Lab:
    """acme: alice (member) with an experiment and `version` of `dataset`, the CSV of `x`,
    `y`."""

    acme: Organization
    alice: User
    headers: dict[str, str]
    experiment: Experiment
    dataset: Dataset
    version: DatasetVersion
    x: np.ndarray
    y: np.ndarray

    async def dataset_version(self, session: AsyncSession, storage, content: bytes,
                              filename: str) -> DatasetVersion:
        """A version of `dataset` holding this file."""
        file = await upload(session, storage, organization=self.acme, content=content,
                            filename=filename)
        return await make_dataset_version(session, dataset=self.dataset, file=file)


@pytest.fixture
async def lab(app, session) -> Lab:
    acme, alice = await make_organization(session), await make_user(session)
    await make_membership(session, organization=acme, user=alice, role="member")
    experiment = await make_experiment(session, project=await make_project(
        session, organization=acme), name="battery health")
    x, y = table()
    dataset = await make_dataset(session, organization=acme, name="cells", format="csv")
    lab = Lab(acme, alice, {}, experiment, dataset, None, x, y)  # type: ignore[arg-type]
    lab.version = await lab.dataset_version(session, app.state.storage, csv_bytes(x, y),
                                            "cells.csv")
    await session.commit()
    lab.headers = await bearer_headers(app, session, alice)
    return lab


def gid(type_name: str, key: Any) -> str:
    return to_base64(type_name, key)


async def start_training(client, headers: dict[str, str], *, experiment: Experiment,
                         version: DatasetVersion, trainer: str, target: str = TARGET,
                         hyperparameters: dict | None = None, **extra: Any) -> dict:
    """The startTrainingJob payload."""
    body = await gql(client, START, {"input": {
        "experimentId": gid("Experiment", experiment.id),
        "datasetVersionId": gid("DatasetVersion", version.id), "trainer": trainer,
        "targetColumn": target, "hyperparameters": hyperparameters or {}, **extra}},
        headers=headers)
    assert "errors" not in body, body
    return body["data"]["startTrainingJob"]
