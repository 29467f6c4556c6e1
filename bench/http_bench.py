#!/usr/bin/env python3
"""Closed-loop HTTP benchmark of a running GraphQL server (see bench/README.md).

For each query: one validation request, a warm-up, a measured run at fixed concurrency and a
one-client run, every response checked; prints a markdown table, exits 1 if anything was bad.
The client is a minimal HTTP/1.1 implementation on asyncio protocols (uvloop if installed):
one keep-alive connection per virtual client, the request bytes built once, responses counted
on the raw bytes, so the load generator costs little CPU next to the server it measures.
"""

import sys

if __package__:  # python -m bench.http_bench
    from .httpbench.cli import main
else:  # python bench/http_bench.py: sys.path[0] is this directory
    from httpbench.cli import main


if __name__ == "__main__":
    sys.exit(main())
