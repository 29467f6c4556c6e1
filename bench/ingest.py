#!/usr/bin/env python3
"""Metric ingest benchmark: reportRunMetrics in batches against a running server.

    .venv/bin/python bench/ingest.py [--header 'Authorization: Bearer …'] [--calls 100]

Each worker (`--concurrency`, default 1: one trainer) starts a run of its own (startRun) and
sends `--calls` reportRunMetrics of `--batch` points (default 1,000, the most one call takes),
one at a time, after `--warmup` unmeasured calls; then it completes the run. Printed: points/s
over the measured calls (all workers), and the per-call latency p50/p99 (nearest rank). The
request bodies are built before the clock starts, so the figure is the server's.

Credentials: `--header` (an access token or an API key with experiment:write), else a
throw-away account is signed up. Target: `--experiment-id`, else the first experiment the
credential sees, else a new organization/project/experiment (needs a login, not a key).
The server's rate limit (600 requests/min per user by default) caps long runs: start the
server with AIPLATFORM_RATE_LIMIT_ENABLED=false to go beyond it.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import secrets
import sys
import time
from typing import Any

import httpx
import orjson

REPORT = ("mutation R($input: ReportRunMetricsInput!) { reportRunMetrics(input: $input) "
          "{ accepted userErrors { code message } } }")
START = ("mutation S($input: StartRunInput!) { startRun(input: $input) "
         "{ run { id } userErrors { code message } } }")
COMPLETE = ("mutation C($input: CompleteRunInput!) { completeRun(input: $input) "
            "{ run { status } userErrors { code message } } }")


ENDPOINT = "/graphql"  # the path of --url; the client's base URL is its origin


class BenchError(Exception):
    pass


async def call(http: httpx.AsyncClient, query: str, variables: dict[str, Any], field: str
               ) -> dict[str, Any]:
    response = await http.post(ENDPOINT, content=orjson.dumps({"query": query,
                                                          "variables": variables}))
    body = response.json()
    if response.status_code != 200 or body.get("errors"):
        raise BenchError(f"{field}: HTTP {response.status_code}: {body.get('errors')}")
    payload = body["data"][field]
    if payload.get("userErrors"):
        raise BenchError(f"{field}: {payload['userErrors']}")
    return payload  # type: ignore[no-any-return]


async def sign_up(http: httpx.AsyncClient) -> None:
    name = f"ingest-bench-{secrets.token_hex(4)}"
    payload = await call(http, "mutation ($input: SignUpInput!) { signUp(input: $input) "
                               "{ accessToken userErrors { code message } } }",
                         {"input": {"email": f"{name}@example.com", "username": name,
                                    "password": secrets.token_urlsafe(16)}}, "signUp")
    http.headers["authorization"] = f"Bearer {payload['accessToken']}"
    log(f"signed up {name}")


async def find_experiment(http: httpx.AsyncClient, signed_up: bool) -> str:
    if not signed_up:
        response = await http.post(ENDPOINT, json={"query": "{ experiments(first: 1) "
                                                      "{ edges { node { id } } } }"})
        edges = response.json()["data"]["experiments"]["edges"]
        if edges:
            return edges[0]["node"]["id"]  # type: ignore[no-any-return]
    slug = f"ingest-bench-{secrets.token_hex(4)}"
    org = await call(http, "mutation ($input: CreateOrganizationInput!) { createOrganization("
                           "input: $input) { organization { id } userErrors { code message } } }",
                     {"input": {"name": slug, "slug": slug}}, "createOrganization")
    project = await call(http, "mutation ($input: CreateProjectInput!) { createProject("
                               "input: $input) { project { id } userErrors { code message } } }",
                         {"input": {"organizationId": org["organization"]["id"],
                                    "name": "ingest"}}, "createProject")
    experiment = await call(http, "mutation ($input: CreateExperimentInput!) { "
                                  "createExperiment(input: $input) { experiment { id } "
                                  "userErrors { code message } } }",
                            {"input": {"projectId": project["project"]["id"],
                                       "name": "ingest"}}, "createExperiment")
    return experiment["experiment"]["id"]  # type: ignore[no-any-return]


def bodies(run_id: str, calls: int, batch: int) -> list[bytes]:
    """Every request body of one worker, built before the clock starts."""
    out = []
    for c in range(calls):
        points = []
        for i in range(batch):
            step = c * batch + i
            points.append({"step": step, "epoch": step // 10_000, "loss": 2.0 / (1 + step / 500),
                           "accuracy": 1 - 1 / (1 + step / 1000), "learningRate": 3e-4,
                           "custom": {"grad_norm": round(1 + (step % 13) / 13, 4)}})
        out.append(orjson.dumps({"query": REPORT, "variables": {
            "input": {"runId": run_id, "points": points}}}))
    return out


async def worker(http: httpx.AsyncClient, experiment_id: str, args: argparse.Namespace,
                 start: asyncio.Barrier, latencies: list[float]) -> None:
    run = await call(http, START, {"input": {
        "experimentId": experiment_id, "name": "ingest-bench",
        "totalSteps": (args.warmup + args.calls) * args.batch}}, "startRun")
    run_id = run["run"]["id"]
    requests = bodies(run_id, args.warmup + args.calls, args.batch)
    for body in requests[:args.warmup]:
        await post_report(http, body, args.batch)
    await start.wait()  # every worker warmed up: the clock starts
    for body in requests[args.warmup:]:
        began = time.perf_counter()
        await post_report(http, body, args.batch)
        latencies.append(time.perf_counter() - began)
    await call(http, COMPLETE, {"input": {"runId": run_id}}, "completeRun")


async def post_report(http: httpx.AsyncClient, body: bytes, batch: int) -> None:
    response = await http.post(ENDPOINT, content=body)
    answer = response.json()
    if response.status_code != 200 or answer.get("errors") or \
            answer["data"]["reportRunMetrics"]["accepted"] != batch:
        raise BenchError(f"reportRunMetrics: HTTP {response.status_code}: {answer}")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


async def main(args: argparse.Namespace) -> int:
    headers = {"content-type": "application/json"}
    for header in args.header:
        name, _, value = header.partition(":")
        headers[name.strip().lower()] = value.strip()
    global ENDPOINT
    url = httpx.URL(args.url)
    ENDPOINT = url.raw_path.decode()
    limits = httpx.Limits(max_connections=args.concurrency + 1)
    async with httpx.AsyncClient(base_url=url.copy_with(raw_path=b"/"), headers=headers,
                                 timeout=args.timeout, limits=limits) as http:
        signed_up = "authorization" not in headers
        if signed_up:
            await sign_up(http)
        experiment_id = args.experiment_id or await find_experiment(http, signed_up)
        start, latencies = asyncio.Barrier(args.concurrency + 1), []
        tasks = [asyncio.create_task(worker(http, experiment_id, args, start, latencies))
                 for _ in range(args.concurrency)]
        warmed = asyncio.create_task(start.wait())
        await asyncio.wait([warmed, *tasks], return_when=asyncio.FIRST_COMPLETED)
        if not warmed.done():  # a worker failed during its warm-up
            warmed.cancel()
            await asyncio.gather(*tasks)
        cpu, began = time.process_time(), time.perf_counter()
        server_cpu = process_cpu(args.server_pid)
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - began
        server_cpu = process_cpu(args.server_pid) - server_cpu
    points = len(latencies) * args.batch
    print(f"| clients | calls | points/call | points | seconds | points/s | p50 ms | p99 ms |\n"
          f"|---:|---:|---:|---:|---:|---:|---:|---:|\n"
          f"| {args.concurrency} | {len(latencies)} | {args.batch} | {points} | {elapsed:.2f} "
          f"| {points / elapsed:,.0f} | {percentile(latencies, 50) * 1000:.1f} "
          f"| {percentile(latencies, 99) * 1000:.1f} |")
    sys.stdout.flush()
    log(f"client CPU {time.process_time() - cpu:.2f} s over {elapsed:.2f} s (includes "
        "completing the runs)")
    if args.server_pid:
        log(f"server process CPU {server_cpu * 1000 / len(latencies):.1f} ms per call "
            f"({server_cpu / elapsed:.0%} of one core; PostgreSQL not included)")
    return 0


def process_cpu(pid: int | None) -> float:
    """User + system CPU seconds of a process (Linux /proc), 0 without a pid."""
    if not pid:
        return 0.0
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def log(message: str) -> None:
    print(f"[ingest {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000/graphql")
    parser.add_argument("--header", action="append", default=[],
                        help="'Name: value', repeatable, e.g. 'Authorization: Bearer …'")
    parser.add_argument("--experiment-id", help="the runs' experiment (global ID)")
    parser.add_argument("--calls", type=int, default=100, help="measured calls, all workers")
    parser.add_argument("--batch", type=int, default=1000, help="points per call (<= 1000)")
    parser.add_argument("--warmup", type=int, default=3, help="unmeasured calls per worker")
    parser.add_argument("--concurrency", type=int, default=1, help="workers, one run each")
    parser.add_argument("--timeout", type=float, default=60)
    parser.add_argument("--server-pid", type=int, help="also report this process's CPU per "
                                                        "call (Linux; the server on this host)")
    args = parser.parse_args(argv)
    args.calls = max(1, args.calls // args.concurrency)  # per worker from here on
    return args


if __name__ == "__main__":
    try:
        sys.exit(asyncio.run(main(parse_args())))
    except BenchError as failed:
        sys.exit(f"ingest: {failed}")
