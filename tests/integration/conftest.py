"""Real Celery workers on real Redis, against the test database."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def _needs_real_services() -> None:
    if connection.vendor != "postgresql" or not settings.REDIS_URL:
        pytest.skip("integration tests need PostgreSQL and Redis")


@pytest.fixture
def worker_env(transactional_db: None) -> dict[str, str]:
    _needs_real_services()
    db = settings.DATABASES["default"]
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "hub.settings",
            "DEBUG": "off",
            "SECRET_KEY": settings.SECRET_KEY,
            "ALLOWED_HOSTS": "testserver",
            "DATABASE_URL": (f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"),
            "REDIS_URL": settings.REDIS_URL,
            "EMAIL_URL": f"filemail://{ROOT / 'var' / 'test-mail'}",
        }
    )
    return env


@pytest.fixture
def start_worker(
    worker_env: dict[str, str],
) -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []

    def start(
        *, env: dict[str, str] | None = None, concurrency: int = 1
    ) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "hub",
                "worker",
                f"--concurrency={concurrency}",
                "--pool=prefork",
                "--loglevel=INFO",
                "--without-mingle",
                "--without-gossip",
                "-n",
                f"test{len(started)}@%h",
            ],
            cwd=ROOT,
            env=env or worker_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        process.terminate()
    for process in started:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def wait_for(condition: Callable[[], bool], *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")
