"""The OpenID provider process of the single sign-on tests, and a browser's walk through it.

The provider is panva's oidc-provider (tests/identity/oidc_provider/), installed from the npm
registry on first use (`npm ci`). Its development login and consent pages are HTML forms; the
walk posts them as a browser would, keeping the provider's cookies, and stops at the first
redirect that leaves the provider.
"""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urljoin

import httpx

from tests.servers import free_port, stop, wait_healthy

PROVIDER = Path(__file__).resolve().parent / "oidc_provider"
FORM = re.compile(r'<form[^>]*action="([^"]+)"[^>]*>(.*?)</form>', re.S)
INPUT = re.compile(r"<input[^>]*>")
ATTRIBUTE = re.compile(r'(\w+)="([^"]*)"')


def install_provider() -> None:
    if not (PROVIDER / "node_modules" / "oidc-provider").is_dir():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--silent"], cwd=PROVIDER,
                       check=True, timeout=300)


@contextmanager
def oidc_provider(port: int, clients: list[dict], roles: dict[str, list[str]]
                  ) -> Iterator[str]:
    """The issuer URL of a running provider with these registered clients."""
    install_provider()
    proc = subprocess.Popen(["node", "provider.mjs", str(port), json.dumps(clients)],
                            cwd=PROVIDER, env={**os.environ, "ROLES": json.dumps(roles)},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    issuer = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(f"{issuer}/.well-known/openid-configuration", proc)
        yield issuer
    finally:
        stop(proc)


def new_port() -> int:
    return free_port()


async def walk(browser: httpx.AsyncClient, url: str, issuer: str, login: str) -> str:
    """Follow `url` through the provider, logging in as `login` and consenting; the first URL
    outside the provider it redirects to."""
    for _ in range(20):
        answer = await browser.get(url)
        while answer.status_code in (302, 303):
            url = urljoin(url, answer.headers["location"])
            if not url.startswith(issuer):
                return url
            answer = await browser.get(url)
        form = FORM.search(answer.text)
        assert answer.status_code == 200 and form, answer.text[:500]
        fields = {}
        for tag in INPUT.findall(form[2]):
            attributes = dict(ATTRIBUTE.findall(tag))
            if "name" in attributes:
                fields[attributes["name"]] = html.unescape(attributes.get("value", ""))
        if "login" in fields:
            fields.update(login=login, password="any password")
        answer = await browser.post(urljoin(url, html.unescape(form[1])), data=fields)
        assert answer.status_code in (302, 303), answer.text[:500]
        url = urljoin(url, answer.headers["location"])
        if not url.startswith(issuer):
            return url
    raise AssertionError("the provider kept asking")
