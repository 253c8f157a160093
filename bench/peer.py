"""`python -m bench peer`: django-helpdesk's submit POST beside ours, in one run.

django-helpdesk (DJANGO_HELPDESK, 2.6.1) is installed into a virtualenv of its own under
var/peer/ (once), with a minimal project around it (settings and URLs written here: its
documented set-up, email to a dummy backend as ours is, DEBUG off). It gets a PostgreSQL
database of its own (BENCH_PEER_DATABASE, `hub_bench_peer`, recreated each run) seeded with
the same volume as ours (BENCH_HISTORY_TICKETS, 100,000 tickets in one queue), is served by
gunicorn with the same workers and threads, and its anonymous public submit form is posted
by wrk exactly as ours are: the same connections and seconds, a fresh body each request.

The hub's side (the bare view, the phone and email POSTs with the worker running, and the
time from submit to queued) is measured first in the same run; the run fails unless each of
our submissions does at least PEER_FACTOR (3) times the peer's tickets per second.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from bench import harness

DJANGO_HELPDESK = "django-helpdesk==2.6.1"
PEER_FACTOR = 3.0
PEER_DIR = harness.BASE_DIR / "var" / "peer"
VENV = PEER_DIR / "venv"
PROJECT = PEER_DIR / "project"

_SETTINGS = """\
import os

SECRET_KEY = os.environ["PEER_SECRET_KEY"]
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = [
    "django.contrib.admin", "django.contrib.auth", "django.contrib.contenttypes",
    "django.contrib.sessions", "django.contrib.messages", "django.contrib.staticfiles",
    "django.contrib.sites", "django.contrib.humanize", "rest_framework", "helpdesk",
]
SITE_ID = 1
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "peer_urls"
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "APP_DIRS": True,
    "OPTIONS": {"context_processors": [
        "django.template.context_processors.request",
        "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages",
    ]},
}]
DATABASES = {"default": {
    "ENGINE": "django.db.backends.postgresql", "NAME": os.environ["PEER_DATABASE"],
    "HOST": "127.0.0.1", "USER": "postgres", "CONN_MAX_AGE": 60,
}}
STATIC_URL = "/static/"
EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
LOGIN_URL = "/login/"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
# Teams need pinax-teams, which the submit form never touches.
HELPDESK_TEAMS_MODE_ENABLED = False
"""

_URLS = """\
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("helpdesk.urls", namespace="helpdesk")),
]
"""

# Runs in the peer's virtualenv: one public queue and the history, by bulk_create.
_SEED = """\
import os, random, sys
from datetime import timedelta
import django
django.setup()
from django.utils import timezone
from helpdesk.models import Queue, Ticket

count = int(sys.argv[1])
queue = Queue.objects.create(
    title="Support", slug="support", allow_public_submission=True, email_address="s@x.example"
)
chooser = random.Random(7)
start = timezone.now() - timedelta(days=3 * 365)
step = timedelta(days=3 * 365) / count
for offset in range(0, count, 5000):
    batch = []
    for n in range(offset, min(offset + 5000, count)):
        batch.append(Ticket(
            title=f"Survey export stops at 50,000 rows ({n})", queue=queue,
            submitter_email=f"member{n % 200}@acme.example",
            description="The CSV export stops at 80 % and never finishes.",
            status=chooser.choice([Ticket.CLOSED_STATUS] * 6 + [Ticket.OPEN_STATUS] * 4),
            priority=3, created=start + step * n, modified=start + step * n,
            secret_key=f"{n:012d}",
        ))
    Ticket.objects.bulk_create(batch)
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute("VACUUM ANALYZE")
print(queue.pk)
"""


def _database(config: harness.BenchConfig) -> harness.BenchConfig:
    from dataclasses import replace

    name = os.environ.get("BENCH_PEER_DATABASE", "hub_bench_peer")
    return replace(config, database=name)


def _install() -> Path:
    python = VENV / "bin" / "python"
    marker = VENV / ".installed"
    if marker.exists() and marker.read_text() == DJANGO_HELPDESK:
        return python
    harness.report(f"installing {DJANGO_HELPDESK} into {VENV}")
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True)
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", DJANGO_HELPDESK, "gunicorn",
         "psycopg[binary]"],
        check=True,
    )  # fmt: skip
    marker.write_text(DJANGO_HELPDESK)
    return python


def _environment(config: harness.BenchConfig) -> dict[str, str]:
    import secrets

    return {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(PROJECT),
        "DJANGO_SETTINGS_MODULE": "peer_settings",
        "PEER_DATABASE": config.database,
        "PEER_SECRET_KEY": secrets.token_urlsafe(40),
    }


def _prepare(python: Path, config: harness.BenchConfig, tickets: int) -> int:
    """The project, its database migrated and seeded; returns the public queue's id."""
    PROJECT.mkdir(parents=True, exist_ok=True)
    (PROJECT / "peer_settings.py").write_text(_SETTINGS)
    (PROJECT / "peer_urls.py").write_text(_URLS)
    (PROJECT / "peer_wsgi.py").write_text(
        "from django.core.wsgi import get_wsgi_application\n\n"
        "application = get_wsgi_application()\n"
    )
    harness.database_recreate(config)
    env = _environment(config)
    subprocess.run(
        [str(python), "-m", "django", "migrate", "--noinput", "-v0"], env=env, check=True
    )
    seeded = subprocess.run(
        [str(python), "-c", _SEED, str(tickets)],
        env=env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    return int(seeded.stdout.strip().splitlines()[-1])


@contextlib.contextmanager
def _serving(python: Path, config: harness.BenchConfig) -> Iterator[tuple[str, int]]:
    port = harness._free_port()
    base_url = f"http://{harness.LOOPBACK}:{port}"
    log_path = config.log_dir / "peer-gunicorn.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [str(python), "-m", "gunicorn", "peer_wsgi:application",
             f"--bind={harness.LOOPBACK}:{port}",
             "--worker-class=gthread", f"--workers={config.workers}",
             f"--threads={config.threads}", "--no-control-socket", "--log-level=warning"],
            cwd=PROJECT, env=_environment(config), stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise harness.BenchError(f"the peer's gunicorn exited; see {log_path}")
            with contextlib.suppress(OSError):
                if harness.http_request(base_url, "GET", "/tickets/submit/").status == 200:
                    break
            time.sleep(0.3)
        else:
            raise harness.BenchError(f"the peer did not answer within 60 s; see {log_path}")
        yield base_url, process.pid
    finally:
        harness._stop(process)


def peer_submit(config: harness.BenchConfig, tickets: int) -> harness.Measurement:
    """django-helpdesk's anonymous submit POST under the same load as ours."""
    from django.middleware.csrf import _get_new_csrf_string

    config = _database(config)
    python = _install()
    started = time.perf_counter()
    queue = _prepare(python, config, tickets)
    harness.report(
        f"peer: django-helpdesk seeded with {tickets:,} tickets in "
        f"{time.perf_counter() - started:.0f} s"
    )
    csrf = _get_new_csrf_string()
    body = (
        f"csrfmiddlewaretoken={csrf}&queue={queue}&title=Bench+peer+{{key}}"
        "&body=The+CSV+export+stops+at+80+%25+and+never+finishes.&priority=3"
        "&submitter_email=member1%40acme.example&due_date="
    )
    line = "\t".join(("POST", "/tickets/submit/", f"csrftoken={csrf}", body))
    page = harness.Page(
        "django-helpdesk submit POST", "/tickets/submit/", method="POST", expect_status=302
    )
    with _serving(python, config) as (base_url, pid):
        url = f"{base_url}/tickets/submit/"
        if config.warmup_seconds:
            harness.wrk_run(
                url, lines=[line], expect_status=302, seconds=config.warmup_seconds,
                config=config,
            )  # fmt: skip
        cpu_before = harness.process_tree_cpu_seconds(pid)
        figures = harness.wrk_run(
            url, lines=[line], expect_status=302, seconds=config.seconds, config=config
        )
        cpu = harness.process_tree_cpu_seconds(pid) - cpu_before
    requests = int(figures["requests"])
    return harness.Measurement(
        page=page,
        requests=requests,
        seconds=figures["duration_us"] / 1e6,
        p50_ms=figures["p50_us"] / 1e3,
        p99_ms=figures["p99_us"] / 1e3,
        socket_errors=int(figures["socket_errors"]),
        timeouts=int(figures["timeouts"]),
        unexpected_statuses=int(figures["unexpected"]),
        cpu_ms_per_request=cpu * 1000 / requests if requests else 0.0,
    )


def compare(ours: list[harness.Measurement], peer: harness.Measurement) -> list[str]:
    """Each of our submissions against the peer's; the shortfalls, a line each."""
    missed = []
    print(f"\nSubmissions beside django-helpdesk (same run; floor {PEER_FACTOR:.0f}x)")
    for m in ours:
        if m.page.method != "POST":
            continue
        ratio = m.requests_per_second / peer.requests_per_second if peer.requests else 0.0
        print(
            f"{m.page.label}: {m.requests_per_second:.1f}/s, django-helpdesk "
            f"{peer.requests_per_second:.1f}/s: {ratio:.2f}x",
            flush=True,
        )
        if ratio < PEER_FACTOR:
            missed.append(
                f"{m.page.label}: {ratio:.2f}x django-helpdesk's submit POST, "
                f"below {PEER_FACTOR:.0f}x"
            )
    return missed
