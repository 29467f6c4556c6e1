"""Self-hosted GraphiQL: the IDE page and its static assets, with no CDN.

strawberry's built-in GraphiQL page loads React and GraphiQL from a CDN, which does
not work offline. This module serves a vendored copy instead:

* ``graphiql_html()`` renders ``static/graphiql/index.html`` for ``GET /graphql``;
* ``static_app()`` serves the assets (mount it at the same prefix passed to
  ``graphiql_html``, by default ``/static/graphiql``).

The assets come from npm: the graphiql 3.9.0 UMD bundle, react / react-dom 18.3.1
production UMD builds, the explorer plugin (@graphiql/plugin-explorer 3.2.6, the 3.x line
that matches GraphiQL 3) and the graphql-ws 6.4.2 client; their licenses sit next to them in
``static/graphiql``. ``graphiql-init.js`` opens the explorer, sends queries and mutations
over HTTP and subscriptions over graphql-ws to the same endpoint, with the Headers tab's
headers on both (in the socket's ``connection_init``, where the server authenticates it),
and lets GraphiQL keep documents and headers in the browser's storage.
"""

from __future__ import annotations

import html
from functools import lru_cache
from pathlib import Path

from starlette.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).parent / "static" / "graphiql"
TEMPLATE_NAME = "index.html"

_STATIC_PREFIX_PLACEHOLDER = "{{ STATIC_PREFIX }}"
_ENDPOINT_PLACEHOLDER = "{{ ENDPOINT }}"


@lru_cache(maxsize=1)
def _template() -> str:
    return (STATIC_DIR / TEMPLATE_NAME).read_text(encoding="utf-8")


@lru_cache(maxsize=16)
def graphiql_html(endpoint: str = "/graphql", static_prefix: str = "/static/graphiql") -> str:
    """Return the GraphiQL page, wired to ``endpoint`` and loading assets from ``static_prefix``.

    Both values end up only in HTML attribute/text positions of the template and are
    HTML-escaped, so they cannot break out of the markup. A trailing slash on
    ``static_prefix`` is ignored.
    """
    prefix = static_prefix.rstrip("/")
    return (
        _template()
        .replace(_STATIC_PREFIX_PLACEHOLDER, html.escape(prefix, quote=True))
        .replace(_ENDPOINT_PLACEHOLDER, html.escape(endpoint, quote=True))
    )


def static_app() -> StaticFiles:
    """A Starlette app serving the GraphiQL assets; mount it at ``/static/graphiql``."""
    return StaticFiles(directory=STATIC_DIR)


__all__ = ["STATIC_DIR", "graphiql_html", "static_app"]
