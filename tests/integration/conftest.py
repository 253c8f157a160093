"""Real Celery workers on real Redis, against the test database."""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import select
import signal
import socket
import socketserver
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email import message_from_bytes
from email.message import Message
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection
from django.test import override_settings

from hub.accounts.models import User
from tests.conftest import PASSWORD

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


def worker_log(request: pytest.FixtureRequest, n: int) -> Path:
    """The log of the test's n-th worker (from 0)."""
    return ROOT / "var" / "test-workers" / f"{request.node.name[:60]}-{n}-{os.getpid()}.log"


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
        command = [
            sys.executable, "-m", "celery", "-A", "hub", "worker",
            f"--concurrency={concurrency}", "--pool=prefork", "--loglevel=INFO",
            "--without-mingle", "--without-gossip", "-n", f"{name}@%h",
        ]  # fmt: skip
        if beat:
            command += ["--beat"]
        with worker_log(request, len(started)).open("wb") as log:
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


@contextlib.contextmanager
def tasks_to_the_broker() -> Iterator[None]:
    """Within it, the tasks queued on commit go to the real broker, for a real worker to
    take (the tests' settings run them eagerly)."""
    from hub.celery import app

    with override_settings(CELERY_TASK_ALWAYS_EAGER=False):
        app.conf.task_always_eager = False
        try:
            yield
        finally:
            app.conf.task_always_eager = True


def wait_for(condition: Callable[[], bool], *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def free_port() -> int:
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

    def wipe(self) -> None:
        """Stop the server and start it again without its data, as a Redis without its
        volume comes back: every queued and unacknowledged message is gone."""
        import shutil

        self.stop()
        shutil.rmtree(self.workdir / "appendonlydir", ignore_errors=True)
        (self.workdir / "dump.rdb").unlink(missing_ok=True)
        self.start()

    def answers(self) -> bool:
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


def production_password(user: User) -> None:
    """Give the user the tests' password as production hashes it: a server started here runs
    production's hashers, not the tests' fast one."""
    user.password = PBKDF2PasswordHasher().encode(PASSWORD, "drillsalt")
    user.save(update_fields=["password"])


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
        # Production settings serve static files from the collected manifest: collected
        # again when a file was added or changed since (a stale manifest makes pages 500).
        manifest = ROOT / "var" / "staticfiles" / "staticfiles.json"
        newest = max(path.stat().st_mtime for path in (ROOT / "static").rglob("*"))
        if not manifest.exists() or manifest.stat().st_mtime < newest:
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


# --- Helpers for the fault drills ----------------------------------------------------------

AREA = "surveys-xm-directory"
PHONE_FORM = f"/hub/technical/areas/{AREA}/contact/phone/"
EMAIL_FORM = f"/hub/technical/areas/{AREA}/contact/email/"


def post_phone(browser: Browser, subject: str, key: str = "") -> Reply:
    """The real phone contact form, as a signed-in customer posts it (``key``: the
    idempotency key of the form as drawn, to send the same form again)."""
    return browser.post(
        PHONE_FORM,
        {
            "idempotency_key": key or uuid.uuid4().hex,
            "area": AREA,
            "language": "en",
            "country": "GB",
            "number": "020 7946 0123",
            "email": "standard@acme.example",
            "subject": subject,
            "recording_consent": "on",
        },
    )


def post_email(browser: Browser, subject: str, key: str = "") -> Reply:
    """The real email contact form, as a signed-in customer posts it."""
    return browser.post(
        EMAIL_FORM,
        {
            "idempotency_key": key or uuid.uuid4().hex,
            "language": "en",
            "subject": subject,
            "description": "The export stops at 80 % and never finishes.",
        },
    )


class _FormFields(HTMLParser):
    """The fields a browser would send for the form with the given id."""

    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id = form_id
        self.inside = False
        self.fields: dict[str, str] = {}
        self._select: str | None = None
        self._select_first: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.inside = a.get("id") == self.form_id
        if not self.inside:
            return
        if tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind in ("submit", "button", "file", "image"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self.fields[a["name"]] = a.get("value", "on" if kind == "checkbox" else "")
        elif tag == "select":
            self._select, self._select_first = a.get("name"), None
        elif tag == "option" and self._select:
            if self._select_first is None:
                self._select_first = a.get("value", "")
                self.fields.setdefault(self._select, self._select_first)
            if "selected" in a:
                self.fields[self._select] = a.get("value", "")
        elif tag == "textarea" and a.get("name"):
            self._textarea = a["name"]
            self.fields[self._textarea] = ""

    def handle_data(self, data: str) -> None:
        if self.inside and self._textarea:
            self.fields[self._textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def form_fields(html: str, form_id: str) -> dict[str, str]:
    parser = _FormFields(form_id)
    parser.feed(html)
    return parser.fields


class MailCatcher:
    """An SMTP server of the test's own on loopback: what it accepted is what was emailed.

    Like a mail server that takes responsibility for a message when it answers 250, it keeps
    a message only if the client is still there after ``delay`` seconds; a client killed
    while waiting for that answer has sent nothing. ``in_flight`` counts the messages
    between their last line and that answer (where a drill kills a worker);
    ``newest_in_flight`` says how long the newest of them has waited and from which client
    port, so that a drill kills the sender itself, early in the wait."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.accepted: list[Message] = []
        self.dropped = 0
        self.in_flight = 0
        self._waiting: dict[float, socket.socket] = {}
        self.lock = threading.Lock()
        catcher = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                with contextlib.suppress(OSError):
                    catcher._converse(self)

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = int(self.server.server_address[1])
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def _converse(self, handler: socketserver.StreamRequestHandler) -> None:
        out = handler.wfile
        out.write(b"220 catcher ESMTP\r\n")
        while line := handler.rfile.readline():
            verb = line[:4].upper()
            if verb == b"QUIT":
                out.write(b"221 bye\r\n")
                return
            if verb != b"DATA":
                out.write(b"250 ok\r\n")
                continue
            out.write(b"354 go on\r\n")
            data = bytearray()
            while (part := handler.rfile.readline()) not in (b".\r\n", b""):
                data += part[1:] if part.startswith(b"..") else part
            started = time.monotonic()
            with self.lock:
                self.in_flight += 1
                self._waiting[started] = handler.connection
            try:
                time.sleep(self.delay)
                if not self._client_alive(handler.connection):
                    with self.lock:
                        self.dropped += 1
                    return
                with self.lock:
                    self.accepted.append(message_from_bytes(bytes(data)))
            finally:
                with self.lock:
                    self.in_flight -= 1
                    del self._waiting[started]
            out.write(b"250 queued\r\n")

    def newest_in_flight(self) -> tuple[float, int] | None:
        """How long the newest waiting message has waited, and its client's port.

        Only a client still there counts: one already killed waits here too until the
        server notices, and killing it again would kill nobody."""
        with self.lock:
            waiting = [
                (started, sock)
                for started, sock in self._waiting.items()
                if self._client_alive(sock)
            ]
        if not waiting:
            return None
        started, sock = max(waiting, key=lambda pair: pair[0])
        return time.monotonic() - started, int(sock.getpeername()[1])

    @staticmethod
    def _client_alive(sock: socket.socket) -> bool:
        readable, _, _ = select.select([sock], [], [], 0)
        if not readable:
            return True
        try:
            return sock.recv(1, socket.MSG_PEEK) != b""
        except OSError:
            return False

    def message_ids(self) -> Counter[str]:
        with self.lock:
            # A long Message-ID is folded onto a second line: unfold it.
            return Counter("".join(str(m["Message-ID"]).split()) for m in self.accepted)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def all_queued_confirmed_and_delivered(subjects: list[str], catcher: MailCatcher) -> bool:
    """The end state every drill waits for: each phone ticket of these subjects in its queue,
    every ticket confirmed, every outbox row marked sent and seen by the mail server."""
    from hub.accounts.models import OutboundEmail
    from tickets.models import CallbackRequest, Channel, Ticket

    tickets = Ticket.objects.filter(subject__in=subjects)
    phones = tickets.filter(channel=Channel.PHONE)
    if CallbackRequest.objects.filter(ticket__in=phones).count() < phones.count():
        return False
    if tickets.filter(confirmation_sent_at__isnull=True).exists():
        return False
    emails = OutboundEmail.objects.all()
    if emails.filter(sent_at__isnull=True).exists():
        return False
    return set(catcher.message_ids()) >= set(emails.values_list("message_id", flat=True))


@pytest.fixture
def mail_catcher() -> Iterator[Callable[..., MailCatcher]]:
    started: list[MailCatcher] = []

    def start(*, delay: float = 0.0) -> MailCatcher:
        started.append(MailCatcher(delay))
        return started[-1]

    yield start
    for catcher in started:
        catcher.close()


def pid_on_port(port: int) -> int:
    """The process whose TCP socket has this local port on loopback."""
    result = subprocess.run(
        ["ss", "-Htnp", f"sport = :{port}"], capture_output=True, text=True, check=True
    )
    found = re.search(r"pid=(\d+)", result.stdout)
    assert found, f"no process holds port {port}: {result.stdout!r}"
    return int(found.group(1))


def children_of(pid: int) -> list[int]:
    result = subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True, check=False
    )
    return [int(line) for line in result.stdout.split()]


def redis_call(redis: SpareRedis, *args: str) -> str:
    result = subprocess.run(
        ["redis-cli", "-p", str(redis.port), *args],
        capture_output=True, text=True, check=True, timeout=10,
    )  # fmt: skip
    return result.stdout.strip()


class ThrowawayPostgres:
    """A PostgreSQL cluster of the test's own (initdb in a temporary directory, a spare
    loopback port), which the test may stop and start; never the shared server."""

    def __init__(self) -> None:
        import shutil
        import tempfile

        found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
        if not found or shutil.which("pg_dump") is None:
            pytest.skip("the PostgreSQL server binaries are not installed")
        self.bin = found[-1].parent
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="hub-drill-pg-"))
        self.data = self.dir / "data"
        self.running = False
        if os.geteuid() == 0:  # initdb refuses root: the cluster belongs to postgres
            shutil.chown(self.dir, "postgres", "postgres")
            self.prefix = ["runuser", "-u", "postgres", "--"]
        else:
            self.prefix = []

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run(
            [*self.prefix, str(self.bin / tool), *args],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip

    def init(self) -> None:
        self._run(
            "initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres",
            "-E", "UTF8", "--locale=C.UTF-8", "--no-sync",
        )  # fmt: skip
        self.start()

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 "
            f"-c unix_socket_directories={self.dir} -c fsync=off -c max_connections=60"
        )
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.dir / "log"), "-o", options,
            "-w", "-t", "30", "start",
        )  # fmt: skip
        self.running = True

    def stop(self) -> None:
        """A fast shutdown: open sessions are ended, as in a failover or a restart."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "30", "stop")
        self.running = False

    def url(self, name: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def copy_of(self, name: str, source: dict[str, Any]) -> str:
        """A database here with the schema and rows of ``source`` (the test database)."""
        subprocess.run(
            ["psql", "-q", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
             "-c", f"CREATE DATABASE {name}"],
            check=True, capture_output=True, timeout=30,
        )  # fmt: skip
        dump = subprocess.run(
            ["pg_dump", "--no-owner", "--no-privileges", "-h", str(source["HOST"]),
             "-p", str(source["PORT"] or 5432), "-U", str(source["USER"]), str(source["NAME"])],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip
        subprocess.run(
            ["psql", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", str(self.port),
             "-U", "postgres", "-d", name],
            input=dump.stdout, check=True, capture_output=True, timeout=60,
        )  # fmt: skip
        return self.url(name)

    def destroy(self) -> None:
        import shutil

        if self.running:
            try:
                self.stop()
            except subprocess.SubprocessError:
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "stop")
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def throwaway_postgres() -> Iterator[ThrowawayPostgres]:
    cluster = ThrowawayPostgres()
    try:
        cluster.init()
    except (subprocess.SubprocessError, OSError) as error:
        cluster.destroy()
        pytest.skip(f"no throwaway PostgreSQL cluster here: {error}")
    yield cluster
    cluster.destroy()
