"""`aiplatform` command line: serve, migrate, demo-data, export-schema."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from app.settings import Settings, get_settings

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

    workers = args.workers or settings.workers
    options = dict(host=args.host or settings.host, port=args.port or settings.port,
                   workers=workers, loop="uvloop", http="httptools", factory=True,
                   log_level=settings.log_level, access_log=settings.access_log,
                   lifespan="on")
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
            os.environ["DATABASE_URL"] = services.database_url
        if settings.embedded_redis:
            os.environ["REDIS_URL"] = services.redis_url
        uvicorn.run("app.main:create_app", **options)


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> None:
    from db import migrate

    with database_url(settings, migrate=False) as url:
        if args.downgrade:
            migrate.downgrade(url, args.downgrade)
        else:
            migrate.upgrade(url, args.revision)
    print("migrations applied")


def cmd_demo_data(args: argparse.Namespace, settings: Settings) -> None:
    from db.demo_data import DemoSizes, generate

    sizes = DemoSizes(orgs=args.orgs, members=args.members, models=args.models,
                      sessions=args.sessions, messages=args.messages, seed=args.seed)
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="aiplatform", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the GraphQL server (embedded services by default)")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--workers", type=int)
    serve.set_defaults(func=cmd_serve)

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
    demo.add_argument("--reset", action="store_true", help="delete existing demo data first")
    demo.set_defaults(func=cmd_demo_data)

    export = sub.add_parser("export-schema", help="write the SDL to schema.graphql")
    export.add_argument("--output", default=str(SCHEMA_FILE), help="file, or - for stdout")
    export.set_defaults(func=cmd_export_schema)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    args.func(args, get_settings())


if __name__ == "__main__":
    main()
