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
from urllib.parse import urlencode, urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent
LOOPBACK = "127.0.0.1"
BARE_PATH = "/bench/bare"
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
    """One URL measured under load. `user` is the email to sign in as; None is anonymous."""

    label: str
    path: str
    user: str | None = None
    expect_status: int = 200


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

    def __init__(self, base_url: str, config: BenchConfig) -> None:
        self.base_url = base_url
        self.config = config
        self._cookies: dict[str, str] = {}

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def session_cookie(self, email: str, password: str = DEMO_PASSWORD) -> str:
        if email not in self._cookies:
            self._cookies[email] = login(self.base_url, email, password)
        return self._cookies[email]

    def headers_for(self, page: Page) -> dict[str, str]:
        return {"Cookie": self.session_cookie(page.user)} if page.user else {}


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
        yield LiveHub(base_url, config)
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

# setup/init/response/done are wrk's hooks. Each thread counts answers whose status is not the
# expected one (a lost session shows as a fast 302 that wrk alone would count as a success).
_WRK_SCRIPT = """\
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  expected = tonumber(args[1])
  unexpected = 0
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


def wrk_run(
    url: str, *, headers: dict[str, str], expect_status: int, seconds: int, config: BenchConfig
) -> dict[str, float]:
    if urlsplit(url).hostname not in {LOOPBACK, "localhost", "::1"}:
        raise BenchError(f"the bench loads loopback only, not {url}")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", prefix="bench-wrk-") as script:
        script.write(_WRK_SCRIPT)
        script.flush()
        command = [
            wrk_path(),
            f"--threads={config.wrk_threads}",
            f"--connections={config.connections}",
            f"--duration={seconds}s",
            "--timeout=5s",
            f"--script={script.name}",
        ]
        # A new connection per request, as behind a proxy: kept-alive connections stay with
        # the worker that accepted them, so a run's figure would hang on how wrk's
        # connections fell among the workers (seen: 1,080 or 2,907 req/s for the bare view
        # in back-to-back runs, with 43 % of the CPU idle in the slow one).
        for name, value in {**headers, "Connection": "close"}.items():
            command.append(f"--header={name}: {value}")
        command += [url, "--", str(expect_status)]
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


def measure_page(hub: LiveHub, page: Page) -> Measurement:
    headers = hub.headers_for(page)
    # One plain request first: a page that answers wrongly is named, not measured.
    reply = http_request(hub.base_url, "GET", page.path, headers=headers)
    if reply.status != page.expect_status:
        where = reply.headers.get("Location", "")
        raise BenchError(
            f"{page.label}: GET {page.path} gave HTTP {reply.status} {where}, "
            f"expected {page.expect_status}"
        )
    url, config = hub.url(page.path), hub.config
    if config.warmup_seconds:
        # Workers open their database connections and fill their caches here, unmeasured.
        wrk_run(
            url,
            headers=headers,
            expect_status=page.expect_status,
            seconds=config.warmup_seconds,
            config=config,
        )
    figures = wrk_run(
        url,
        headers=headers,
        expect_status=page.expect_status,
        seconds=config.seconds,
        config=config,
    )
    return Measurement(
        page=page,
        requests=int(figures["requests"]),
        seconds=figures["duration_us"] / 1e6,
        p50_ms=figures["p50_us"] / 1e3,
        p99_ms=figures["p99_us"] / 1e3,
        socket_errors=int(figures["socket_errors"]),
        timeouts=int(figures["timeouts"]),
        unexpected_statuses=int(figures["unexpected"]),
    )


# --- The run -------------------------------------------------------------------------------------


def report(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


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
    with gunicorn_serving(config) as hub:
        report(f"serving on {hub.base_url}")
        # The bare view first, so that every later figure can be read against it.
        pages = sorted(plan.pages, key=lambda page: not _is_floor(page))
        for page in pages:
            measurement = measure_page(hub, page)
            measurements.append(measurement)
            report(f"{page.label}: {measurement.requests_per_second:,.0f} req/s")
        for scenario in plan.scenarios:
            scenario(hub)
    return measurements


def _is_floor(page: Page) -> bool:
    return page.path == BARE_PATH and page.user is None


def table(measurements: list[Measurement]) -> str:
    bare = next((m for m in measurements if _is_floor(m.page)), None)
    label_width = max([len("page"), *(len(m.page.label) for m in measurements)])
    lines = [
        f"{'page':<{label_width}}  {'req/s':>8}  {'p50 ms':>7}  {'p99 ms':>7}  "
        f"{'of bare':>7}  {'failed':>6}"
    ]
    for m in measurements:
        fraction = (
            f"{m.requests_per_second / bare.requests_per_second:.2f}"
            if bare and bare.requests_per_second
            else "-"
        )
        lines.append(
            f"{m.page.label:<{label_width}}  {m.requests_per_second:>8,.0f}  {m.p50_ms:>7.2f}  "
            f"{m.p99_ms:>7.2f}  {fraction:>7}  {m.failures:>6}"
        )
    return "\n".join(lines)
