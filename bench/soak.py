#!/usr/bin/env python3
"""Soak: a mixed load against two server processes for N minutes, one line per minute.

It starts its own PostgreSQL and Redis (embedded, in a temporary folder), loads a small demo
data set, and runs two uvicorn processes of the app on them, like two production replicas.
Clients, each bound to one process, loop over a mix: a nested query, a chat message whose
reply they watch stream over a websocket subscription held on the *other* process (so every
reply crosses Redis pub/sub), a metrics report, and a run subscription opened, fed from the
other process and closed. Every minute it prints, per process: resident memory (RSS), requests,
errors and the p99 of HTTP requests; at the end, the RSS growth after the warm-up minute.
Exit status 1 when any request failed or memory grew 10 % or more.

    .venv/bin/python bench/soak.py --minutes 30

Only loopback addresses are used; the loops stop by themselves at the deadline.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import asyncpg
import httpx
import websockets
from soak_client import LIMITS, WAIT, Caller, Server, Subscription, Tally, graphql
from strawberry.relay import to_base64

from app.demo_data.identity import DEMO_PASSWORD
from app.embedded import EmbeddedServices

ROOT = Path(__file__).resolve().parents[1]

NESTED = """query Soak { organizations(first: 3) { edges { node { name
  members(first: 5) { edges { node { role user { username } } } } } } } }"""
LOG_IN = """mutation ($input: LogInInput!) { logIn(input: $input) { accessToken refreshToken
  userErrors { code } } }"""
REFRESH = """mutation ($input: RefreshTokenInput!) { refreshToken(input: $input) { accessToken
  refreshToken userErrors { code } } }"""

CREATE_MODEL = """mutation ($input: CreateModelInput!) { createModel(input: $input) {
  model { id } userErrors { code message } } }"""
CREATE_CHAT = """mutation ($input: CreateChatSessionInput!) { createChatSession(input: $input) {
  chatSession { id } userErrors { code message } } }"""
SEND = """mutation ($input: SendMessageInput!) { sendMessage(input: $input) {
  replyMessageId userErrors { code message } } }"""
REPORT = """mutation ($input: ReportRunMetricsInput!) { reportRunMetrics(input: $input) {
  accepted userErrors { code message } } }"""
STREAM = """subscription ($id: ID!) { chatMessageStream(sessionId: $id) { __typename
  ... on ChatMessageCompleted { message { id } } ... on ChatMessageFailed { messageId error } } }"""
PROGRESS = """subscription ($id: ID!) { runProgress(runId: $id) { __typename } }"""
TURNS_PER_CHAT = 10  # then a caller starts a new chat: a steady load, not ever longer histories
async def chat_turn(here: Server, there: Server, http: httpx.AsyncClient, caller: Caller,
                    rng: random.Random) -> None:
    slot = rng.randrange(len(caller.chats))
    chat = caller.chats[slot]
    caller.turns[chat] += 1
    if caller.turns[chat] > TURNS_PER_CHAT:
        created = await graphql(here, http, CREATE_CHAT, {"input": {"modelId": caller.model}},
                                caller)
        if created is None:
            return
        chat = caller.chats[slot] = created["createChatSession"]["chatSession"]["id"]
    try:
        async with Subscription(there, caller.token, STREAM, {"id": chat}) as stream:
            await asyncio.sleep(0)  # let the subscribe frame go first
            sent = await graphql(here, http, SEND, {"input": {
                "sessionId": chat, "content": f"soak {rng.random():.6f}"}}, caller)
            if sent is None:
                return
            reply = sent["sendMessage"]["replyMessageId"]
            while True:
                event = await stream.until({"ChatMessageCompleted", "ChatMessageFailed"})
                if event["__typename"] == "ChatMessageFailed":
                    there.minute.errors["reply failed"] += 1
                    return
                if event["message"]["id"] == reply:
                    return
    except (TimeoutError, RuntimeError, OSError, websockets.WebSocketException) as error:
        there.minute.errors[f"stream {type(error).__name__}"] += 1


async def run_turn(here: Server, there: Server, http: httpx.AsyncClient, caller: Caller,
                   rng: random.Random) -> None:
    run = rng.choice(caller.runs)
    try:
        async with Subscription(there, caller.token, PROGRESS, {"id": run}) as progress:
            await progress.until({"RunStatusChanged"})  # the run as it is: subscribed
            await report(here, http, caller, run)
            await progress.until({"RunMetricsReported"})
    except (TimeoutError, RuntimeError, OSError, websockets.WebSocketException) as error:
        there.minute.errors[f"progress {type(error).__name__}"] += 1


async def report(server: Server, http: httpx.AsyncClient, caller: Caller, run: str) -> None:
    caller.step += 10
    points = [{"step": caller.step + i, "loss": 1 / (caller.step + i)} for i in range(10)]
    await graphql(server, http, REPORT, {"input": {"runId": run, "points": points}}, caller)


async def client(index: int, servers: list[Server], caller: Caller, deadline: float) -> None:
    rng = random.Random(index)
    here, there = servers[index % 2], servers[(index + 1) % 2]
    async with httpx.AsyncClient(timeout=WAIT, limits=LIMITS) as http:
        while time.monotonic() < deadline:
            kind = rng.choices(("query", "chat", "report", "subscribe"), (50, 15, 15, 20))[0]
            if kind == "query":
                await graphql(here, http, NESTED, {}, caller)
            elif kind == "chat":
                await chat_turn(here, there, http, caller, rng)
            elif kind == "report":
                await report(here, http, caller, rng.choice(caller.runs))
            else:
                await run_turn(here, there, http, caller, rng)


async def callers(database_url: str, server: Server, count: int) -> list[Caller]:
    """Owners of the demo organizations, each with a local chat model, chats and running runs."""
    con = await asyncpg.connect(database_url.replace("+asyncpg", ""))
    try:
        owners = await con.fetch(
            "SELECT u.username, m.organization_id FROM memberships m JOIN users u "
            "ON u.id = m.user_id WHERE m.role = 'owner' ORDER BY u.username LIMIT $1", count)
        runs = await con.fetch(
            "SELECT r.id, e.organization_id FROM runs r JOIN experiments e "
            "ON e.id = r.experiment_id WHERE r.status = 'running'")
    finally:
        await con.close()
    found = []
    async with httpx.AsyncClient(timeout=WAIT, limits=LIMITS) as http:
        for owner in owners:
            data = await graphql(server, http, LOG_IN, {"input": {
                "login": owner["username"], "password": DEMO_PASSWORD}}, strict=True)
            assert data, "log-in failed"
            token, refresh = data["logIn"]["accessToken"], data["logIn"]["refreshToken"]
            organization = to_base64("Organization", owner["organization_id"])
            created = await graphql(server, http, CREATE_MODEL, {"input": {
                "organizationId": organization, "name": f"soak-{secrets.token_hex(3)}",
                "provider": "local", "modelType": "chat", "config": {"delay_ms": 5}}},
                token, strict=True)
            assert created, "model not created"
            model = created["createModel"]["model"]["id"]
            chats = []
            for _ in range(3):
                chat = await graphql(server, http, CREATE_CHAT, {"input": {"modelId": model}},
                                     token, strict=True)
                assert chat, "chat not created"
                chats.append(chat["createChatSession"]["chatSession"]["id"])
            mine = [to_base64("Run", r["id"]) for r in runs
                    if r["organization_id"] == owner["organization_id"]]
            if mine:
                found.append(Caller(token, refresh, organization, model, chats, mine))
    assert found, "the demo data has no running runs"
    return found


def start_server(name: str, environment: dict[str, str]) -> Server:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory", "--host",
         "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        cwd=ROOT, env=environment)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{name} exited with {proc.returncode}")
        try:
            if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                return Server(name, url, proc)
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{name} did not become ready")


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def renew(server: Server, callers: list[Caller], every: float, deadline: float) -> None:
    """Each caller's tokens renewed every `every` seconds, as a client would."""
    async with httpx.AsyncClient(timeout=WAIT, limits=LIMITS) as http:
        while time.monotonic() + every < deadline:
            await asyncio.sleep(every)
            for caller in callers:
                data = await graphql(server, http, REFRESH, {"input": {
                    "refreshToken": caller.refresh}}, strict=True)
                assert data is not None
                caller.token = data["refreshToken"]["accessToken"]
                caller.refresh = data["refreshToken"]["refreshToken"]


async def soak(servers: list[Server], all_callers: list[Caller], args: argparse.Namespace) -> int:
    deadline = time.monotonic() + args.minutes * 60
    renewing = asyncio.create_task(renew(servers[0], all_callers, args.renew_seconds, deadline))
    tasks = [asyncio.create_task(client(i, servers, all_callers[i % len(all_callers)], deadline))
             for i in range(args.clients)]
    minute = 0
    while any(not t.done() for t in tasks):
        await asyncio.wait(tasks, timeout=60)
        minute += 1
        cells = []
        for server in servers:
            tally, server.minute = server.minute, Tally()
            latencies = sorted(tally.latencies)
            p99 = latencies[int(len(latencies) * 0.99)] * 1000 if latencies else 0.0
            errors = sum(tally.errors.values())
            server.errors += errors
            server.requests += len(latencies)
            server.rss.append(server.rss_mb())
            detail = f" {dict(tally.errors)}" if errors else ""
            cells.append(f"{server.name}: RSS {server.rss[-1]:6.1f} MB, {len(latencies):6,} "
                         f"requests, {errors} errors{detail}, p99 {p99:6.1f} ms")
        print(f"minute {minute:3d} | " + " | ".join(cells), flush=True)
    renewing.cancel()
    for task in tasks:
        task.result()  # a client that crashed is a failure of the soak itself
    failed = False
    for server in servers:
        warm = server.rss[min(1, len(server.rss) - 1)]  # after the first minute
        growth = (server.rss[-1] - warm) / warm * 100
        failed |= server.errors > 0 or growth >= 10
        print(f"{server.name}: {server.requests:,} requests, {server.errors} errors, RSS "
              f"{warm:.1f} MB after warm-up, {server.rss[-1]:.1f} MB at the end ({growth:+.1f} %)")
    return 1 if failed else 0


def main() -> int:
    # a SIGTERM ends the soak like Ctrl-C: servers and embedded databases are stopped
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--orgs", type=int, default=4, help="demo organizations (callers)")
    parser.add_argument("--renew-seconds", type=float, default=600,
                        help="how often clients renew their tokens (they live 15 minutes)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="aiplatform-soak-") as folder, \
            EmbeddedServices(Path(folder) / "data") as embedded:
        environment = {**os.environ, "DATABASE_URL": embedded.database_url,
                       "REDIS_URL": embedded.redis_url,
                       "AIPLATFORM_SECRET_KEY": secrets.token_urlsafe(32),
                       "AIPLATFORM_ACCESS_LOG": "false",
                       # the soak measures stability, not the limits: nobody is refused
                       "AIPLATFORM_RATE_LIMIT_ENABLED": "false"}
        cli = [sys.executable, "-m", "app.cli"]
        subprocess.run([*cli, "migrate"], cwd=ROOT, env=environment, check=True)
        subprocess.run([*cli, "demo-data", "--orgs", str(args.orgs), "--members", "10",
                        "--models", "2", "--sessions", "1", "--messages", "5"],
                       cwd=ROOT, env=environment, check=True, stdout=subprocess.DEVNULL)
        servers = [start_server(name, environment) for name in ("A", "B")]
        try:
            found = asyncio.run(callers(embedded.database_url, servers[0], args.orgs))
            print(f"soak: {args.clients} clients, {args.minutes:g} min, processes "
                  f"{servers[0].proc.pid} and {servers[1].proc.pid}", flush=True)
            return asyncio.run(soak(servers, found, args))
        finally:
            for server in servers:
                server.proc.terminate()
                server.proc.wait(timeout=60)


if __name__ == "__main__":
    sys.exit(main())
