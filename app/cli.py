"""`aiplatform` command line: serve, worker, migrate, demo-data, export-schema,
create-superuser, simulate-training, check-config."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pydantic import ValidationError

from services.settings import Settings, describe, effective, get_settings, problems, secret_key

SCHEMA_FILE = Path("schema.graphql")


@contextmanager
def database_url(settings: Settings, *, migrate: bool = True) -> Iterator[str]:
    """The configured database, or the embedded one started (and stopped) around the block."""
    if settings.database_url is not None:
        yield settings.database_url
        return
    from app.embedded import EmbeddedServices
    from db import migrate as migrations

    with EmbeddedServices(settings.data_dir.resolve(), redis=False) as services:
        if migrate:
            migrations.upgrade(services.database_url)
        yield services.database_url


def cmd_serve(args: argparse.Namespace, settings: Settings) -> None:
    import uvicorn

    from services.logs import log_config

    workers = args.workers or settings.workers
    options = dict(host=args.host or settings.host, port=args.port or settings.port,
                   workers=workers, loop="uvloop", http="httptools", factory=True,
                   log_level=settings.log_level, log_config=log_config(settings),
                   access_log=False,  # the server writes its own request log (services/logs.py)
                   lifespan="on",
                   # in-flight requests may finish; the lifespan gives chat replies the same time
                   timeout_graceful_shutdown=settings.shutdown_grace_seconds,
                   # small JSON events: compressing each frame costs more CPU than it saves
                   ws_per_message_deflate=False)
    if workers > 1:
        share_metrics(settings)
    if workers == 1 or not (settings.embedded_postgres or settings.embedded_redis):
        uvicorn.run("app.main:create_app", **options)  # the lifespan owns embedded servers
        return
    # Several worker processes share one set of embedded servers, owned by this process.
    from app.embedded import EmbeddedServices
    from db import migrate

    with EmbeddedServices(settings.data_dir.resolve(), postgres=settings.embedded_postgres,
                          redis=settings.embedded_redis) as services:
        if settings.embedded_postgres:
            migrate.upgrade(services.database_url)
            # the workers see a DATABASE_URL, so they need the key embedded mode made here
            os.environ["AIPLATFORM_SECRET_KEY"] = secret_key(settings)
            os.environ["DATABASE_URL"] = services.database_url
        if settings.embedded_redis:
            os.environ["REDIS_URL"] = services.redis_url
        uvicorn.run("app.main:create_app", **options)


def cmd_worker(args: argparse.Namespace, settings: Settings) -> None:
    from app.worker import run_worker
    from services.jobs.queues import QUEUES
    from services.logs import configure

    queues = [q.strip() for q in args.queues.split(",") if q.strip()] if args.queues else QUEUES
    unknown = sorted(set(queues) - set(QUEUES))
    if unknown or not queues:
        sys.exit(f"worker: unknown queues {', '.join(unknown) or '(none given)'}; "
                 f"choose among {', '.join(QUEUES)}")
    if args.concurrency is not None and args.concurrency < 1:
        sys.exit("worker: --concurrency must be at least 1")
    configure(settings)
    with embedded_services(settings) as (database, redis):
        if not asyncio.run(run_worker(settings, database, redis, queues=queues,
                                      concurrency=args.concurrency)):
            sys.exit(1)


@contextmanager
def embedded_services(settings: Settings) -> Iterator[tuple[str, str]]:
    """The configured database and Redis, or the embedded ones: those of a `serve` running on
    the same data folder, else started (migrated) here and stopped after the block."""
    if settings.database_url is not None and settings.redis_url is not None:
        yield settings.database_url, settings.redis_url
        return
    from app.embedded import EmbeddedServices
    from db import migrate

    with EmbeddedServices(settings.data_dir.resolve(), postgres=settings.embedded_postgres,
                          redis=settings.embedded_redis) as services:
        if settings.embedded_postgres:
            migrate.upgrade(services.database_url)
        yield (settings.database_url or services.database_url,
               settings.redis_url or services.redis_url)


def share_metrics(settings: Settings) -> None:
    """Workers write their metrics to one folder, emptied at start, which /metrics sums
    (services/metrics.py); set before they start, since prometheus-client reads it on import."""
    import shutil

    from services.metrics import MULTIPROCESS_DIR

    if os.environ.get(MULTIPROCESS_DIR):
        return  # the operator's choice
    folder = settings.data_dir.resolve() / "metrics"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    os.environ[MULTIPROCESS_DIR] = str(folder)


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> None:
    from db import migrate

    with database_url(settings, migrate=False) as url:
        if args.downgrade:
            migrate.downgrade(url, args.downgrade)
        else:
            migrate.upgrade(url, args.revision)
    print("migrations applied")


def cmd_demo_data(args: argparse.Namespace, settings: Settings) -> None:
    from app.demo_data import DemoSizes, generate

    sizes = DemoSizes(orgs=args.orgs, members=args.members, models=args.models,
                      sessions=args.sessions, messages=args.messages, seed=args.seed,
                      knowledge=args.knowledge)
    with database_url(settings) as url:
        try:
            report = asyncio.run(generate(url, sizes, reset=args.reset))
        except ValueError as refused:
            sys.exit(f"demo-data: {refused}")
    print(report)


def export_schema_text() -> str:
    from graphql_schema.schema import build_schema

    return build_schema(Settings()).as_str() + "\n"


def cmd_export_schema(args: argparse.Namespace, settings: Settings) -> None:
    text = export_schema_text()
    if args.output == "-":
        sys.stdout.write(text)
        return
    Path(args.output).write_text(text)
    print(f"wrote {args.output}")


def cmd_create_superuser(args: argparse.Namespace, settings: Settings) -> None:
    from resolvers.identity.accounts import account_problems, create_superuser

    email, username, password = _superuser_fields(args)
    problems = account_problems(email, username, password)
    if problems:
        sys.exit("create-superuser: " + "; ".join(f"{p.field}: {p.message}" for p in problems))
    with database_url(settings) as url:
        try:
            print(asyncio.run(create_superuser(url, email=email, username=username,
                                               password=password, redis_url=settings.redis_url)))
        except ValueError as refused:
            sys.exit(f"create-superuser: {refused}")


def _superuser_fields(args: argparse.Namespace) -> tuple[str, str, str]:
    """The options given, and prompts for the rest when a person is at the terminal."""
    import getpass

    missing = [f"--{n}" for n in ("email", "username", "password") if not getattr(args, n)]
    if missing and not sys.stdin.isatty():
        sys.exit(f"create-superuser: {', '.join(missing)} required (no terminal to ask in)")
    email = args.email or input("Email: ")
    username = args.username or input("Username: ")
    password = args.password
    if not password:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Password (again): ") != password:
            sys.exit("create-superuser: the passwords differ")
    return email.strip().lower(), username.strip(), password


def cmd_simulate_training(args: argparse.Namespace, settings: Settings) -> None:
    from app.simulate_training import Plan, SimulationError, http_post, simulate

    if not args.api_key:
        sys.exit("simulate-training: --api-key or AIPLATFORM_API_KEY required")
    plan = Plan(steps=args.steps, batch=args.batch, interval_ms=args.interval_ms,
                epochs=args.epochs, seed=args.seed)
    if min(plan.steps, plan.batch) < 1 or plan.batch > 1000 or plan.interval_ms < 0:
        sys.exit("simulate-training: --steps >= 1, --batch 1 to 1000, --interval-ms >= 0")
    try:
        simulate(http_post(args.url, args.api_key), args.run_id, plan)
    except SimulationError as refused:
        sys.exit(f"simulate-training: {refused}")
    except KeyboardInterrupt:
        sys.exit(130)


def cmd_check_config(args: argparse.Namespace, settings: Settings) -> None:
    for name, value in effective(settings).items():
        print(f"{name}={value}")
    found = problems(settings)
    for problem in found:
        print(f"problem: {problem}", file=sys.stderr)
    if found:
        sys.exit(1)


# commands that run the server or change its database: they refuse unusable settings at once
CHECKED = {"serve", "worker", "migrate"}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="aiplatform", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the GraphQL server (embedded services by default)")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--workers", type=int)
    serve.set_defaults(func=cmd_serve)

    work = sub.add_parser("worker", help="run jobs of the worker tier (all queues by default)")
    work.add_argument("--queues", help="comma-separated, e.g. charging_analysis,maintenance")
    work.add_argument("--concurrency", type=int,
                      help="jobs at once per queue (default: each queue's setting)")
    work.set_defaults(func=cmd_worker)

    mig = sub.add_parser("migrate", help="apply database migrations")
    mig.add_argument("--revision", default="head")
    mig.add_argument("--downgrade", metavar="REVISION", help="downgrade to REVISION instead")
    mig.set_defaults(func=cmd_migrate)

    demo = sub.add_parser("demo-data", help="fill the database with deterministic demo data")
    demo.add_argument("--orgs", type=int, default=20)
    demo.add_argument("--members", type=int, default=50, help="members per organization")
    demo.add_argument("--models", type=int, default=10, help="models per organization")
    demo.add_argument("--sessions", type=int, default=5, help="chat sessions per user")
    demo.add_argument("--messages", type=int, default=20, help="messages per chat session")
    demo.add_argument("--seed", type=int, default=42)
    demo.add_argument("--knowledge", action="store_true",
                      help="also the knowledge collections charging_knowledge, "
                           "troubleshooting_guides and technical_specs, embedded")
    demo.add_argument("--reset", action="store_true", help="delete existing demo data first")
    demo.set_defaults(func=cmd_demo_data)

    export = sub.add_parser("export-schema", help="write the SDL to schema.graphql")
    export.add_argument("--output", default=str(SCHEMA_FILE), help="file, or - for stdout")
    export.set_defaults(func=cmd_export_schema)

    su = sub.add_parser("create-superuser", help="create a platform superuser, or promote one")
    su.add_argument("--email")
    su.add_argument("--username")
    su.add_argument("--password", default=os.environ.get("AIPLATFORM_SUPERUSER_PASSWORD"),
                    help="or AIPLATFORM_SUPERUSER_PASSWORD; prompted for in a terminal")
    su.set_defaults(func=cmd_create_superuser)

    sim = sub.add_parser("simulate-training", help="report fake training metrics for a run "
                                                  "through the API (no GPU needed)")
    sim.add_argument("run_id", metavar="RUN_ID", help="the run's global ID")
    sim.add_argument("--url", default="http://127.0.0.1:8000/graphql")
    sim.add_argument("--api-key", default=os.environ.get("AIPLATFORM_API_KEY"),
                     help="or AIPLATFORM_API_KEY; an access token works too")
    sim.add_argument("--steps", type=int, default=200)
    sim.add_argument("--batch", type=int, default=20, help="points per report (at most 1000)")
    sim.add_argument("--interval-ms", type=int, default=200, help="pause between reports")
    sim.add_argument("--epochs", type=int, default=4)
    sim.add_argument("--seed", type=int, default=0)
    sim.set_defaults(func=cmd_simulate_training)

    check = sub.add_parser("check-config", help="print the effective settings (secrets masked) "
                                               "and exit non-zero if they cannot be used")
    check.set_defaults(func=cmd_check_config)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    try:
        settings = get_settings()
    except ValidationError as invalid:
        sys.exit("aiplatform: invalid configuration: " + "; ".join(describe(invalid)))
    found = problems(settings) if args.command in CHECKED else []
    if found:
        sys.exit("aiplatform: invalid configuration: " + "; ".join(found))
    args.func(args, settings)


if __name__ == "__main__":
    main()
