"""The fixed cost of one small request, measured in-process through the whole ASGI app.

Sends the benchmark's simple query (or the nested one) to the real application (Starlette
routing, authentication, rate limiting, strawberry's pipeline, the planner, SQL, JSON) as
raw ASGI calls, without sockets or uvicorn, logged in as a superuser, and prints this
process's CPU time per request (what bounds requests/s on one core; PostgreSQL and Redis are
other processes) and wall time percentiles; `--profile` adds cProfile's top functions. Less
noisy than an HTTP run on a shared machine, so each change to the request path can be
measured before and after.

    AIPLATFORM_DATA_DIR=... python bench/profile_request.py [--query simple] [--repeat 3000]

The data folder needs the demo data and a superuser (see "Benchmarks" in README.md).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import statistics
import time
from pathlib import Path
from typing import Any

import orjson

from app.main import create_app

QUERIES = Path(__file__).parent / "queries"
LOG_IN = ("mutation ($login: String!, $password: String!) { logIn(input: {login: $login, "
          "password: $password}) { accessToken userErrors { message } } }")


class Client:
    """POSTs to /graphql as one ASGI call each; the answer's status and body are kept."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.headers: list[tuple[bytes, bytes]] = [(b"content-type", b"application/json")]

    async def post(self, body: bytes) -> tuple[int, bytes]:
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
            "method": "POST", "scheme": "http", "path": "/graphql", "raw_path": b"/graphql",
            "root_path": "", "query_string": b"", "server": ("127.0.0.1", 8000),
            "client": ("127.0.0.1", 40000), "headers": self.headers, "app": self.app,
        }
        sent = False
        status, chunks = 0, []

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if sent:
                await asyncio.Event().wait()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, send)
        return status, b"".join(chunks)


async def run(query: str, repeat: int, login: str, profile: bool) -> None:
    app = create_app()
    async with app.router.lifespan_context(app):
        client = Client(app)
        user, password = login.split(":", 1)
        _, answer = await client.post(orjson.dumps(
            {"query": LOG_IN, "variables": {"login": user, "password": password}}))
        token = orjson.loads(answer)["data"]["logIn"]["accessToken"]
        assert token, answer
        client.headers.append((b"authorization", f"Bearer {token}".encode()))
        app.state.settings.rate_limit_per_minute_user = 10**9  # counted, never refused
        body = orjson.dumps({"query": (QUERIES / f"{query}.graphql").read_text()})
        status, answer = await client.post(body)
        assert status == 200 and b'"errors"' not in answer, answer[:500]
        for _ in range(min(repeat, 200)):  # warm caches and pools
            await client.post(body)
        times = []
        cpu = time.process_time()
        profiler = cProfile.Profile() if profile else None
        if profiler is not None:
            profiler.enable()
        for _ in range(repeat):
            start = time.perf_counter()
            await client.post(body)
            times.append(time.perf_counter() - start)
        if profiler is not None:
            profiler.disable()
        cpu = (time.process_time() - cpu) / repeat
        times.sort()
        print(f"{query}: {repeat} requests, CPU {cpu * 1e6:.0f} µs each (this process), "
              f"wall time median {statistics.median(times) * 1e6:.0f} µs, "
              f"p10 {times[len(times) // 10] * 1e6:.0f} µs, "
              f"p90 {times[len(times) * 9 // 10] * 1e6:.0f} µs, answer {len(answer)} bytes")
        if profiler is not None:
            pstats.Stats(profiler).sort_stats("tottime").print_stats(40)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--query", choices=("simple", "nested"), default="simple")
    parser.add_argument("--repeat", type=int, default=3000)
    parser.add_argument("--login", default="bench:bench-password-1")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    import uvloop  # as `aiplatform serve` runs

    uvloop.run(run(args.query, args.repeat, args.login, args.profile))


if __name__ == "__main__":
    main()
