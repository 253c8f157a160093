"""Real Celery workers on real Redis, against the test database."""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

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

    def hang(self) -> None:
        """SIGSTOP: connections are still accepted by the kernel, nothing answers."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def wake(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGCONT)  # a hung server cannot take TERM
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


# --- The app under gunicorn, as production serves it ---------------------------------------


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes
    seconds: float
    what: str = ""

    def cookies(self) -> dict[str, str]:
        jar: SimpleCookie = SimpleCookie()
        for header in self.headers.get_all("Set-Cookie") or []:
            jar.load(header)
        return {name: morsel.value for name, morsel in jar.items()}

    @property
    def text(self) -> str:
        return self.body.decode(errors="replace")


class LiveHub:
    """gunicorn serving the hub on a spare loopback port, and a browser of sorts for it.

    Production cookies are Secure, which a cookie jar would not send back over plain HTTP, so
    each ``Browser`` carries its cookies by hand."""

    def __init__(self, port: int, process: subprocess.Popen[bytes], log: Path) -> None:
        self.port = port
        self.process = process
        self.log = log

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def request(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        body: str | None = None,
        timeout: float = 40,
    ) -> Reply:
        started = time.monotonic()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            body_bytes = response.read()
            seconds = time.monotonic() - started
            return Reply(response.status, response.headers, body_bytes, seconds, f"{method} {path}")
        finally:
            connection.close()

    def browser(self) -> Browser:
        return Browser(self)


class Browser:
    def __init__(self, hub: LiveHub) -> None:
        self.hub = hub
        self.cookies: dict[str, str] = {}
        self.replies: list[Reply] = []

    def _send(self, method: str, path: str, body: str | None = None) -> Reply:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if body is not None:
            headers.update(
                {
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Origin": self.hub.origin,
                    "X-CSRFToken": self.cookies.get("csrftoken", ""),
                }
            )
        reply = self.hub.request(method, path, headers=headers, body=body)
        self.cookies.update(reply.cookies())
        self.replies.append(reply)
        return reply

    def get(self, path: str) -> Reply:
        return self._send("GET", path)

    def post(self, path: str, data: dict[str, str]) -> Reply:
        if "csrftoken" not in self.cookies:
            self.get(path)
        return self._send("POST", path, urlencode(data))

    def sign_in(self, email: str, password: str) -> Reply:
        self.cookies.pop("sessionid", None)
        self.get("/accounts/login/")
        return self.post("/accounts/login/", {"login": email, "password": password})


@pytest.fixture
def start_gunicorn(
    worker_env: dict[str, str], request: pytest.FixtureRequest
) -> Iterator[Callable[..., LiveHub]]:
    """Start gunicorn (gthread, as in docker-compose.yml) on a spare port; stop it after.

    Its log is var/test-workers/<test>-gunicorn-<pid>.log, kept after the run."""
    started: list[subprocess.Popen[bytes]] = []
    logs = ROOT / "var" / "test-workers"
    logs.mkdir(parents=True, exist_ok=True)

    def start(*, env: dict[str, str], workers: int = 2, threads: int = 4) -> LiveHub:
        env = {**env, "SECURE_SSL_REDIRECT": "off", "ALLOWED_HOSTS": "127.0.0.1"}
        # Production settings serve static files from the collected manifest.
        if not (ROOT / "var" / "staticfiles" / "staticfiles.json").exists():
            subprocess.run(
                [sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"],
                cwd=ROOT, env=env, check=True,
            )  # fmt: skip
        port = free_port()
        log = logs / f"{request.node.name[:60]}-gunicorn-{os.getpid()}.log"
        command = [
            sys.executable, "-m", "gunicorn", "hub.wsgi:application",
            f"--bind=127.0.0.1:{port}", "--worker-class=gthread", f"--workers={workers}",
            f"--threads={threads}", "--timeout=30", "--no-control-socket",
            "--graceful-timeout=5", "--access-logfile=-",
        ]  # fmt: skip
        with log.open("wb") as output:
            process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        started.append(process)
        hub = LiveHub(port, process, log)

        def healthy() -> bool:
            assert process.poll() is None, f"gunicorn exited; see {log}"
            try:
                return hub.request("GET", "/healthz", timeout=2).status == 200
            except OSError:
                return False

        wait_for(healthy, timeout=60, what="gunicorn to answer /healthz")
        return hub

    yield start
    for process in started:
        if process.poll() is None:
            process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
