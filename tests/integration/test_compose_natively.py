"""The production stack of docker-compose.yml, run without Docker.

These machines have no Docker daemon and no registry of base images, so no image is built
here. Instead each service's command runs natively, as written in the file, with that
service's environment as compose would resolve it from an operator's .env, inside a network
namespace of the test's own: there the ports are the file's own (8000, 6379, 5432, 2525, 80
and 443, clashing with nothing on the machine) and the service names (postgres, redis, web)
resolve to the namespace's loopback, as compose's network would resolve them. PostgreSQL is
a throwaway cluster made like the image makes it (the user, password and database of the
service's environment), Redis a redis-server of the test's own, the proxy Debian's caddy with
deploy/Caddyfile. Only paths are adapted: /app is the checkout, the Caddyfile and the volumes
are temporary directories. Then each healthcheck runs verbatim and must pass, and a page is
fetched over TLS through the proxy.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shlex
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.test_docker_compose import compose_config

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
HUB_SERVICES = ("web", "worker", "worker-knowledge", "beat", "inbound-mail")
SERVICE_NAMES = ("postgres", "redis", "web", "proxy", "mail-relay")
METRICS_TOKEN = secrets.token_urlsafe(24)
# What an operator puts in .env beside docker-compose.yml (README, "Production stack").
OPERATOR_ENV = {
    "HUB_DOMAIN": "localhost",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "localhost",
    "SITE_URL": "https://localhost",
    "POSTGRES_PASSWORD": secrets.token_urlsafe(16),
    "METRICS_TOKEN": METRICS_TOKEN,
}


def _postgres_bin() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    if not found:
        pytest.skip("the PostgreSQL server binaries are not installed")
    return found[-1].parent


class Namespace:
    """A network namespace whose /etc/hosts names the compose services, and whose commands
    see a socket directory of the test's own at /var/run/postgresql (so that pg_isready,
    verbatim, asks the throwaway cluster, not the machine's)."""

    def __init__(self, tmp: Path) -> None:
        self.name = f"hub-compose-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.etc = Path("/etc/netns") / self.name
        self.sockets = tmp / "postgres-sockets"
        self.sockets.mkdir()
        shutil.chown(self.sockets, "postgres", "postgres")
        subprocess.run(["ip", "netns", "add", self.name], check=True, timeout=30)
        # ip netns exec mounts these over /etc/hosts for the commands it runs.
        self.etc.mkdir(parents=True)
        (self.etc / "hosts").write_text(f"127.0.0.1 localhost {' '.join(SERVICE_NAMES)}\n")
        self.run(["ip", "link", "set", "lo", "up"], env={"PATH": "/usr/sbin:/usr/bin:/bin"})

    def argv(self, command: list[str]) -> list[str]:
        mount = 'mount --bind "$0" /var/run/postgresql && exec "$@"'
        return ["ip", "netns", "exec", self.name, "sh", "-c", mount, str(self.sockets), *command]

    def run(
        self, command: list[str], *, env: dict[str, str], cwd: Path = ROOT, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.argv(command), env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout
        )

    def start(
        self, command: list[str], *, env: dict[str, str], log: Path, cwd: Path = ROOT
    ) -> subprocess.Popen[bytes]:
        with log.open("ab") as output:
            return subprocess.Popen(
                self.argv(command), env=env, cwd=cwd, stdout=output, stderr=subprocess.STDOUT
            )

    def close(self) -> None:
        # Whatever is left in the namespace is this test's own.
        pids = subprocess.run(
            ["ip", "netns", "pids", self.name], capture_output=True, text=True, timeout=30
        ).stdout.split()
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pid), 9)
        subprocess.run(["ip", "netns", "del", self.name], timeout=30)
        shutil.rmtree(self.etc, ignore_errors=True)


def command_of(service: dict[str, Any]) -> list[str]:
    command = service["command"]
    return list(command) if isinstance(command, list) else shlex.split(command)


def healthcheck_of(service: dict[str, Any]) -> list[str]:
    test = service["healthcheck"]["test"]
    if isinstance(test, str):
        return ["sh", "-c", test]
    kind, *command = test
    return command if kind == "CMD" else ["sh", "-c", *command]


class Stack:
    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.config = compose_config(OPERATOR_ENV)
        self.services: dict[str, dict[str, Any]] = self.config["services"]
        self.namespace = Namespace(tmp)
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.bin = _postgres_bin()
        self.postgres_dir = tmp / "postgres"

    def build(self) -> None:
        """The Dockerfile's build steps that prepare the app (collectstatic), run natively."""
        steps = re.findall(
            r"^RUN (.*collectstatic.*)$", (ROOT / "Dockerfile").read_text(), re.MULTILINE
        )
        assert steps, "the Dockerfile collects the static files"
        for step in steps:
            built = subprocess.run(
                ["sh", "-c", step], cwd=ROOT, env=self.env("web"), capture_output=True,
                text=True, timeout=300,
            )  # fmt: skip
            assert built.returncode == 0, built.stdout + built.stderr

    def log(self, name: str) -> Path:
        return self.tmp / f"{name}.log"

    def env(self, name: str, **extra: str) -> dict[str, str]:
        """The service's environment, plus what the image gives every process (paths adapted:
        the checkout's virtualenv is the image's Python)."""
        environment = {
            key: str(value) for key, value in self.services[name].get("environment", {}).items()
        }
        return {
            "PATH": f"{ROOT / '.venv' / 'bin'}:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "HOME": str(self.tmp),
            "LANG": "C.UTF-8",
            **environment,
            **extra,
        }

    def healthy(self, name: str, **extra: str) -> subprocess.CompletedProcess[str]:
        timeout = float(str(self.services[name]["healthcheck"].get("timeout", "5s")).rstrip("s"))
        return self.namespace.run(
            healthcheck_of(self.services[name]), env=self.env(name, **extra), timeout=timeout + 5
        )

    def wait_healthy(self, name: str, *, within: float, **extra: str) -> None:
        deadline = time.monotonic() + within
        while True:
            try:
                result = self.healthy(name, **extra)
                if result.returncode == 0:
                    return
            except subprocess.TimeoutExpired:
                pass
            process = self.processes.get(name)
            if process is not None and process.poll() is not None:
                raise AssertionError(f"{name} exited with {process.returncode}: {self.tail(name)}")
            if time.monotonic() > deadline:
                raise AssertionError(f"{name} never became healthy: {self.tail(name)}")
            time.sleep(1)

    def tail(self, name: str) -> str:
        path = self.log(name)
        return path.read_text(errors="replace")[-3000:] if path.exists() else "(no log)"

    # --- The services --------------------------------------------------------------------

    def start_postgres(self) -> None:
        """As the postgres image does with POSTGRES_USER, _PASSWORD and _DB: a cluster whose
        superuser is that user, passwords over TCP, then the database."""
        env = self.env("postgres")
        self.postgres_dir.mkdir()
        shutil.chown(self.postgres_dir, "postgres", "postgres")
        password = self.postgres_dir / "password"
        password.write_text(env["POSTGRES_PASSWORD"])
        shutil.chown(password, "postgres", "postgres")
        as_postgres = ["runuser", "-u", "postgres", "--"]
        data = self.postgres_dir / "data"
        subprocess.run(
            [*as_postgres, str(self.bin / "initdb"), "-D", str(data), "-U", env["POSTGRES_USER"],
             f"--pwfile={password}", "--auth-local=trust", "--auth-host=scram-sha-256",
             "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"],
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
        options = (
            "-c listen_addresses=* -c unix_socket_directories=/var/run/postgresql -c fsync=off"
        )
        started = self.namespace.run(
            [*as_postgres, str(self.bin / "pg_ctl"), "-D", str(data), "-l",
             str(self.postgres_dir / "log"), "-o", options, "-w", "-t", "60", "start"],
            env=env, timeout=90,
        )  # fmt: skip
        assert started.returncode == 0, started.stderr + (self.postgres_dir / "log").read_text()
        created = self.namespace.run(
            [*as_postgres, str(self.bin / "createdb"), "-U", env["POSTGRES_USER"],
             env["POSTGRES_DB"]],
            env=env,
        )  # fmt: skip
        assert created.returncode == 0, created.stderr

    def stop_postgres(self) -> None:
        if (self.postgres_dir / "data" / "postmaster.pid").exists():
            self.namespace.run(
                ["runuser", "-u", "postgres", "--", str(self.bin / "pg_ctl"), "-D",
                 str(self.postgres_dir / "data"), "-m", "fast", "-w", "stop"],
                env=self.env("postgres"),
            )  # fmt: skip

    def start_redis(self) -> None:
        data = self.tmp / "redis-data"  # the redis-data volume, the image's working directory
        data.mkdir()
        self.start("redis", command_of(self.services["redis"]), cwd=data)

    def start(self, name: str, command: list[str], *, cwd: Path = ROOT, **extra: str) -> None:
        self.processes[name] = self.namespace.start(
            command, env=self.env(name, **extra), log=self.log(name), cwd=cwd
        )

    def start_proxy(self) -> None:
        """The caddy image's own command, with the Caddyfile mounted from deploy/ and its
        /data and /config volumes in temporary directories."""
        proxy = self.services["proxy"]
        mounted = {str(v).split(":")[1]: str(v).split(":")[0] for v in proxy["volumes"]}
        caddyfile = (ROOT / mounted["/etc/caddy/Caddyfile"]).resolve()
        command = ["caddy", "run", "--config", str(caddyfile), "--adapter", "caddyfile"]
        self.start(
            "proxy",
            command,
            cwd=self.tmp,
            XDG_DATA_HOME=str(self.tmp / "caddy-data"),
            XDG_CONFIG_HOME=str(self.tmp / "caddy-config"),
        )

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        self.stop_postgres()

    # --- Fetching inside the namespace ---------------------------------------------------

    def fetch(self, url: str, *, headers: dict[str, str] | None = None) -> dict[str, Any]:
        """GET ``url`` from inside the namespace, trusting Caddy's internal CA. Header names
        in lower case (Caddy writes them in Go's spelling, X-Request-Id)."""
        root = self.tmp / "caddy-data" / "caddy" / "pki" / "authorities" / "local" / "root.crt"
        script = (
            "import json, ssl, sys, urllib.error, urllib.request\n"
            "context = ssl.create_default_context(cafile=sys.argv[2])\n"
            "request = urllib.request.Request(sys.argv[1], headers=json.loads(sys.argv[3]))\n"
            "try:\n"
            "    response = urllib.request.urlopen(request, context=context, timeout=20)\n"
            "except urllib.error.HTTPError as error:\n"
            "    response = error\n"
            "headers = {name.lower(): value for name, value in response.headers.items()}\n"
            "print(json.dumps({'status': response.status, 'headers': headers,\n"
            "                  'body': response.read().decode(errors='replace')}))\n"
        )
        result = self.namespace.run(
            ["python", "-c", script, url, str(root), json.dumps(headers or {})],
            env=self.env("web"),
        )
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    if os.geteuid() != 0 or not shutil.which("ip"):
        pytest.skip("needs root and iproute2 for a network namespace (as in CI)")
    if not shutil.which("caddy") or not shutil.which("redis-server"):
        pytest.skip("needs caddy and redis-server (apt-get install caddy redis-server)")
    if not Path("/var/run/postgresql").is_dir():
        pytest.skip("needs Debian's PostgreSQL server package")
    # Not under pytest's own temporary directory, which the postgres user cannot enter.
    tmp = Path(tempfile.mkdtemp(prefix="hub-compose-"))
    tmp.chmod(0o755)
    running = Stack(tmp)
    try:
        running.build()
        running.start_postgres()
        running.start_redis()
        running.wait_healthy("postgres", within=60)
        running.wait_healthy("redis", within=30)
        for name in HUB_SERVICES:
            running.start(name, command_of(running.services[name]))
        running.start_proxy()
        # migrate on an empty database, then gunicorn: minutes on a busy two-core machine.
        running.wait_healthy("web", within=600)
        yield running
    finally:
        running.stop()
        running.namespace.close()
        shutil.rmtree(tmp, ignore_errors=True)


def test_every_healthcheck_passes_verbatim(stack: Stack) -> None:
    for name, service in stack.services.items():
        if "healthcheck" in service:
            result = stack.healthy(name)
            assert result.returncode == 0, f"{name}: {result.stdout}{result.stderr}"
    for name in (*HUB_SERVICES, "redis", "proxy"):
        assert stack.processes[name].poll() is None, f"{name} exited: {stack.tail(name)}"


def test_the_workers_answer_and_inbound_mail_takes_smtp(stack: Stack) -> None:
    pinged = stack.namespace.run(
        ["celery", "-A", "hub", "inspect", "ping", "--timeout", "10"],
        env=stack.env("worker"),
        timeout=60,
    )
    assert pinged.returncode == 0, pinged.stdout + pinged.stderr
    assert pinged.stdout.count("pong") == 2, pinged.stdout  # worker and worker-knowledge
    smtp = stack.namespace.run(
        ["python", "-c", "import smtplib; print(smtplib.SMTP('127.0.0.1', 2525).noop()[0])"],
        env=stack.env("inbound-mail"),
    )
    assert smtp.stdout.strip() == "250", smtp.stdout + smtp.stderr


def test_a_page_is_served_over_tls_through_the_proxy_with_its_request_id_logged(
    stack: Stack,
) -> None:
    health = stack.fetch("https://localhost/healthz")
    assert health["status"] == 200
    assert json.loads(health["body"])["database"] == "ok"
    page = stack.fetch("https://localhost/accounts/login/")
    # Served (not redirected to https again): the app trusts the proxy's X-Forwarded-Proto.
    assert page["status"] == 200, stack.tail("web")
    assert "max-age=" in page["headers"]["strict-transport-security"]
    # The proxy's id for the request, replacing the client's, answered and logged.
    request_id = page["headers"]["x-request-id"]
    assert re.fullmatch(r"[0-9a-f-]{36}", request_id)
    spoofed = stack.fetch("https://localhost/healthz", headers={"X-Request-ID": "my-own-id-123"})
    assert spoofed["headers"]["x-request-id"] != "my-own-id-123"
    lines = [
        json.loads(line)
        for line in stack.log("web").read_text(errors="replace").splitlines()
        if line.startswith("{")
    ]
    access = [line for line in lines if line.get("logger") == "gunicorn.access"]
    assert any(
        line["request_id"] == request_id and "/accounts/login/" in line["message"]
        for line in access
    ), access[-5:]


def test_plain_http_is_redirected_to_https_by_the_proxy(stack: Stack) -> None:
    redirected = stack.namespace.run(
        ["python", "-c",
         "import http.client; c = http.client.HTTPConnection('localhost', 80, timeout=10); "
         "c.request('GET', '/accounts/login/'); r = c.getresponse(); "
         "print(r.status, r.getheader('Location'))"],
        env=stack.env("web"),
    )  # fmt: skip
    status, location = redirected.stdout.split()
    assert status in {"301", "308"}
    assert location == "https://localhost/accounts/login/"


def test_metrics_are_scraped_through_the_proxy_with_the_token_only(stack: Stack) -> None:
    assert stack.fetch("https://localhost/metrics")["status"] == 401
    scraped = stack.fetch(
        "https://localhost/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}
    )
    assert scraped["status"] == 200
    body = scraped["body"]
    # Every gunicorn worker's counts, added up (multiprocess mode), and the hub's gauges.
    assert re.search(r'^hub_http_requests_total\{.*view="healthz".*\} \d', body, re.M), body[:2000]
    assert re.search(r"^hub_chats_waiting 0\.0$", body, re.M)
    assert re.search(r'^hub_parked\{kind="emails"\} 0\.0$', body, re.M)


def test_check_deploy_is_clean_with_the_compose_environment(stack: Stack) -> None:
    checked = stack.namespace.run(
        ["python", "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=stack.env("web"),
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "no issues" in checked.stdout
