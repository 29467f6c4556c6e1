"""The trainers `startTrainingJob` accepts, and the hyperparameters each takes.

Hyperparameters are a JSON object. Three keys are the platform's and mean the same for every
trainer: `seed` (the validation split's and the estimator's random state, default 0),
`validation_fraction` (the share of rows held out, default 0.2) and `features` (the columns
to train on, default every column but the target). The other keys are the estimator's own
constructor parameters, by their scikit-learn names, as listed here; scikit-learn checks their
values when the model is fitted, and a bad one fails the run with its message.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

SEED, VALIDATION_FRACTION, FEATURES = "seed", "validation_fraction", "features"
PLATFORM_KEYS = (SEED, VALIDATION_FRACTION, FEATURES)
DEFAULT_VALIDATION_FRACTION = 0.2


@dataclass(frozen=True)
class TrainerSpec:
    name: str
    estimator: str  # the scikit-learn class, for the docs and the model version
    parameters: tuple[str, ...]  # the estimator's constructor parameters a caller may set
    iterations_key: str  # the hyperparameter that counts the iterations reported
    default_iterations: int


TRAINERS: dict[str, TrainerSpec] = {spec.name: spec for spec in (
    # lbfgs iterations; the curve is traced by fits stopped after k iterations (trainers_fit.py)
    TrainerSpec("sklearn-logistic", "sklearn.linear_model.LogisticRegression",
                ("C", "max_iter", "tol", "fit_intercept", "class_weight"), "max_iter", 100),
    # boosting stages, reported by fit's monitor
    TrainerSpec("sklearn-gbdt", "sklearn.ensemble.GradientBoostingClassifier",
                ("n_estimators", "learning_rate", "max_depth", "subsample",
                 "min_samples_split", "min_samples_leaf", "max_features", "max_leaf_nodes"),
                "n_estimators", 100),
    # epochs of partial_fit (`epochs` is the platform's: partial_fit runs one epoch a call)
    TrainerSpec("sklearn-mlp", "sklearn.neural_network.MLPClassifier",
                ("hidden_layer_sizes", "activation", "solver", "alpha", "batch_size",
                 "learning_rate_init", "momentum", "epochs"), "epochs", 50),
)}


def hyperparameter_problems(trainer: TrainerSpec, hyperparameters: Mapping[str, Any]
                            ) -> list[str]:
    """What is wrong with these hyperparameters for this trainer, as readable sentences."""
    problems = []
    unknown = sorted(set(hyperparameters) - set(PLATFORM_KEYS) - set(trainer.parameters))
    if unknown:
        problems.append(f"{trainer.name} takes no {', '.join(unknown)} (it takes "
                        f"{', '.join(PLATFORM_KEYS + trainer.parameters)})")
    seed = hyperparameters.get(SEED, 0)
    if not _is_int(seed) or not 0 <= seed < 2**32:
        problems.append("seed: an integer from 0 to 2^32 - 1")
    fraction = hyperparameters.get(VALIDATION_FRACTION, DEFAULT_VALIDATION_FRACTION)
    if not _is_number(fraction) or not 0 < fraction < 1:
        problems.append("validation_fraction: a number between 0 and 1")
    features = hyperparameters.get(FEATURES)
    if features is not None and (not isinstance(features, list) or not features
                                 or not all(isinstance(f, str) for f in features)):
        problems.append("features: a non-empty list of column names")
    iterations = hyperparameters.get(trainer.iterations_key, trainer.default_iterations)
    if not _is_int(iterations) or not 1 <= iterations <= 100_000:
        problems.append(f"{trainer.iterations_key}: an integer from 1 to 100000")
    return problems


def iterations(trainer: TrainerSpec, hyperparameters: Mapping[str, Any]) -> int:
    """How many iterations the run reports at most (its totalSteps)."""
    return int(hyperparameters.get(trainer.iterations_key, trainer.default_iterations))


def estimator_parameters(trainer: TrainerSpec, hyperparameters: Mapping[str, Any]
                         ) -> dict[str, Any]:
    """The estimator's keyword arguments: the trainer's keys, JSON lists as tuples where
    scikit-learn wants one (hidden_layer_sizes)."""
    chosen = {k: v for k, v in hyperparameters.items()
              if k in trainer.parameters and k != "epochs"}
    if isinstance(chosen.get("hidden_layer_sizes"), list):
        chosen["hidden_layer_sizes"] = tuple(chosen["hidden_layer_sizes"])
    return chosen


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
