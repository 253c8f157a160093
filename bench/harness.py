"""The reusable pieces of `python -m bench`.

One run: recreate a PostgreSQL database of its own, migrate it, seed the demo data and then
every seeder of the plan; serve the hub under gunicorn with production settings on a free
loopback port; sign each page's user in once; measure every page with wrk for a fixed time
at a fixed concurrency; run the plan's other scenarios against the live hub; and stop the
server whatever happens (error, Ctrl-C, SIGTERM).

Django is set up inside this process too (django_configure), on the same settings as the
server, so that seeders can use the ORM and bulk_create directly.
"""

from __future__ import annotations

import contextlib
import http.client
import io
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import quote_plus, urlencode, urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent
LOOPBACK = "127.0.0.1"
BARE_PATH = "/bench/bare"
# The Celery worker's pool, as docker-compose.yml sizes it.
WORKER_PROCESSES = 4
DEMO_PASSWORD = "hub-demo-2026"
# wrk's Lua `done` hook prints one line starting with this, holding the figures as JSON.
_RESULT_MARK = "BENCH-RESULT "


class BenchError(Exception):
    """A run that cannot go on; the message says what to do."""


# --- Configuration ---------------------------------------------------------------------------


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _env_int(name: str, default: int, *, low: int, high: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BenchError(f"{name}={raw!r} is not a whole number") from None
    if not low <= value <= high:
        raise BenchError(f"{name}={value} is out of bounds ({low} to {high})")
    return value


@dataclass(frozen=True)
class BenchConfig:
    """What a run uses; every field can be set from a BENCH_* environment variable."""

    seconds: int = 10
    warmup_seconds: int = 2
    connections: int = 16
    wrk_threads: int = 1
    workers: int = 2 * _cores()
    threads: int = 4
    database: str = "hub_bench"
    postgres_url: str = f"postgresql://postgres@{LOOPBACK}:5432/postgres"
    # A Redis database of its own: it is emptied at the start of every run.
    redis_url: str = f"redis://{LOOPBACK}:6379/14"
    log_dir: Path = BASE_DIR / "var" / "bench"

    @classmethod
    def from_environment(cls) -> BenchConfig:
        defaults = cls()
        config = cls(
            seconds=_env_int("BENCH_SECONDS", defaults.seconds, low=1, high=600),
            warmup_seconds=_env_int(
                "BENCH_WARMUP_SECONDS", defaults.warmup_seconds, low=0, high=60
            ),
            connections=_env_int("BENCH_CONNECTIONS", defaults.connections, low=1, high=256),
            wrk_threads=_env_int("BENCH_WRK_THREADS", defaults.wrk_threads, low=1, high=16),
            workers=_env_int("BENCH_WORKERS", defaults.workers, low=1, high=64),
            threads=_env_int("BENCH_THREADS", defaults.threads, low=1, high=64),
            database=os.environ.get("BENCH_DATABASE", defaults.database),
            postgres_url=os.environ.get("BENCH_POSTGRES_URL", defaults.postgres_url),
            redis_url=os.environ.get("BENCH_REDIS_URL", defaults.redis_url),
        )
        # The database is dropped on every run: never let a typo point that at real data.
        if not re.fullmatch(r"[a-z_][a-z0-9_]*bench[a-z0-9_]*", config.database):
            raise BenchError(
                f"BENCH_DATABASE={config.database!r}: the bench drops and recreates this "
                "database, so its name must be lower-case and contain 'bench'"
            )
        if config.redis_url and urlsplit(config.redis_url).path.strip("/") in {"", "0"}:
            raise BenchError(
                f"BENCH_REDIS_URL={config.redis_url!r}: the bench empties this Redis "
                "database, so give it one of its own (e.g. /14), or set it empty for none"
            )
        if config.connections < config.wrk_threads:
            raise BenchError("BENCH_CONNECTIONS must be at least BENCH_WRK_THREADS")
        return config

    @property
    def database_url(self) -> str:
        parts = urlsplit(self.postgres_url)
        return urlunsplit(parts._replace(path=f"/{self.database}"))

    def describe(self) -> str:
        return (
            f"gunicorn gthread {self.workers} workers x {self.threads} threads on {_cores()} "
            f"cores; wrk {self.connections} connections, {self.wrk_threads} thread(s), "
            f"{self.seconds} s per page after {self.warmup_seconds} s warm-up; "
            f"PostgreSQL database {self.database}; Redis {self.redis_url or 'none'}"
        )


def production_environment(config: BenchConfig) -> dict[str, str]:
    """The settings the server and this process run on: production, over plain loopback."""
    return {
        "DJANGO_SETTINGS_MODULE": "hub.settings",
        "DEBUG": "off",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": f"{LOOPBACK},localhost",
        # No TLS terminator in front of gunicorn here, so no redirect to https.
        "SECURE_SSL_REDIRECT": "off",
        "DATABASE_URL": config.database_url,
        "REDIS_URL": config.redis_url,
        "EMAIL_URL": "dummymail://",
        "BENCH_VIEWS": "on",
        "LOG_LEVEL": "WARNING",
    }


def django_configure(config: BenchConfig) -> None:
    """Point this process (and the server it starts) at the bench settings; set Django up."""
    os.environ.update(production_environment(config))
    if not config.redis_url:
        os.environ.pop("REDIS_URL")
    if str(BASE_DIR) not in sys.path:
        sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()


# --- The plan: what later benchmarks add to ---------------------------------------------------


@dataclass(frozen=True)
class Page:
    """One URL measured under load. `user` is the email to sign in as; None is anonymous.

    `others` are more (path, user) pairs that the load takes in turn with the first, request
    by request, so that a page is measured across many members, areas and tickets rather
    than one cached row. A POST sends `body` (form-encoded; `{key}` becomes a fresh
    idempotency key in every request, `{csrf}` the user's CSRF token, `{user}` their email,
    `{area}` the product area named in the path). `floor` is the least
    throughput the page must keep, as a fraction of the anonymous bare view's in the same
    run: below it, the run fails.
    """

    label: str
    path: str
    user: str | None = None
    expect_status: int = 200
    others: tuple[tuple[str, str | None], ...] = ()
    method: str = "GET"
    body: str = ""
    floor: float | None = None

    @property
    def requests(self) -> list[tuple[str, str | None]]:
        return [(self.path, self.user), *self.others]


# Runs in this process once the demo data is in, with Django set up on the bench database.
Seeder = Callable[[], None]


@dataclass
class Plan:
    """What one run seeds and measures. Each bench module's `extend(plan)` adds its part.

    A seeder may also append pages it can only name once its rows exist: pages are read
    after seeding.
    """

    pages: list[Page] = field(default_factory=list)
    seeders: list[Seeder] = field(default_factory=list)
    # Serve with a Celery worker (and its beat) running, as production does.
    worker: bool = False
    # What scenarios found wrong; any makes the run exit 1.
    failures: list[str] = field(default_factory=list)
    # Which of the pages to measure (the bare view always is).
    keep: Callable[[Page], bool] = lambda page: True
    # Measurements other than a page's throughput (message latency, a long load), run
    # against the live hub after the pages.
    scenarios: list[Callable[[LiveHub], None]] = field(default_factory=list)


# --- The database ------------------------------------------------------------------------------


def database_recreate(config: BenchConfig) -> None:
    import psycopg
    from django.db import connections
    from psycopg import sql

    connections.close_all()
    try:
        with psycopg.connect(config.postgres_url, autocommit=True, connect_timeout=5) as admin:
            name = sql.Identifier(config.database)
            # FORCE ends connections a crashed earlier run may have left behind.
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
            admin.execute(sql.SQL("CREATE DATABASE {}").format(name))
    except psycopg.OperationalError as exc:
        raise BenchError(f"PostgreSQL at {config.postgres_url} does not answer: {exc}") from exc


def redis_empty(config: BenchConfig) -> None:
    """Rate-limit counters and cached pages from an earlier run must not leak into this one."""
    if not config.redis_url:
        return
    import redis

    client = redis.Redis.from_url(config.redis_url, socket_connect_timeout=2, socket_timeout=5)
    try:
        client.flushdb()
    except redis.RedisError as exc:
        raise BenchError(f"Redis at {config.redis_url} does not answer: {exc}") from exc
    finally:
        client.close()


def database_prepare(seeders: list[Seeder]) -> None:
    from django.core.management import call_command
    from django.db import connections

    call_command("migrate", interactive=False, verbosity=0)
    # Production serves hashed names from whitenoise's manifest, which this builds.
    call_command("collectstatic", interactive=False, verbosity=0)
    # Production settings on purpose (DEBUG off), with the demo's people and data.
    call_command("seed_demo", "--allow-production", stdout=io.StringIO())
    for seeder in seeders:
        started = time.perf_counter()
        seeder()
        name = getattr(seeder, "__qualname__", repr(seeder))
        report(f"seeded {name} in {time.perf_counter() - started:.1f} s")
    # The tables as autovacuum keeps them in production: PostgreSQL may run here with
    # autovacuum off. Never analyzed, a table is planned as a few rows; never vacuumed, the
    # seeders' updates leave two dead versions of every ticket for each scan to step over.
    with connections["default"].cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    # The server's workers open their own; this process holds none during the load.
    connections.close_all()


# --- Plain HTTP on loopback --------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def cookies(self) -> dict[str, str]:
        jar: SimpleCookie = SimpleCookie()
        for header in self.headers.get_all("Set-Cookie") or []:
            jar.load(header)
        return {name: morsel.value for name, morsel in jar.items()}


def http_request(
    base_url: str,
    method: str,
    path: str,
    *,
    headers: dict[str, str] | None = None,
    body: str | None = None,
    timeout: float = 10,
) -> Reply:
    parts = urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname or LOOPBACK, parts.port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return Reply(response.status, response.headers, response.read())
    finally:
        connection.close()


def login(base_url: str, email: str, password: str) -> str:
    """Sign in through the real form; return the Cookie header that carries the session.

    The cookies are Secure in production, so a cookie jar would not send them back over
    plain HTTP; they are carried by hand instead.
    """
    from django.conf import settings

    form_page = http_request(base_url, "GET", "/accounts/login/")
    csrf = form_page.cookies().get(settings.CSRF_COOKIE_NAME)
    if form_page.status != 200 or not csrf:
        raise BenchError(f"GET /accounts/login/ gave HTTP {form_page.status} without a CSRF cookie")
    reply = http_request(
        base_url,
        "POST",
        "/accounts/login/",
        headers={
            "Cookie": f"{settings.CSRF_COOKIE_NAME}={csrf}",
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": base_url,
            "X-CSRFToken": csrf,
        },
        body=urlencode({"login": email, "password": password}),
    )
    session = reply.cookies().get(settings.SESSION_COOKIE_NAME)
    if reply.status != 302 or not session:
        raise BenchError(f"could not sign in as {email}: HTTP {reply.status}")
    csrf = reply.cookies().get(settings.CSRF_COOKIE_NAME, csrf)
    return f"{settings.SESSION_COOKIE_NAME}={session}; {settings.CSRF_COOKIE_NAME}={csrf}"


class LiveHub:
    """The hub being served: its address, and one signed-in session per user, made once."""

    def __init__(self, base_url: str, config: BenchConfig, server_pid: int | None = None) -> None:
        self.base_url = base_url
        self.config = config
        self.server_pid = server_pid
        self.worker_pid: int | None = None
        self._cookies: dict[str, str] = {}

    def server_cpu_seconds(self) -> float:
        """CPU time (user + system) the server's processes have used so far."""
        return process_tree_cpu_seconds(self.server_pid)

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def session_cookie(self, email: str, password: str = DEMO_PASSWORD) -> str:
        """The Cookie header of a signed-in session of ``email``, made once. Sessions are
        made here rather than through the sign-in form, whose rate limit would (rightly)
        refuse a hundred sign-ins from one address; the form itself is measured as a page."""
        if email not in self._cookies:
            self._cookies[email] = signed_in_cookie(email)
        return self._cookies[email]

    def csrf_token(self, email: str) -> str:
        from django.conf import settings

        cookie = SimpleCookie(self.session_cookie(email))
        return cookie[settings.CSRF_COOKIE_NAME].value

    def headers_for(self, page: Page) -> dict[str, str]:
        return {"Cookie": self.session_cookie(page.user)} if page.user else {}


def signed_in_cookie(email: str) -> str:
    """A session as signing in leaves it (through the configured session engine), and a
    CSRF cookie whose value the bench's POSTs repeat in the form."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.middleware.csrf import _get_new_csrf_string
    from django.test import Client

    user = get_user_model().objects.get(email=email)
    client = Client()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    return (
        f"{settings.SESSION_COOKIE_NAME}={session}; "
        f"{settings.CSRF_COOKIE_NAME}={_get_new_csrf_string()}"
    )


# --- gunicorn ------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


@contextlib.contextmanager
def gunicorn_serving(config: BenchConfig) -> Iterator[LiveHub]:
    """Serve the hub as production does (gthread workers), on loopback only."""
    config.log_dir.mkdir(parents=True, exist_ok=True)
    log_path = config.log_dir / "gunicorn.log"
    port = _free_port()
    base_url = f"http://{LOOPBACK}:{port}"
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "hub.wsgi:application",
        f"--bind={LOOPBACK}:{port}",
        "--worker-class=gthread",
        f"--workers={config.workers}",
        f"--threads={config.threads}",
        # Several servers may run on this machine; none needs the shared control socket.
        "--no-control-socket",
        "--graceful-timeout=5",
        "--log-level=warning",
        f"--error-logfile={log_path}",
    ]
    with log_path.open("w") as log:
        # A session of its own: Ctrl-C in the terminal reaches this process, which then
        # stops the server itself, in order.
        process = subprocess.Popen(
            command,
            cwd=BASE_DIR,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_healthy(base_url, process, log_path)
        yield LiveHub(base_url, config, server_pid=process.pid)
    finally:
        _stop(process)


def process_tree_cpu_seconds(pid: int | None) -> float:
    """CPU seconds of a process and its living children (gunicorn's workers, Celery's pool).
    A child that died took its time with it: figures are read across a steady load only."""
    import psutil

    if pid is None:
        return 0.0
    try:
        root = psutil.Process(pid)
        processes = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    total = 0.0
    for process in processes:
        with contextlib.suppress(psutil.NoSuchProcess):
            times = process.cpu_times()
            total += times.user + times.system
    return total


@contextlib.contextmanager
def celery_serving(config: BenchConfig) -> Iterator[subprocess.Popen[bytes]]:
    """A Celery worker with its beat, on the default queue, as production runs them: four
    pool processes, as docker-compose.yml's worker has (the knowledge-base indexing
    seed_demo queued has its own queue and is left alone). With two, under the form POSTs'
    full load the worker had two processes against gunicorn's four and fell behind."""
    config.log_dir.mkdir(parents=True, exist_ok=True)
    log_path = config.log_dir / "celery.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "hub", "worker", "--beat",
             f"--concurrency={WORKER_PROCESSES}", "-Q", "celery", "--loglevel=WARNING",
             "--without-mingle", "--without-gossip"],
            cwd=BASE_DIR, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        time.sleep(3)
        if process.poll() is not None:
            raise BenchError(f"the Celery worker exited; {log_path} ends:\n{_tail(log_path)}")
        yield process
    finally:
        _stop(process)


def _wait_healthy(base_url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + 60
    last = "no answer"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(
                f"gunicorn exited with {process.returncode}; {log_path} ends:\n{_tail(log_path)}"
            )
        try:
            reply = http_request(base_url, "GET", "/healthz", timeout=2)
        except OSError as exc:
            last = str(exc)
        else:
            if reply.status == 200:
                return
            last = f"HTTP {reply.status} {reply.body[:200]!r}"
        time.sleep(0.2)
    raise BenchError(f"/healthz did not answer 200 within 60 s ({last}); see {log_path}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()  # the master stops its workers gracefully on TERM
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=15)
    # Whatever is left of the server's own session (workers of a master that died), by id.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


# --- wrk -----------------------------------------------------------------------------------------

# setup/init/request/response/done are wrk's hooks. Each thread reads the requests to take
# in turn (method, path, cookie, body; tab-separated, one a line), starts at its own place in
# them, gives every POST a fresh idempotency key, and counts answers whose status is not the
# expected one (a lost session shows as a fast 302 that wrk alone would count as a success).
_WRK_SCRIPT = """\
local threads = {}
local counter = 0

function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end

function init(args)
  expected = tonumber(args[1])
  unexpected = 0
  plan = {}
  for line in io.lines(args[2]) do
    local method, path, cookie, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
    table.insert(plan, {method = method, path = path, cookie = cookie, body = body})
  end
  math.randomseed(os.time() * 64 + id)
  place = (id * 7919) % #plan
end

local function fresh_key()
  counter = counter + 1
  return string.format("%08x%04x%08x%04x%08x", os.time(), id, counter,
    math.random(0, 65535), math.random(0, 2147483647))
end

function request()
  place = place % #plan + 1
  local r = plan[place]
  local headers = {Connection = "close"}
  if r.cookie ~= "" then headers["Cookie"] = r.cookie end
  local body = nil
  if r.method == "POST" then
    body = r.body:gsub("{key}", fresh_key())
    headers["Content-Type"] = "application/x-www-form-urlencoded"
  end
  return wrk.format(r.method, r.path, headers, body)
end

function response(status, headers, body)
  if status ~= expected then
    unexpected = unexpected + 1
  end
end

function done(summary, latency, requests)
  local unexpected_total = 0
  for _, thread in ipairs(threads) do
    unexpected_total = unexpected_total + thread:get("unexpected")
  end
  local errors = summary.errors
  io.write(string.format(
    '%s{"requests": %d, "duration_us": %d, "p50_us": %.1f, "p99_us": %.1f, '
    .. '"socket_errors": %d, "timeouts": %d, "unexpected": %d}\\n',
    "MARK", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99),
    errors.connect + errors.read + errors.write, errors.timeout, unexpected_total))
end
""".replace("MARK", _RESULT_MARK)


@dataclass(frozen=True)
class Measurement:
    page: Page
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    socket_errors: int
    timeouts: int
    unexpected_statuses: int
    # The server's CPU time over the measured seconds, per request answered; the Celery
    # worker's (with what it did in the few seconds after, for the forms' tasks).
    cpu_ms_per_request: float = 0.0
    worker_cpu_ms_per_request: float = 0.0

    @property
    def requests_per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def failures(self) -> int:
        return self.socket_errors + self.timeouts + self.unexpected_statuses


def wrk_path() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise BenchError("wrk is not installed; on Debian: apt-get install -y wrk")
    return path


def _plan_lines(hub: LiveHub, page: Page) -> list[str]:
    lines = []
    for path, user in page.requests:
        cookie = hub.session_cookie(user) if user else ""
        body = page.body
        if user and body:
            area = re.search(r"/areas/([\w-]+)/", path)
            body = (
                body.replace("{csrf}", hub.csrf_token(user))
                .replace("{user}", quote_plus(user))
                .replace("{area}", area.group(1) if area else "")
            )
        if any("\t" in part or "\n" in part for part in (path, cookie, body)):
            raise BenchError(f"{page.label}: a tab or line break in {path!r}")
        lines.append("\t".join((page.method, path, cookie, body)))
    return lines


def wrk_run(
    url: str, *, lines: list[str], expect_status: int, seconds: int, config: BenchConfig
) -> dict[str, float]:
    """Load ``url``'s server with the requests of ``lines`` in turn (see _WRK_SCRIPT)."""
    if urlsplit(url).hostname not in {LOOPBACK, "localhost", "::1"}:
        raise BenchError(f"the bench loads loopback only, not {url}")
    with (
        tempfile.NamedTemporaryFile("w", suffix=".lua", prefix="bench-wrk-") as script,
        tempfile.NamedTemporaryFile("w", suffix=".tsv", prefix="bench-wrk-") as plan,
    ):
        script.write(_WRK_SCRIPT)
        script.flush()
        plan.write("\n".join(lines) + "\n")
        plan.flush()
        # A new connection per request (the script's Connection: close), as behind a
        # proxy: kept-alive connections stay with the worker that accepted them, so a run's
        # figure would hang on how wrk's connections fell among the workers (seen: 1,080 or
        # 2,907 req/s for the bare view in back-to-back runs, with 43 % of the CPU idle in
        # the slow one).
        command = [
            wrk_path(),
            f"--threads={config.wrk_threads}",
            f"--connections={config.connections}",
            f"--duration={seconds}s",
            "--timeout=5s",
            f"--script={script.name}",
            url,
            "--",
            str(expect_status),
            plan.name,
        ]
        try:
            finished = subprocess.run(
                command, capture_output=True, text=True, timeout=seconds + 30, check=False
            )
        except subprocess.TimeoutExpired as exc:
            raise BenchError(f"wrk did not finish within {seconds + 30} s on {url}") from exc
    for line in finished.stdout.splitlines():
        if line.startswith(_RESULT_MARK):
            figures: dict[str, float] = json.loads(line.removeprefix(_RESULT_MARK))
            return figures
    raise BenchError(
        f"wrk gave no result for {url} (exit {finished.returncode}):\n"
        f"{finished.stdout}{finished.stderr}"
    )


def _check_first(hub: LiveHub, page: Page) -> None:
    """One plain request first: a page that answers wrongly is named, not measured."""
    if page.method != "GET":
        return  # a POST would make a row; the load's unexpected statuses name it instead
    for path, user in page.requests[:3]:
        headers = {"Cookie": hub.session_cookie(user)} if user else {}
        reply = http_request(hub.base_url, "GET", path, headers=headers)
        if reply.status != page.expect_status:
            where = reply.headers.get("Location", "")
            raise BenchError(
                f"{page.label}: GET {path} as {user or 'anonymous'} gave HTTP {reply.status} "
                f"{where}, expected {page.expect_status}"
            )


def _wait_worker_idle(pid: int | None, *, limit_seconds: float = 120.0) -> None:
    """Until the worker has finished what it was given: its CPU stands still for a second."""
    deadline = time.monotonic() + limit_seconds
    last = process_tree_cpu_seconds(pid)
    while time.monotonic() < deadline:
        time.sleep(1.0)
        now = process_tree_cpu_seconds(pid)
        if now - last < 0.05:
            return
        last = now


def measure_page(hub: LiveHub, page: Page) -> Measurement:
    _check_first(hub, page)
    lines = _plan_lines(hub, page)
    url, config = hub.url(page.path), hub.config
    # A form's tasks run after its requests, and under a saturating load long after: the
    # worker's CPU is counted from before the warm-up until it has done them all, per
    # submission made (warm-up included). Other pages count the measured seconds only.
    is_form = page.method == "POST"
    worker_before = process_tree_cpu_seconds(hub.worker_pid)
    warmup_requests = 0
    if config.warmup_seconds:
        # Workers open their database connections and fill their caches here, unmeasured.
        warmup = wrk_run(
            url,
            lines=lines,
            expect_status=page.expect_status,
            seconds=config.warmup_seconds,
            config=config,
        )
        warmup_requests = int(warmup["requests"])
    cpu_before = hub.server_cpu_seconds()
    if not is_form:
        worker_before = process_tree_cpu_seconds(hub.worker_pid)
    figures = wrk_run(
        url, lines=lines, expect_status=page.expect_status, seconds=config.seconds, config=config
    )
    cpu = hub.server_cpu_seconds() - cpu_before
    requests = int(figures["requests"])
    if is_form:
        _wait_worker_idle(hub.worker_pid)
    submissions = requests + warmup_requests if is_form else requests
    worker_cpu = process_tree_cpu_seconds(hub.worker_pid) - worker_before
    return Measurement(
        page=page,
        requests=requests,
        seconds=figures["duration_us"] / 1e6,
        p50_ms=figures["p50_us"] / 1e3,
        p99_ms=figures["p99_us"] / 1e3,
        socket_errors=int(figures["socket_errors"]),
        timeouts=int(figures["timeouts"]),
        unexpected_statuses=int(figures["unexpected"]),
        cpu_ms_per_request=cpu * 1000 / requests if requests else 0.0,
        worker_cpu_ms_per_request=worker_cpu * 1000 / submissions if submissions else 0.0,
    )


# --- The run -------------------------------------------------------------------------------------


def report(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def machine_load() -> str:
    """The load average: the machine may be shared, and fractions matter, not absolutes."""
    one, five, _fifteen = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {_cores()} cores"


def run(plan: Plan, config: BenchConfig) -> list[Measurement]:
    """Seed, serve and measure; the server is stopped before this returns or raises."""
    wrk_path()
    started = time.perf_counter()
    report(config.describe())
    redis_empty(config)
    database_recreate(config)
    database_prepare(plan.seeders)
    report(f"database ready in {time.perf_counter() - started:.1f} s")
    measurements: list[Measurement] = []
    with contextlib.ExitStack() as stack:
        hub = stack.enter_context(gunicorn_serving(config))
        report(f"serving on {hub.base_url}; {machine_load()}")
        if plan.worker:
            hub.worker_pid = stack.enter_context(celery_serving(config)).pid
        # The bare view first, so that every later figure can be read against it; and again
        # every few pages and after the last, since on a shared machine the load moves during
        # a run: each page is read against the bare view measured around it (_with_bare).
        pages = sorted(
            (page for page in plan.pages if _is_floor(page) or plan.keep(page)),
            key=lambda page: not _is_floor(page),
        )
        bare = next((page for page in pages if _is_floor(page)), None)
        every = _env_int("BENCH_BARE_EVERY", 2, low=1, high=1000)

        def bare_again() -> None:
            assert bare is not None
            again = measure_page(hub, bare)
            report(f"{bare.label} again: {again.requests_per_second:,.0f} req/s")
            measurements.append(again)

        for n, page in enumerate(pages):
            if bare is not None and n > 1 and n % every == 0:
                bare_again()
            measurement = measure_page(hub, page)
            measurements.append(measurement)
            report(
                f"{page.label}: {measurement.requests_per_second:,.0f} req/s, "
                f"{measurement.cpu_ms_per_request:.1f} ms CPU each"
            )
        # And once more after the last, so that every page has a reading on each side.
        if bare is not None and len(pages) > 1:
            bare_again()
        report(f"pages measured; {machine_load()}")
        for scenario in plan.scenarios:
            name = getattr(scenario, "__qualname__", repr(scenario))
            try:
                scenario(hub)
            except BenchError as exc:
                plan.failures.append(f"{name}: {exc}")
                report(f"{name} failed: {exc}")
    return measurements


def _is_floor(page: Page) -> bool:
    return page.path == BARE_PATH and page.user is None and not page.others


def floors_raised() -> dict[str, float]:
    """BENCH_FLOORS="label part=fraction,…": floors to hold instead of the pages' own (to
    see the run fail, or to hold a page to more than the issue asked)."""
    raised: dict[str, float] = {}
    for item in filter(
        None, (part.strip() for part in os.environ.get("BENCH_FLOORS", "").split(","))
    ):
        label, _, value = item.rpartition("=")
        try:
            raised[label.strip()] = float(value)
        except ValueError:
            raise BenchError(f"BENCH_FLOORS: {item!r} is not 'label part=fraction'") from None
    return raised


def floor_of(page: Page) -> float | None:
    for part, value in floors_raised().items():
        if part and part in page.label:
            return value
    return page.floor


def _fraction(m: Measurement, bare: float | None) -> float | None:
    if not bare:
        return None
    return m.requests_per_second / bare


def _with_bare(measurements: list[Measurement]) -> list[tuple[Measurement, float | None]]:
    """Each measurement with the bare view's throughput it is read against: for a page, the
    mean of the bare view's measured last before it and first after it (whichever there is,
    at either end of the run); for the bare view, its own.

    The machine's speed moves during a run (seen: the bare view at 2,132 req/s, then 1,611
    four pages later), and a page measured between two readings ran somewhere between them:
    read against the one before it alone, the same page passed or failed by which side of
    such a move it fell on."""
    readings = [n for n, m in enumerate(measurements) if _is_floor(m.page)]
    paired: list[tuple[Measurement, float | None]] = []
    for n, m in enumerate(measurements):
        if n in readings:
            paired.append((m, m.requests_per_second))
            continue
        before = [measurements[k].requests_per_second for k in readings if k < n][-1:]
        after = [measurements[k].requests_per_second for k in readings if k > n][:1]
        around = before + after
        paired.append((m, sum(around) / len(around) if around else None))
    return paired


def below_floor(measurements: list[Measurement]) -> list[str]:
    """The pages whose throughput fell below their floor, said in a line each."""
    missed = []
    for m, bare in _with_bare(measurements):
        floor, fraction = floor_of(m.page), _fraction(m, bare)
        if floor is not None and fraction is not None and fraction < floor:
            missed.append(
                f"{m.page.label}: {fraction:.3f} of the bare view, below its floor {floor:.2f}"
            )
    return missed


def table(measurements: list[Measurement]) -> str:
    label_width = max([len("page"), *(len(m.page.label) for m in measurements)])
    lines = [
        f"{'page':<{label_width}}  {'req/s':>8}  {'p50 ms':>7}  {'p99 ms':>7}  "
        f"{'CPU ms':>6}  {'worker':>6}  {'bare':>6}  {'of bare':>7}  {'floor':>5}  {'':>4}  "
        f"{'failed':>6}"
    ]
    for m, bare in _with_bare(measurements):
        fraction, floor = _fraction(m, bare), floor_of(m.page)
        verdict = (
            "" if floor is None or fraction is None else ("ok" if fraction >= floor else "LOW")
        )
        lines.append(
            f"{m.page.label:<{label_width}}  {m.requests_per_second:>8,.0f}  {m.p50_ms:>7.2f}  "
            f"{m.p99_ms:>7.2f}  {m.cpu_ms_per_request:>6.1f}  {m.worker_cpu_ms_per_request:>6.1f}  "
            f"{'-' if bare is None else f'{bare:,.0f}':>6}  "
            f"{'-' if fraction is None else f'{fraction:.3f}':>7}  "
            f"{'' if floor is None else f'{floor:.2f}':>5}  {verdict:>4}  {m.failures:>6}"
        )
    return "\n".join(lines)
