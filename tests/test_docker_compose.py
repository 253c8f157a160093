"""docker-compose.yml names the services, commands and Redis flags the code expects."""

from __future__ import annotations

import json
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
    "PATH": "/usr/bin:/bin",
}


def compose_config() -> dict[str, Any]:
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
            env=ENV,
            timeout=60,
        )
        if result.returncode == 0:
            return json.loads(result.stdout)  # type: ignore[no-any-return]
    # No compose client here: read it as YAML, merge keys resolved by the loader.
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())  # type: ignore[no-any-return]


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
        for variable in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "ALLOWED_HOSTS", "DEBUG"):
            assert variable in environment, f"{name} lacks {variable}"


def test_web_trusts_the_one_proxy_in_front_of_it_for_client_addresses() -> None:
    services = compose_config()["services"]
    environment = services["web"]["environment"]
    # "1" once compose has resolved the default; the raw default when read as YAML.
    assert str(environment["ALLAUTH_TRUSTED_PROXY_COUNT"]) in {
        "1",
        "${ALLAUTH_TRUSTED_PROXY_COUNT:-1}",
    }
    # The rest of the shared environment is still there.
    assert environment["REDIS_URL"] == "redis://redis:6379/0"
