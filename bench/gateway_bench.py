#!/usr/bin/env python3
"""Gateway overhead benchmark (see bench/README.md, "Gateway"): what `/v1/chat/completions`
adds to a streamed completion compared with calling the same upstream directly.

It starts the OpenAI-compatible stub (tests/chat/openai_stub_server.py, no delay between
pieces) unless `--upstream` names one, then, through the API of a running server (`--url`),
signs up a fresh user, creates an organization, an `openai_compatible` model pointing at the
stub, a version, a running deployment and an API key with `inference:invoke`. For each
concurrency (1 and 50 streams by default) and each reply length (a short and a long prompt:
the stub echoes it word by word, one piece per word), N streamed completions go to the stub
directly and N through the gateway. The time to the last byte of each is measured by the same
client; the difference of the medians is the added latency, and its growth from the short to
the long reply, divided by the extra pieces, the added latency per token. With
`--server-pid`, the server's CPU time during the gateway runs is measured too: the direct runs
do not involve the server, so it is all the gateway's work (per request, and per token from
the short to the long reply), a figure that moves less with what else runs on the machine.

Prints a markdown table (stdout); progress goes to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import secrets
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
SHORT_WORDS, LONG_WORDS = 1, 256


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


async def graphql(http: httpx.AsyncClient, url: str, query: str, variables: dict[str, Any],
                  token: str | None = None, name: str = "") -> dict[str, Any]:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    response = await http.post(url, json={"query": query, "variables": variables},
                               headers=headers)
    body = response.json()
    if response.status_code != 200 or body.get("errors"):
        raise SystemExit(f"request failed ({response.status_code}): {body}")
    result = body["data"][name]
    if result.get("userErrors"):
        raise SystemExit(f"{name}: {result['userErrors']}")
    return result


async def set_up(url: str, upstream: str) -> tuple[str, str]:
    """A fresh organization whose running deployment `bench-echo` calls the stub: (API key,
    deployment name)."""
    tag = secrets.token_hex(4)
    async with httpx.AsyncClient(timeout=60) as http:
        signed = await graphql(http, url, """mutation ($input: SignUpInput!) {
            signUp(input: $input) { accessToken userErrors { code message } } }""", {"input": {
            "email": f"gateway-{tag}@example.com", "username": f"gateway-{tag}",
            "password": secrets.token_urlsafe(16)}}, name="signUp")
        token = signed["accessToken"]
        org = (await graphql(http, url, """mutation ($input: CreateOrganizationInput!) {
            createOrganization(input: $input) { organization { id } userErrors { code message } }
            }""", {"input": {"name": f"Gateway {tag}", "slug": f"gateway-{tag}"}}, token,
            "createOrganization"))["organization"]["id"]
        model = (await graphql(http, url, """mutation ($input: CreateModelInput!) {
            createModel(input: $input) { model { id } userErrors { code message } } }""",
            {"input": {"organizationId": org, "name": "bench-upstream",
                       "provider": "openai_compatible", "modelType": "chat",
                       "config": {"base_url": upstream, "model": "stub-echo"}}}, token,
            "createModel"))["model"]["id"]
        version = (await graphql(http, url, """mutation ($input: CreateModelVersionInput!) {
            createModelVersion(input: $input) { modelVersion { id } userErrors { code message } }
            }""", {"input": {"modelId": model, "version": "v1"}}, token,
            "createModelVersion"))["modelVersion"]["id"]
        deployment = (await graphql(http, url, """mutation ($input: CreateDeploymentInput!) {
            createDeployment(input: $input) { deployment { id } userErrors { code message } }
            }""", {"input": {"modelVersionId": version, "name": "bench-echo"}}, token,
            "createDeployment"))["deployment"]["id"]
        for status in ("DEPLOYING", "RUNNING"):
            await graphql(http, url, """mutation ($input: UpdateDeploymentStatusInput!) {
                updateDeploymentStatus(input: $input) { userErrors { code message } } }""",
                {"input": {"deploymentId": deployment, "status": status}}, token,
                "updateDeploymentStatus")
        key = (await graphql(http, url, """mutation ($input: CreateApiKeyInput!) {
            createApiKey(input: $input) { secret userErrors { code message } } }""",
            {"input": {"organizationId": org, "name": "bench",
                       "scopes": ["inference:invoke"]}}, token, "createApiKey"))["secret"]
    return key, "bench-echo"


async def one_stream(http: httpx.AsyncClient, url: str, body: dict[str, Any],
                     headers: dict[str, str]) -> tuple[float, int]:
    """Seconds to the last byte of one streamed completion, and its content chunks."""
    began = time.perf_counter()
    pieces = 0
    async with http.stream("POST", url, json=body, headers=headers) as response:
        if response.status_code != 200:
            raise SystemExit(f"{url}: HTTP {response.status_code}: {await response.aread()}")
        async for line in response.aiter_lines():
            if line.startswith("data: {") and '"content":"' in line:
                pieces += 1
    return time.perf_counter() - began, pieces


async def load(url: str, body: dict[str, Any], headers: dict[str, str], concurrency: int,
               total: int) -> tuple[list[float], int]:
    """`total` streams, `concurrency` at a time (a closed loop): their latencies."""
    latencies: list[float] = []
    pieces = 0
    remaining = total
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=120, limits=limits) as http:
        async def client() -> None:
            nonlocal remaining, pieces
            while remaining > 0:
                remaining -= 1
                seconds, count = await one_stream(http, url, body, headers)
                latencies.append(seconds)
                pieces = count
        await asyncio.gather(*(client() for _ in range(concurrency)))
    return latencies, pieces


def server_cpu(pid: int | None) -> float:
    """CPU seconds (user + system) used so far by the server process and its children, less
    the embedded PostgreSQL and Redis (not the gateway)."""
    if pid is None:
        return 0.0
    import psutil

    process = psutil.Process(pid)
    total = 0.0
    for p in [process, *process.children(recursive=True)]:
        if "postgres" in p.name() or "redis" in p.name():
            continue
        times = p.cpu_times()
        total += times.user + times.system
    return total


def median_ms(values: list[float]) -> float:
    return statistics.median(values) * 1000


async def measure(args: argparse.Namespace, upstream: str) -> list[dict[str, Any]]:
    key, name = await set_up(args.url.rstrip("/") + "/graphql", upstream)
    gateway = args.url.rstrip("/") + "/v1/chat/completions"
    direct = upstream.rstrip("/") + "/chat/completions"
    rows = []
    for concurrency in args.concurrency:
        total = max(args.requests, concurrency * 4)
        figures: dict[str, Any] = {"concurrency": concurrency, "requests": total}
        for label, words in (("short", SHORT_WORDS), ("long", LONG_WORDS)):
            prompt = " ".join(f"word{i}" for i in range(words))
            direct_body = {"model": "stub-echo", "stream": True,
                           "messages": [{"role": "user", "content": prompt}]}
            gateway_body = {**direct_body, "model": name}
            await load(direct, direct_body, {}, concurrency, concurrency)  # warm-up
            await load(gateway, gateway_body, {"authorization": f"Bearer {key}"}, concurrency,
                       concurrency)
            log(f"{concurrency} streams, {label} reply: {total} direct, {total} through the "
                "gateway")
            plain, pieces = await load(direct, direct_body, {}, concurrency, total)
            cpu = server_cpu(args.server_pid)
            through, _ = await load(gateway, gateway_body, {"authorization": f"Bearer {key}"},
                                    concurrency, total)
            figures[label] = {"pieces": pieces, "direct_ms": median_ms(plain),
                              "gateway_ms": median_ms(through),
                              "gateway_p95_ms": sorted(through)[int(0.95 * (total - 1))] * 1000,
                              "cpu_ms": (server_cpu(args.server_pid) - cpu) * 1000 / total}
        short, long = figures["short"], figures["long"]
        added_short = short["gateway_ms"] - short["direct_ms"]
        added_long = long["gateway_ms"] - long["direct_ms"]
        figures["added_per_request_ms"] = added_short
        extra_pieces = max(1, long["pieces"] - short["pieces"])
        figures["added_per_token_us"] = (added_long - added_short) * 1000 / extra_pieces
        figures["cpu_per_token_us"] = (long["cpu_ms"] - short["cpu_ms"]) * 1000 / extra_pieces
        rows.append(figures)
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    lines = ["| streams | requests | short reply p50 ms: direct / gateway | long reply "
             f"({rows[0]['long']['pieces']} pieces) p50 ms: direct / gateway | gateway p95 ms "
             "short / long | added per request ms | added per token µs | server CPU per "
             "request ms (short reply) | server CPU per token µs |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        s, g = r["short"], r["long"]
        lines.append(f"| {r['concurrency']} | {r['requests']} | {s['direct_ms']:.1f} / "
                     f"{s['gateway_ms']:.1f} | {g['direct_ms']:.1f} / {g['gateway_ms']:.1f} | "
                     f"{s['gateway_p95_ms']:.1f} / {g['gateway_p95_ms']:.1f} | "
                     f"{r['added_per_request_ms']:.2f} | {r['added_per_token_us']:.1f} | "
                     f"{s['cpu_ms']:.2f} | {r['cpu_per_token_us']:.1f} |")
    return "\n".join(lines)


def start_stub() -> tuple[subprocess.Popen, str]:
    sys.path.insert(0, str(ROOT))
    from tests.servers import free_port, wait_healthy

    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "STUB_API_KEY"}
    proc = subprocess.Popen([sys.executable, "-m", "tests.chat.openai_stub_server",
                             "--port", str(port)], cwd=ROOT, env=env)
    wait_healthy(f"http://127.0.0.1:{port}/healthz", proc)
    return proc, f"http://127.0.0.1:{port}/v1"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000",
                        help="the server's base URL (default %(default)s)")
    parser.add_argument("--upstream", help="an OpenAI-compatible stub's /v1 URL "
                                           "(default: start tests/chat/openai_stub_server.py)")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 50])
    parser.add_argument("--server-pid", type=int,
                        help="the server's process id, to measure its CPU time")
    parser.add_argument("--requests", type=int, default=200,
                        help="streams per concurrency, length and path (default %(default)s)")
    args = parser.parse_args()
    proc, upstream = (None, args.upstream) if args.upstream else start_stub()
    try:
        rows = asyncio.run(measure(args, upstream))
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait()
    print(f"gateway_bench on {platform.node()}, {os.cpu_count()} CPUs, load "
          f"{os.getloadavg()[0]:.1f}")
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
