"""docker-compose.yml names the services, commands and Redis flags the code expects."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
ENV = {
    "SECRET_KEY": "s",
    "ALLOWED_HOSTS": "h",
    "SITE_URL": "https://h",
    "POSTGRES_PASSWORD": "p",
    "HUB_DOMAIN": "h",
    "PATH": "/usr/bin:/bin",
}


_VARIABLE = re.compile(r"\$(?:\$|\{(?P<name>\w+)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\})")


def interpolate(value: Any, env: dict[str, str]) -> Any:
    """Compose's ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error} and $$,
    through a loaded file's strings (for when no compose client is at hand)."""
    if isinstance(value, dict):
        return {key: interpolate(item, env) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, env) for item in value]
    if not isinstance(value, str):
        return value

    def replace(match: re.Match[str]) -> str:
        name, op, arg = match["name"], match["op"], match["arg"]
        if name is None:
            return "$"
        present = name in env and (env[name] != "" or op not in {":-", ":?"})
        if present:
            return env[name]
        if op in {":?", "?"}:
            raise KeyError(f"{name}: {arg}")
        return arg if op in {":-", "-"} else ""

    return _VARIABLE.sub(replace, value)


def compose_config(env: dict[str, str] | None = None) -> dict[str, Any]:
    """The resolved docker-compose.yml for ``env`` (the .env an operator writes)."""
    env = ENV if env is None else env
    docker = shutil.which("docker")
    if docker:
        result = subprocess.run(
            [
                docker,
                "compose",
                "-f",
                str(ROOT / "docker-compose.yml"),
                "config",
                "--format",
                "json",
            ],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )
        if result.returncode == 0:
            return json.loads(result.stdout)  # type: ignore[no-any-return]
    # No compose client here: read it as YAML (merge keys resolved by the loader), then
    # resolve the variables as compose would.
    loaded = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return interpolate(loaded, env)  # type: ignore[no-any-return]


def command_of(service: dict[str, Any]) -> str:
    command = service["command"]
    return " ".join(command) if isinstance(command, list) else str(command)


@pytest.mark.smoke
def test_the_stack_has_web_worker_beat_postgres_and_redis() -> None:
    services = compose_config()["services"]
    assert {"web", "worker", "beat", "inbound-mail", "postgres", "redis"} <= set(services)


def test_web_runs_under_gunicorn_and_celery_runs_the_hub_app() -> None:
    services = compose_config()["services"]
    assert "gunicorn hub.wsgi:application" in command_of(services["web"])
    assert "celery -A hub worker" in command_of(services["worker"])
    # Article indexing has its own queue and worker: callbacks never wait behind it.
    assert "-Q celery" in command_of(services["worker"])
    assert "-Q knowledge" in command_of(services["worker-knowledge"])
    assert "celery -A hub beat" in command_of(services["beat"])


def test_redis_keeps_the_queue_never_evicts_and_persists() -> None:
    redis_command = command_of(compose_config()["services"]["redis"])
    assert "--maxmemory-policy noeviction" in redis_command
    assert "--appendonly yes" in redis_command


def test_every_hub_service_gets_the_variables_the_settings_read() -> None:
    services = compose_config()["services"]
    for name in ("web", "worker", "worker-knowledge", "beat"):
        environment = services[name]["environment"]
        for variable in (
            "DATABASE_URL",
            "REDIS_URL",
            "SECRET_KEY",
            "SECRET_KEY_FALLBACKS",
            "ALLOWED_HOSTS",
            "DEBUG",
            "SENTRY_DSN",
        ):
            assert variable in environment, f"{name} lacks {variable}"


def test_web_keeps_every_gunicorn_process_s_request_counts_and_logs_json() -> None:
    environment = compose_config()["services"]["web"]["environment"]
    assert environment["PROMETHEUS_MULTIPROC_DIR"].startswith("/tmp/")
    config = environment["GUNICORN_CMD_ARGS"].removeprefix("--config ")
    assert (ROOT / config).is_file()
    text = (ROOT / config).read_text()
    assert "def on_starting" in text and "mark_process_dead" in text
    assert "pythonjsonlogger" in text


def test_web_trusts_the_one_proxy_in_front_of_it_for_client_addresses() -> None:
    services = compose_config()["services"]
    environment = services["web"]["environment"]
    assert str(environment["ALLAUTH_TRUSTED_PROXY_COUNT"]) == "1"
    # The rest of the shared environment is still there.
    assert environment["REDIS_URL"] == "redis://redis:6379/0"


# --- The proxy, the image and the volumes -------------------------------------------------------
# The Caddyfile is read here; caddy itself loads it when installed (.ci/run installs it), and
# tests/integration/test_compose_natively.py serves the hub through it.

CADDYFILE = ROOT / "deploy" / "Caddyfile"
HUB_SERVICES = ("web", "worker", "worker-knowledge", "beat", "inbound-mail")


def caddyfile_blocks() -> dict[str, list[str]]:
    """Each top-level block of the Caddyfile: its address ("" for the global options) and its
    directive lines.

    Also checks what caddy would refuse to load: braces that do not balance, a block opened
    anywhere but at the end of a line, a block closed anywhere but on a line of its own.
    """
    blocks: dict[str, list[str]] = {}
    depth = 0
    site = ""
    for raw in CADDYFILE.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        opens = line.split()[-1] == "{"
        # Braces other than a block's own are placeholders, such as {$HUB_DOMAIN}.
        bare = re.sub(r"\{[^{}\s]+\}", "", line.removesuffix("{") if opens else line)
        assert line == "}" or not {"{", "}"} & set(bare), f"a brace caddy would misread: {raw!r}"
        if line == "}":
            depth -= 1
            assert depth >= 0, "a } closes nothing"
            if depth:
                blocks[site].append(line)  # the end of a directive's own block
            continue
        if depth == 0:
            assert opens, f"a directive outside any site block: {raw!r}"
            site = line.removesuffix("{").strip()
            blocks[site] = []
        else:
            blocks[site].append(line)
        if opens:
            depth += 1
    assert depth == 0, "a { is never closed"
    return blocks


def caddy_bytes(size: str) -> int:
    """A size as Caddy reads it (go-humanize): MB is 1000², MiB is 1024²."""
    match = re.fullmatch(r"(\d+)\s*([KMG]i?B)", size, re.IGNORECASE)
    assert match, size
    number, unit = int(match[1]), match[2].lower()
    base = 1024 if "i" in unit else 1000
    return int(number * base ** ("kmg".index(unit[0]) + 1))


def test_the_proxy_runs_caddy_with_the_caddyfile_and_keeps_its_certificates() -> None:
    proxy = compose_config()["services"]["proxy"]
    assert str(proxy["image"]).startswith("caddy:2")
    volumes = [str(volume) if isinstance(volume, str) else volume for volume in proxy["volumes"]]
    as_text = json.dumps(volumes)
    assert "deploy/Caddyfile" in as_text and "/etc/caddy/Caddyfile" in as_text
    # Certificates and the ACME account survive a restart (no rate-limited re-issuing).
    assert "/data" in as_text
    assert "HUB_DOMAIN" in proxy["environment"]


def test_the_caddyfile_serves_hub_domain_proxies_to_web_and_caps_the_body() -> None:
    from django.conf import settings

    blocks = caddyfile_blocks()
    assert list(blocks) == ["", "{$HUB_DOMAIN}"]
    # Never touches the trust store of the machine it runs on.
    assert blocks[""] == ["skip_install_trust"]
    directives = blocks["{$HUB_DOMAIN}"]
    proxy = directives.index("reverse_proxy web:8000 {")
    # Its own id for each request, whatever the client sent: the app logs and echoes it.
    assert directives[proxy + 1 : proxy + 3] == ["header_up X-Request-ID {http.request.uuid}", "}"]
    # No "tls internal" or other certificate setting: Caddy's automatic certificates, and its
    # internal CA for localhost, are what the README promises.
    assert not any(line.startswith("tls") for line in directives)
    body = directives.index("request_body {")
    size = directives[body + 1]
    assert size.startswith("max_size ")
    cap = caddy_bytes(size.removeprefix("max_size "))
    # Above the app's own cap, so the app's 413 page is what a customer sees, and not by much.
    assert settings.REQUEST_BODY_MAX_BYTES < cap <= settings.REQUEST_BODY_MAX_BYTES + 2**21
    assert directives[body + 2] == "}"


@pytest.mark.skipif(
    not shutil.which("caddy"), reason="caddy is not installed (apt-get install caddy)"
)
def test_caddy_loads_the_caddyfile() -> None:
    result = subprocess.run(
        ["caddy", "validate", "--config", str(CADDYFILE), "--adapter", "caddyfile"],
        capture_output=True,
        text=True,
        env={**ENV, "HUB_DOMAIN": "hub.example.com", "HOME": "/nonexistent"},
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "Valid configuration" in result.stdout + result.stderr


def test_the_settings_read_the_forwarded_proto_caddy_sends() -> None:
    from django.conf import settings

    # Caddy's reverse_proxy sends X-Forwarded-Proto: https for a request that came over TLS.
    assert settings.SECURE_PROXY_SSL_HEADER == ("HTTP_X_FORWARDED_PROTO", "https")


def published_ports(service: dict[str, Any]) -> list[str]:
    """The host side of each published port, as "port" or "address:port"."""
    ports = []
    for port in service.get("ports", []):
        if isinstance(port, dict):
            address = port.get("host_ip")
            ports.append(f"{address}:{port['published']}" if address else str(port["published"]))
        else:
            ports.append(str(port).rsplit(":", 1)[0])
    return ports


def test_only_the_proxy_publishes_http_and_web_is_reachable_through_it_alone() -> None:
    services = compose_config()["services"]
    assert set(published_ports(services["proxy"])) == {"80", "443"}
    assert "ports" not in services["web"]
    assert [str(port) for port in services["web"]["expose"]] == ["8000"]
    publishing = {name for name, service in services.items() if service.get("ports")}
    # Inbound mail is SMTP, not HTTP: the reply domain's MX must reach it directly.
    assert publishing == {"proxy", "inbound-mail"}


def test_inbound_mail_is_published_where_an_mx_delivers_or_where_a_relay_is_told() -> None:
    # Mail servers deliver to an MX host on port 25, never on 2525.
    services = compose_config()["services"]
    assert published_ports(services["inbound-mail"]) == ["25"]
    assert "--port 2525" in command_of(services["inbound-mail"])
    # A host with its own mail server on 25 keeps the hub's to itself, for a relay.
    relayed = compose_config({**ENV, "INBOUND_MAIL_PUBLISH": "127.0.0.1:2525"})["services"]
    assert published_ports(relayed["inbound-mail"]) == ["127.0.0.1:2525"]


def mounts(service: dict[str, Any]) -> dict[str, str]:
    """Target path -> named volume (or host path) for a service's volumes."""
    result = {}
    for volume in service.get("volumes", []):
        if isinstance(volume, dict):
            result[volume["target"]] = volume["source"]
        else:
            source, target = str(volume).split(":")[:2]
            result[target] = source
    return result


def test_web_and_the_workers_share_the_media_volume_at_media_root() -> None:
    from django.conf import settings

    config = compose_config()
    services = config["services"]
    target = "/app" + str(settings.MEDIA_ROOT).removeprefix(str(ROOT))
    assert target == "/app/var/media"
    for name in ("web", "worker", "worker-knowledge", "inbound-mail"):
        assert mounts(services[name]).get(target) == "media", f"{name} lacks the media volume"
    assert "media" in config["volumes"]


def test_postgres_and_redis_keep_their_data_in_named_volumes() -> None:
    config = compose_config()
    assert mounts(config["services"]["postgres"])["/var/lib/postgresql/data"] == "postgres-data"
    assert mounts(config["services"]["redis"])["/data"] == "redis-data"
    assert {"postgres-data", "redis-data", "caddy-data"} <= set(config["volumes"])


def test_dockerignore_keeps_secrets_environments_and_local_data_out_of_the_image() -> None:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    patterns = {line.strip().rstrip("/") for line in lines if line.strip() and line[0] != "#"}
    assert {".env", ".venv", "var", ".git", "artifacts", "node_modules"} <= patterns
    assert "**/__pycache__" in patterns
    # Nothing the build needs is excluded (COPY . . then collectstatic).
    assert not patterns & {"static", "locale", "hub", "templates", "manage.py", "*"}


def test_the_image_makes_var_the_hub_users_before_running_as_it() -> None:
    lines = [line.strip() for line in (ROOT / "Dockerfile").read_text().splitlines()]
    # Join continued lines: one RUN instruction per entry.
    instructions: list[str] = []
    for line in lines:
        if instructions and instructions[-1].endswith("\\"):
            instructions[-1] = instructions[-1][:-1] + " " + line
        elif line and not line.startswith("#"):
            instructions.append(line)
    user = instructions.index("USER hub")
    assert user == max(i for i, text in enumerate(instructions) if text.startswith("USER"))
    owning = [
        i
        for i, text in enumerate(instructions)
        if text.startswith("RUN") and re.search(r"chown (-R )?hub(:hub)? /app/var\b", text)
    ]
    assert owning and owning[0] < user
    assert "/app/var/media" in instructions[owning[0]]
    assert any("useradd" in instructions[i] and "hub" in instructions[i] for i in range(user))
