"""Start the real OpenID Connect provider of server.mjs on a free loopback port, and sign in
there as a person would (its own sign-in form), for tests that go through organisation SSO."""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests

HERE = Path(__file__).resolve().parent
STARTUP_SECONDS = 30


@dataclass
class ProviderAccount:
    email: str
    password: str
    given_name: str = ""
    family_name: str = ""
    email_verified: bool = True

    def as_config(self) -> dict[str, Any]:
        return {
            "password": self.password,
            "given_name": self.given_name,
            "family_name": self.family_name,
            "email_verified": self.email_verified,
        }


@dataclass
class RunningProvider:
    issuer: str
    client_id: str
    client_secret: str
    process: subprocess.Popen[str]
    output: list[str] = field(default_factory=list)


def node_modules_ensure() -> None:
    """Install the provider's pinned packages (package-lock.json) the first time."""
    if (HERE / "node_modules" / "oidc-provider").is_dir():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError(
            "npm is needed to install the test OpenID provider (apt-get install npm)"
        )
    subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=HERE,
        check=True,
        timeout=300,
    )


@contextmanager
def provider_running(
    *, redirect_uris: list[str], accounts: list[ProviderAccount]
) -> Iterator[RunningProvider]:
    """A fresh provider process; stopped (by its own pid) when the block ends."""
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("Node.js is needed to run the test OpenID provider")
    node_modules_ensure()
    client_id = "hub-tests"
    client_secret = secrets.token_urlsafe(24)
    config = {
        "port": 0,
        "clients": [
            {
                "client_id": client_id,
                "client_secret": client_secret,
                "redirect_uris": redirect_uris,
            }
        ],
        "accounts": {account.email: account.as_config() for account in accounts},
    }
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(config, handle)
        config_path = handle.name
    process = subprocess.Popen(
        [node, str(HERE / "server.mjs"), config_path],
        cwd=HERE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "NODE_ENV": "test"},
    )
    output: list[str] = []
    ready = threading.Event()
    issuer: list[str] = []

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            output.append(line.rstrip())
            if line.startswith("READY "):
                issuer.append(line.split()[1])
                ready.set()
        ready.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        if not ready.wait(STARTUP_SECONDS) or not issuer:
            raise RuntimeError("The test OpenID provider did not start:\n" + "\n".join(output))
        yield RunningProvider(issuer[0], client_id, client_secret, process, output)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        os.unlink(config_path)


_FORM_ACTION = re.compile(r'<form[^>]*action="([^"]+)"', re.I)


def sign_in_at_provider(
    authorization_url: str,
    *,
    email: str,
    password: str,
    session: requests.Session | None = None,
) -> str:
    """Do what a browser does at the provider: follow it to its sign-in form, fill it in, and
    follow its redirects until it sends us back to the hub. Returns that return URL."""
    browser = session or requests.Session()
    provider_origin = "{0.scheme}://{0.netloc}".format(urlsplit(authorization_url))
    url = authorization_url
    response = _follow_at_provider(browser, "GET", url, provider_origin)
    if isinstance(response, str):
        return response  # already signed in at the provider
    match = _FORM_ACTION.search(response.text)
    if match is None:
        raise AssertionError(f"No sign-in form at the provider:\n{response.text[:2000]}")
    action = urljoin(response.url, unescape(match.group(1)))
    result = _follow_at_provider(
        browser, "POST", action, provider_origin, data={"login": email, "password": password}
    )
    if isinstance(result, str):
        return result
    raise AssertionError(f"The provider did not send us back:\n{result.text[:2000]}")


def _follow_at_provider(
    browser: requests.Session,
    method: str,
    url: str,
    provider_origin: str,
    data: dict[str, str] | None = None,
) -> requests.Response | str:
    for _ in range(10):
        response = browser.request(method, url, data=data, allow_redirects=False, timeout=10)
        location = response.headers.get("Location")
        if response.status_code not in {301, 302, 303, 307, 308} or not location:
            return response
        url = urljoin(url, location)
        if not url.startswith(provider_origin):
            return url
        method, data = "GET", None
    raise AssertionError("Too many redirects at the provider")
