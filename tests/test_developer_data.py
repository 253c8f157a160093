"""`make test` never touches a developer's data: a developer's Redis keys and database survive a
test run started with the very REDIS_URL and DATABASE_URL their `make run` uses.

A real pytest run of a real test (one that uses the database and empties the cache), in a
child process, against a redis-server of this test's own and a developer database made here.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import redis
from django.conf import settings
from django.db import connection

from tests.redis_isolation import MARKER

ROOT = Path(__file__).resolve().parents[1]
# Uses the database, and tests/hub/conftest.py empties the cache before and after it.
A_TEST = "tests/hub/test_models.py::test_emails_are_unique_whatever_their_case"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def developer_redis(tmp_path: Path) -> Iterator[int]:
    """A redis-server of this test's own (its port); nothing else on the machine is touched."""
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("redis-server is not installed")
    port = _free_port()
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", tmp_path],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis(port=port).ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def developer_database() -> Iterator[str]:
    """A developer's PostgreSQL database (its URL), with one row of their own in it."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    db = settings.DATABASES["default"]
    server = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}"
    name = f"hub_developer_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        with psycopg.connect(f"{server}/{name}", autocommit=True) as own:
            own.execute("CREATE TABLE notes (text text)")
            own.execute("INSERT INTO notes VALUES ('a developer''s own row')")
        yield f"{server}/{name}"
    finally:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.execute(f'DROP DATABASE IF EXISTS "test_{name}" WITH (FORCE)')


def _pytest(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", A_TEST, "-p", "no:cacheprovider", "-q", "--create-db"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_a_developers_redis_keys_and_database_survive_a_test_run(
    developer_redis: int, developer_database: str
) -> None:
    make_run = redis.Redis(port=developer_redis, db=0)
    make_run.set("hub:1::a-developer-key", "their queue and cache")
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"HUB_TEST_REDIS_URL", "PYTEST_ADDOPTS", "PYTEST_CURRENT_TEST"}
    }
    env.update(
        REDIS_URL=f"redis://127.0.0.1:{developer_redis}/0",
        DATABASE_URL=developer_database,
    )

    refused = _pytest(env)
    assert refused.returncode == pytest.ExitCode.USAGE_ERROR, refused.stdout + refused.stderr
    assert "holds 1 key(s) they did not write" in refused.stdout + refused.stderr
    assert "HUB_TEST_REDIS_URL" in refused.stdout + refused.stderr
    assert make_run.get("hub:1::a-developer-key") == b"their queue and cache"
    assert make_run.dbsize() == 1

    env["HUB_TEST_REDIS_URL"] = f"redis://127.0.0.1:{developer_redis}/1"
    passed = _pytest(env)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert make_run.get("hub:1::a-developer-key") == b"their queue and cache"
    assert make_run.dbsize() == 1
    assert redis.Redis(port=developer_redis, db=1).exists(MARKER)  # the tests used their own
    with psycopg.connect(developer_database) as own:
        rows = own.execute("SELECT text FROM notes").fetchall()
    assert rows == [("a developer's own row",)]
