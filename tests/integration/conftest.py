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
    worker_env: dict[str, str], request: pytest.FixtureRequest
) -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    """Start real `celery worker` processes (optionally with embedded beat); stop them after.

    Each worker's log is var/test-workers/<test>-<n>-<pid>.log, kept after the run."""
    started: list[subprocess.Popen[bytes]] = []
    logs = ROOT / "var" / "test-workers"
    logs.mkdir(parents=True, exist_ok=True)

    def start(
        *, env: dict[str, str] | None = None, concurrency: int = 1, beat: bool = False
    ) -> subprocess.Popen[bytes]:
        name = f"test{len(started)}-{os.getpid()}"
        log_name = f"{request.node.name[:60]}-{len(started)}-{os.getpid()}"
        command = [
            sys.executable, "-m", "celery", "-A", "hub", "worker",
            f"--concurrency={concurrency}", "--pool=prefork", "--loglevel=INFO",
            "--without-mingle", "--without-gossip", "-n", f"{name}@%h",
        ]  # fmt: skip
        if beat:
            command += ["--beat"]
        with (logs / f"{log_name}.log").open("wb") as log:
            process = subprocess.Popen(
                command, cwd=ROOT, env=env or worker_env, stdout=log, stderr=subprocess.STDOUT
            )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
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


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class SpareRedis:
    """A redis-server of the test's own on a spare loopback port, which the test may stop."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        import shutil

        server = shutil.which("redis-server")
        if server is None:
            pytest.skip("redis-server is not installed")
        self.process = subprocess.Popen(
            [
                server,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "yes",
                "--dir",
                str(self.workdir),
                "--maxmemory-policy",
                "noeviction",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self.answers, timeout=10, what="redis-server to start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def answers(self) -> bool:
        import socket

        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                return True
        except OSError:
            return False


@pytest.fixture
def spare_redis(tmp_path: Path) -> Iterator[SpareRedis]:
    redis = SpareRedis(tmp_path)
    redis.start()
    yield redis
    redis.stop()


@pytest.fixture
def publish_to() -> Iterator[Callable[[str], None]]:
    """Make this test process publish tasks to the given broker, not eagerly."""
    from hub.celery import app

    saved = (app.conf.broker_url, app.conf.task_always_eager)

    def reset_pools() -> None:
        # kombu keeps producer pools in a global registry keyed by connection: closing only
        # the app's pool would leave a closed pool there for the original broker URL.
        from kombu import pools

        pools.reset()
        app._pool = None
        app.amqp._producer_pool = None

    def use(url: str) -> None:
        reset_pools()
        app.conf.broker_url = url
        app.conf.task_always_eager = False

    yield use
    reset_pools()
    app.conf.broker_url, app.conf.task_always_eager = saved
