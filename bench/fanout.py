#!/usr/bin/env python3
"""Subscription fan-out benchmark of a running server (see bench/README.md, "Fan-out").

N websocket clients subscribe to one deployment's `deploymentStatus` (the real GraphQL
subscription path: connection_init with a bearer token, one operation per socket, half of them
on graphql-transport-ws and half on graphql-ws by default); then M status changes are made
with the `updateDeploymentStatus` mutation over HTTP, as a client of the API would. Each event
carries the server's `publishedAt` (taken just before the Redis PUBLISH, after the commit), and
each client notes the wall-clock time a message arrives: the difference is the
publish-to-receive latency (client and server share the machine's clock). A client does no
more than that while events arrive: websockets' sans-I/O client parses the frames in the
socket's `data_received`, where the arrival time is noted and the message kept (no task, future
or JSON per message; messages are parsed after the run), and the client's garbage collector is
paused meanwhile, so 1,000 clients in one process measure the server rather than themselves.

It starts nothing but its clients. Unless `--token` and `--deployment` name an existing
deployment, it signs up a fresh user and creates an organization, a model, a version and a
deployment through the API, so it runs against any server, e.g. `aiplatform serve`.
Prints a markdown table; exits 1 if any subscriber missed an event or was dropped.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import math
import platform
import secrets
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import orjson
from ws_client import Counter, Socket

TRANSPORT_WS, LEGACY_WS = "graphql-transport-ws", "graphql-ws"
SUBSCRIPTION = """subscription ($id: ID!) {
  deploymentStatus(id: $id) { publishedAt previousStatus deployment { status } }
}"""
CHANGE = """mutation ($input: UpdateDeploymentStatusInput!) {
  updateDeploymentStatus(input: $input) { deployment { status } userErrors { code message } }
}"""
CYCLE = ("DEPLOYING", "RUNNING", "STOPPED")  # pending → deploying → running → stopped → ...


class ENDPOINT:  # set once from --url
    url = ""


def log(message: str) -> None:
    """Progress to stderr (stdout carries the table only)."""
    print(message, file=sys.stderr, flush=True)


# ------------------------------------------------------------------ setup through the API


async def graphql(http: httpx.AsyncClient, query: str, variables: dict[str, Any],
                  token: str | None = None) -> dict[str, Any]:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    response = await http.post(ENDPOINT.url, json={"query": query, "variables": variables},
                               headers=headers)
    try:
        body = response.json()
    except ValueError:
        body = {"errors": [response.text[:200]]}
    if response.status_code != 200 or body.get("errors"):
        raise SystemExit(f"request failed ({response.status_code}): {body}")
    return body["data"]


def payload(data: dict[str, Any], name: str) -> dict[str, Any]:
    result = data[name]
    if result.get("userErrors"):
        raise SystemExit(f"{name}: {result['userErrors']}")
    return result


async def create_deployment(http: httpx.AsyncClient) -> tuple[str, str]:
    """A fresh user, organization, model, version and deployment: (token, deployment id)."""
    tag = secrets.token_hex(4)
    signed = payload(await graphql(http, """mutation ($input: SignUpInput!) {
        signUp(input: $input) { accessToken userErrors { code message } } }""", {"input": {
        "email": f"fanout-{tag}@example.com", "username": f"fanout-{tag}",
        "password": secrets.token_urlsafe(16)}}), "signUp")
    token = signed["accessToken"]
    org = payload(await graphql(http, """mutation ($input: CreateOrganizationInput!) {
        createOrganization(input: $input) { organization { id } userErrors { code message } }
        }""", {"input": {"name": f"Fan-out {tag}", "slug": f"fanout-{tag}"}}, token),
        "createOrganization")["organization"]["id"]
    model = payload(await graphql(http, """mutation ($input: CreateModelInput!) {
        createModel(input: $input) { model { id } userErrors { code message } } }""", {"input": {
        "organizationId": org, "name": "fanout-model", "provider": "local",
        "modelType": "chat"}}, token), "createModel")["model"]["id"]
    version = payload(await graphql(http, """mutation ($input: CreateModelVersionInput!) {
        createModelVersion(input: $input) { modelVersion { id } userErrors { code message } }
        }""", {"input": {"modelId": model, "version": "v1"}}, token),
        "createModelVersion")["modelVersion"]["id"]
    deployment = payload(await graphql(http, """mutation ($input: CreateDeploymentInput!) {
        createDeployment(input: $input) { deployment { id } userErrors { code message } } }""",
        {"input": {"modelVersionId": version, "name": "fanout"}}, token),
        "createDeployment")["deployment"]["id"]
    return token, deployment


# ------------------------------------------------------------------ subscribers


@dataclass
class Subscriber:
    """One websocket with one deploymentStatus operation."""

    protocol: str
    arrivals: list[tuple[float, str | bytes]] = field(default_factory=list)  # (time, message)
    latencies: list[float] = field(default_factory=list)  # seconds, one per event received
    published: list[str] = field(default_factory=list)  # each event's publishedAt, same order
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    subscribed: bool = False
    error: str | None = None

    async def run(self, ws_url: str, token: str, deployment: str, counter: Counter,
                  expected: int) -> None:
        """Subscribe, then note when each of `expected` events arrives (until cancelled)."""
        legacy = self.protocol == LEGACY_WS
        try:
            socket = await Socket.open(ws_url, self.protocol)
            try:
                socket.send({"type": "connection_init",
                             "payload": {"Authorization": f"Bearer {token}"}})
                ack = orjson.loads(await socket.receive())
                if ack.get("type") != "connection_ack":
                    raise RuntimeError(f"no ack: {ack}")
                socket.send({"id": "1", "type": "start" if legacy else "subscribe",
                             "payload": {"query": SUBSCRIPTION, "variables": {"id": deployment}}})
                first = orjson.loads(await socket.receive())  # the deployment as it is
                if first.get("type") not in ("data", "next") or first["payload"].get("errors"):
                    raise RuntimeError(f"subscription refused: {first}")
                self.subscribed = True
                self.ready.set()
                await socket.record(self.arrivals, expected, counter)
            finally:
                socket.close()
        except Exception as failure:  # reported, not raised: one bad client must not hide others
            self.error = f"{type(failure).__name__}: {failure}"
            self.ready.set()

    def digest(self) -> None:
        """Latency of each event received, from the messages kept during the run."""
        for arrived, raw in self.arrivals:
            message = orjson.loads(raw)
            if message.get("type") not in ("data", "next"):
                self.error = self.error or f"unexpected message: {message}"
                return
            if message["payload"].get("errors"):
                self.error = self.error or f"error event: {message['payload']['errors']}"
                return
            published = message["payload"]["data"]["deploymentStatus"]["publishedAt"]
            self.latencies.append(arrived - datetime.fromisoformat(published).timestamp())
            self.published.append(published)


def server_cpu(pid: int | None) -> float:
    """CPU seconds (user + system) used so far by the server process and its children."""
    if pid is None:
        return 0.0
    import psutil

    process = psutil.Process(pid)
    total = 0.0
    for p in [process, *process.children(recursive=True)]:
        if "postgres" in p.name() or "redis" in p.name():
            continue  # the embedded database servers are not the fan-out
        times = p.cpu_times()
        total += times.user + times.system
    return total


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest rank."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def ws_url_of(http_url: str) -> str:
    parts = urlsplit(http_url)
    return urlunsplit(parts._replace(scheme="wss" if parts.scheme == "https" else "ws"))


async def main(args: argparse.Namespace) -> int:
    ws_url, ENDPOINT.url = ws_url_of(args.url), args.url
    async with httpx.AsyncClient(timeout=60) as http:
        if args.token and args.deployment:
            token, deployment = args.token, args.deployment
        else:
            log("creating a user, organization, model, version and deployment ...")
            token, deployment = await create_deployment(http)

        protocols = {"transport": [TRANSPORT_WS], "legacy": [LEGACY_WS],
                     "mixed": [TRANSPORT_WS, LEGACY_WS]}[args.protocol]
        subscribers = [Subscriber(protocols[i % len(protocols)]) for i in range(args.subscribers)]
        counter = Counter()
        log(f"connecting {args.subscribers} subscribers ({args.protocol}) ...")
        started = time.perf_counter()
        gate = asyncio.Semaphore(args.connect_concurrency)

        async def start(subscriber: Subscriber) -> None:
            async with gate:
                tasks.append(asyncio.create_task(
                    subscriber.run(ws_url, token, deployment, counter, args.events)))
                await subscriber.ready.wait()

        tasks: list[asyncio.Task[None]] = []
        await asyncio.gather(*(start(s) for s in subscribers))
        connect_seconds = time.perf_counter() - started
        refused = [s.error for s in subscribers if s.error and not s.subscribed]
        if refused:
            log(f"{len(refused)} subscribers failed to subscribe, first: {refused[0]}")
        live = args.subscribers - len(refused)
        log(f"{live} subscribed in {connect_seconds:.1f} s; publishing {args.events} events "
            f"({'closed loop' if args.interval == 0 else f'every {args.interval} s'}) ...")

        server_cpu_before = server_cpu(args.server_pid)
        gc.disable()  # the clients' pauses are not the server's latency
        cpu_before, wall_before = time.process_time(), time.perf_counter()
        mutation_ms: list[float] = []
        for i in range(args.events):
            tick = time.perf_counter()
            data = await graphql(http, CHANGE, {"input": {
                "deploymentId": deployment, "status": CYCLE[i % len(CYCLE)]}}, token)
            payload(data, "updateDeploymentStatus")
            mutation_ms.append((time.perf_counter() - tick) * 1000)
            if args.interval == 0:
                await counter.reach(live * (i + 1), args.timeout)
            else:
                await asyncio.sleep(max(0.0, args.interval - (time.perf_counter() - tick)))
        complete = await counter.reach(live * args.events, args.timeout)
        wall = time.perf_counter() - wall_before
        client_cpu = time.process_time() - cpu_before
        server_cpu_used = server_cpu(args.server_pid) - server_cpu_before
        gc.enable()
        for task in tasks:
            task.cancel()  # those still waiting for a missing event
        await asyncio.gather(*tasks, return_exceptions=True)

    for s in subscribers:
        s.digest()

    latencies = sorted(x for s in subscribers for x in s.latencies)
    last_delivery: dict[str, float] = {}  # per event: when its last subscriber had it
    for s in subscribers:
        for published, latency in zip(s.published, s.latencies, strict=True):
            last_delivery[published] = max(latency, last_delivery.get(published, 0.0))
    bursts = sorted(last_delivery.values())
    delivered = len(latencies)
    missing = live * args.events - delivered
    dropped = [s.error for s in subscribers if s.error and s.subscribed]
    result = {
        "subscribers": live, "protocol": args.protocol, "events": args.events,
        "interval_s": args.interval, "connect_s": round(connect_seconds, 2),
        "delivered": delivered, "missing": missing, "dropped": len(dropped),
        "wall_s": round(wall, 3), "events_per_s": round(delivered / wall, 1),
        "p50_ms": round(percentile(latencies, 50) * 1000, 1),
        "p90_ms": round(percentile(latencies, 90) * 1000, 1),
        "p99_ms": round(percentile(latencies, 99) * 1000, 1),
        "max_ms": round(latencies[-1] * 1000, 1) if latencies else math.nan,
        "last_delivery_p50_ms": round(percentile(bursts, 50) * 1000, 1),
        "last_delivery_max_ms": round(bursts[-1] * 1000, 1) if bursts else math.nan,
        "mutation_p50_ms": round(percentile(sorted(mutation_ms), 50), 1),
        "client_cpu_us_per_event": round(client_cpu / max(delivered, 1) * 1e6, 1),
        "client_cores": round(client_cpu / wall, 2),
        "server_cpu_us_per_event": (round(server_cpu_used / max(delivered, 1) * 1e6, 1)
                                    if args.server_pid else None),
        "server_cores": round(server_cpu_used / wall, 2) if args.server_pid else None,
    }
    print_table(result)
    if args.json_out:
        await asyncio.to_thread(write_json, args.json_out, {
            **result, "python": platform.python_version(),
            "last_delivery_ms": [round(b * 1000, 1) for b in bursts],
            "first_errors": (refused + dropped)[:3]})
    if dropped:
        log(f"first dropped subscriber: {dropped[0]}")
    return 0 if complete and not missing and not refused and not dropped else 1


def write_json(path: str, figures: dict[str, Any]) -> None:
    with open(path, "w") as out:
        json.dump(figures, out, indent=2)


def print_table(r: dict[str, Any]) -> None:
    print("| subscribers | protocol | events | interval s | delivered | events/s delivered "
          "| p50 ms | p90 ms | p99 ms | max ms | missing | dropped |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    print(f"| {r['subscribers']} | {r['protocol']} | {r['events']} | {r['interval_s']} "
          f"| {r['delivered']} | {r['events_per_s']} | {r['p50_ms']} | {r['p90_ms']} "
          f"| {r['p99_ms']} | {r['max_ms']} | {r['missing']} | {r['dropped']} |")
    print()
    print(f"Last subscriber of an event served after {r['last_delivery_p50_ms']} ms (median "
          f"over events), {r['last_delivery_max_ms']} ms at worst.")
    print(f"Subscribed in {r['connect_s']} s; mutation p50 {r['mutation_p50_ms']} ms; "
          f"client CPU {r['client_cpu_us_per_event']} µs per delivered event "
          f"({r['client_cores']} cores).")
    if r["server_cpu_us_per_event"] is not None:
        print(f"Server CPU {r['server_cpu_us_per_event']} µs per delivered event "
              f"({r['server_cores']} cores), publishing included.")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000/graphql",
                        help="GraphQL endpoint (the websocket URL is derived from it)")
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--events", type=int, default=100)
    parser.add_argument("--interval", type=float, default=0.25,
                        help="seconds between status changes; 0 = closed loop (the next change "
                             "once every subscriber received the previous one)")
    parser.add_argument("--protocol", choices=("mixed", "transport", "legacy"), default="mixed",
                        help="graphql-transport-ws, graphql-ws, or half each")
    parser.add_argument("--connect-concurrency", type=int, default=50)
    parser.add_argument("--timeout", type=float, default=60,
                        help="seconds to wait for the last deliveries")
    parser.add_argument("--token", help="bearer token of a user who may manage --deployment")
    parser.add_argument("--deployment", help="global ID of an existing deployment")
    parser.add_argument("--server-pid", type=int,
                        help="the server's process id: also report its CPU per delivered event")
    parser.add_argument("--json-out", help="write all figures as JSON to this path")
    return parser.parse_args(argv)


if __name__ == "__main__":
    try:
        import uvloop

        uvloop.install()
    except ImportError:  # pragma: no cover - uvloop is a project dependency
        pass
    sys.exit(asyncio.run(main(parse_args())))
