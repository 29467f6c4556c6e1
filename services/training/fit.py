"""Fitting each trainer while reporting every iteration, in a worker thread.

`fit(...)` calls `emit(point)` once per iteration and checks `stop` between iterations (a
cancelled run stops there). Each trainer's final model is the one a plain scikit-learn call
gives for the same data and parameters, so a test can fit it again and compare:

- sklearn-logistic: `LogisticRegression(...).fit` (lbfgs). scikit-learn exposes no
  per-iteration hook for it, and lbfgs is deterministic, so the curve is traced by fits stopped
  after k iterations (each the first k iterations of the full fit), k growing until a fit
  converges before its limit or reaches `max_iter`: that last fit is the model. Steps are
  lbfgs iterations; at most CHECKPOINTS of them are reported.
- sklearn-gbdt: `GradientBoostingClassifier(...).fit(monitor=...)`: the monitor reports each
  stage's training loss (`train_score_`) and stops the fit when asked.
- sklearn-mlp: `epochs` calls of `MLPClassifier(...).partial_fit`, one epoch each, reporting
  the epoch's training loss and the validation loss and accuracy.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from services.experiments.run_metrics import MetricPoint
from services.training.data import Split
from services.training.trainers import SEED, TrainerSpec, estimator_parameters, iterations

CHECKPOINTS = 40
Emit = Callable[[MetricPoint], None]


class Stopped(Exception):
    """The run was cancelled while it trained."""


def fit(trainer: TrainerSpec, hyperparameters: dict[str, Any], data: Split, emit: Emit,
        stop: threading.Event) -> Any:
    """The fitted estimator; Stopped when `stop` was set before the fit ended."""
    seed = int(hyperparameters.get(SEED, 0))
    params = estimator_parameters(trainer, hyperparameters)
    total = iterations(trainer, hyperparameters)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning of the stopped fits
        return FITS[trainer.name](params, seed, total, data, emit, stop)


def _logistic(params: dict[str, Any], seed: int, total: int, data: Split, emit: Emit,
              stop: threading.Event) -> Any:
    from sklearn.linear_model import LogisticRegression

    params = {k: v for k, v in params.items() if k != "max_iter"}
    for k in checkpoints(total):
        if stop.is_set():
            raise Stopped
        model = LogisticRegression(max_iter=k, random_state=seed, **params).fit(
            data.x_train, data.y_train)
        emit(_evaluated(k, None, model, data))
        if int(np.max(model.n_iter_)) < k or k == total:
            return model
    raise AssertionError("checkpoints end at the iteration limit")


def checkpoints(total: int) -> list[int]:
    """Iteration limits 1..total: every one up to CHECKPOINTS, else about CHECKPOINTS spread
    evenly on a log scale (the curve changes most at first), always ending at `total`."""
    if total <= CHECKPOINTS:
        return list(range(1, total + 1))
    spread = np.unique(np.geomspace(1, total, CHECKPOINTS).round().astype(int))
    return [int(k) for k in spread[spread < total]] + [total]


def _gbdt(params: dict[str, Any], seed: int, total: int, data: Split, emit: Emit,
          stop: threading.Event) -> Any:
    from sklearn.ensemble import GradientBoostingClassifier

    def monitor(i: int, model: Any, _locals: dict[str, Any]) -> bool:
        emit(MetricPoint(i + 1, None, float(model.train_score_[i]), None, None, None, None))
        return stop.is_set()

    model = GradientBoostingClassifier(random_state=seed, **params)
    model.fit(data.x_train, data.y_train, monitor=monitor)
    if stop.is_set():
        raise Stopped
    return model


def _mlp(params: dict[str, Any], seed: int, total: int, data: Split, emit: Emit,
         stop: threading.Event) -> Any:
    from sklearn.neural_network import MLPClassifier

    model = MLPClassifier(random_state=seed, **params)
    classes = np.unique(data.y_train)
    for epoch in range(1, total + 1):
        if stop.is_set():
            raise Stopped
        model.partial_fit(data.x_train, data.y_train, classes=classes)
        emit(_evaluated(epoch, epoch, model, data, loss=float(model.loss_)))
    return model


def _evaluated(step: int, epoch: int | None, model: Any, data: Split,
               loss: float | None = None) -> MetricPoint:
    """A point with the training loss (log loss on the training part unless given) and the
    validation loss and accuracy."""
    from sklearn.metrics import accuracy_score, log_loss

    classes = model.classes_
    if loss is None:
        loss = float(log_loss(data.y_train, model.predict_proba(data.x_train), labels=classes))
    validation_loss = float(log_loss(data.y_validation, model.predict_proba(data.x_validation),
                                     labels=classes))
    accuracy = float(accuracy_score(data.y_validation, model.predict(data.x_validation)))
    return MetricPoint(step, epoch, loss, accuracy, None, None,
                       {"validation_loss": validation_loss})


FITS: dict[str, Callable[..., Any]] = {
    "sklearn-logistic": _logistic, "sklearn-gbdt": _gbdt, "sklearn-mlp": _mlp}
