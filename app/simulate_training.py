"""`aiplatform simulate-training RUN_ID`: a stand-in trainer that reports through the API.

It speaks GraphQL over HTTP with an API key (or an access token), exactly as a real training
job would: it starts the run when it is pending or queued (startRun), reports batches of
points with a loss that falls and an accuracy that rises (reportRunMetrics), pausing
`--interval-ms` between batches so a person can watch `runProgress` live, and completes the
run (completeRun). Ctrl-C cancels the run (cancelRun). A running run is resumed after its
current step; a finished one is refused. Only the standard library is used, so the command
works from a plain install.
"""

from __future__ import annotations

import json
import math
import random
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Post = Callable[[str, dict[str, Any]], dict[str, Any]]

RUN = """query Run($id: ID!) { node(id: $id) { __typename ... on Run {
  status currentStep totalSteps totalEpochs } } }"""
START = """mutation Start($input: StartRunInput!) { startRun(input: $input) {
  run { status } userErrors { field message code } } }"""
REPORT = """mutation Report($input: ReportRunMetricsInput!) { reportRunMetrics(input: $input) {
  accepted run { progress } userErrors { field message code } } }"""
COMPLETE = """mutation Complete($input: CompleteRunInput!) { completeRun(input: $input) {
  run { status progress summaryMetrics } userErrors { field message code } } }"""
CANCEL = """mutation Cancel($input: CancelRunInput!) { cancelRun(input: $input) {
  run { status } userErrors { field message code } } }"""
FINISHED = ("COMPLETED", "FAILED", "CANCELLED")
MAX_RETRIES = 5


class SimulationError(Exception):
    """The server refused something; the message says what."""


@dataclass(frozen=True)
class Plan:
    steps: int = 200
    batch: int = 20
    interval_ms: int = 200
    epochs: int = 4
    seed: int = 0


def http_post(url: str, credential: str, *, timeout: float = 30) -> Post:
    """A GraphQL-over-HTTP sender: waits out 429 answers (Retry-After), raises on the rest."""
    authorization = credential if credential.lower().startswith("bearer ") \
        else f"Bearer {credential}"

    def post(query: str, variables: dict[str, Any]) -> dict[str, Any]:
        data = json.dumps({"query": query, "variables": variables}).encode()
        for _ in range(MAX_RETRIES):
            request = urllib.request.Request(url, data=data, method="POST", headers={
                "content-type": "application/json", "authorization": authorization})
            try:
                with urllib.request.urlopen(request, timeout=timeout) as response:
                    return json.loads(response.read())  # type: ignore[no-any-return]
            except urllib.error.HTTPError as error:
                if error.code != 429:
                    raise SimulationError(f"HTTP {error.code}: {_error_text(error.read())}"
                                          ) from None
                time.sleep(float(error.headers.get("retry-after") or 1))
            except urllib.error.URLError as error:
                raise SimulationError(f"cannot reach {url}: {error.reason}") from None
        raise SimulationError(f"still rate limited after {MAX_RETRIES} tries")

    return post


def _error_text(body: bytes) -> str:
    try:
        errors = json.loads(body)["errors"]
        return "; ".join(f"{e['message']} ({e.get('extensions', {}).get('code')})"
                         for e in errors)
    except (ValueError, KeyError, TypeError):
        return body.decode(errors="replace")[:200]


def _data(answer: dict[str, Any], field: str) -> Any:
    if answer.get("errors"):
        raise SimulationError(_error_text(json.dumps(answer).encode()))
    payload = answer["data"][field]
    problems = payload.get("userErrors") if isinstance(payload, dict) else None
    if problems:
        raise SimulationError("; ".join(f"{p['message']} ({p['code']})" for p in problems))
    return payload


def point(step: int, plan: Plan, rng: random.Random) -> dict[str, Any]:
    """A plausible point: exponential loss decay, saturating accuracy, cosine learning rate."""
    t = step / plan.steps
    decay = math.exp(-4 * t)
    return {
        "step": step,
        "epoch": min(plan.epochs - 1, step * plan.epochs // plan.steps) if plan.epochs else None,
        "loss": round(2.3 * decay + 0.05 + rng.uniform(0, 0.02) * decay, 6),
        "accuracy": round(min(1.0, 0.1 + 0.85 * (1 - decay) + rng.uniform(-0.01, 0.01)), 6),
        "learningRate": round(3e-4 * 0.5 * (1 + math.cos(math.pi * t)), 9),
        "custom": {"grad_norm": round(5 * decay + rng.uniform(0, 0.1), 4)},
    }


def simulate(post: Post, run_id: str, plan: Plan, *, say: Callable[[str], None] = print,
             sleep: Callable[[float], None] = time.sleep) -> dict[str, Any]:
    """Train `run_id` to its end; returns the completed run (status, progress, summary)."""
    node = _data(post(RUN, {"id": run_id}), "node")
    if node is None or node.get("__typename") != "Run":
        raise SimulationError(f"no run {run_id} (or this credential cannot see it)")
    if node["status"] in FINISHED:
        raise SimulationError(f"the run is already {node['status'].lower()}")
    first = 1
    if node["status"] == "RUNNING":
        first = node["currentStep"] + 1
        say(f"resuming a running run after step {node['currentStep']}")
    else:
        _data(post(START, {"input": {"runId": run_id, "totalSteps": plan.steps,
                                     "totalEpochs": plan.epochs or None}}), "startRun")
        say(f"started run {run_id}: {plan.steps} steps, {plan.batch} per report")
    rng = random.Random(plan.seed)
    try:
        last: dict[str, Any] | None = None
        for start in range(first, plan.steps + 1, plan.batch):
            if start > first:
                sleep(plan.interval_ms / 1000)  # pacing, as a trainer computes the next batch
            points = [point(s, plan, rng) for s in range(start, min(start + plan.batch,
                                                                    plan.steps + 1))]
            report = _data(post(REPORT, {"input": {"runId": run_id, "points": points}}),
                           "reportRunMetrics")
            last = points[-1]
            say(f"step {last['step']}/{plan.steps}  loss {last['loss']:.4f}  "
                f"accuracy {last['accuracy']:.4f}  progress {report['run']['progress']:.0%}")
    except KeyboardInterrupt:
        _data(post(CANCEL, {"input": {"runId": run_id}}), "cancelRun")
        say("interrupted: the run was cancelled")
        raise
    summary = {"simulated": True}
    if last is not None:
        summary |= {"final_loss": last["loss"], "final_accuracy": last["accuracy"]}
    done = _data(post(COMPLETE, {"input": {"runId": run_id, "summaryMetrics": summary}}),
                 "completeRun")
    say(f"run completed: progress {done['run']['progress']:.0%}")
    return done["run"]  # type: ignore[no-any-return]
