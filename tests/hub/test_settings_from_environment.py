"""Start-up reads its configuration from the environment and names what is wrong."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION = {
    "DEBUG": "off",
    "SECRET_KEY": "x" * 20 + "-production-grade-secret-key-with-enough-entropy-1234567890",
    "ALLOWED_HOSTS": "hub.example.com",
    "DATABASE_URL": "sqlite:///:memory:",
    "SITE_URL": "https://hub.example.com",
}


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return run_python("manage.py", *args, env=env)


def run_python(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE"}}
    for name in (
        "DEBUG",
        "SECRET_KEY",
        "ALLOWED_HOSTS",
        "DATABASE_URL",
        "REDIS_URL",
        "EMAIL_URL",
        "SECURE_SSL_REDIRECT",
        "SITE_URL",
        "CSRF_TRUSTED_ORIGINS",
        "DJANGO_ALLOW_ASYNC_UNSAFE",
        "DATABASE_PREPARE_THRESHOLD",
    ):
        clean.pop(name, None)
    clean.update(env)
    clean["DJANGO_SETTINGS_MODULE"] = "hub.settings"
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.smoke
def test_check_deploy_is_clean_with_production_settings() -> None:
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_the_web_server_loads_every_view_and_freezes_what_it_loaded() -> None:
    # What lives as long as the process is left out of the collector's full passes.
    result = run_python(
        "-c",
        "import gc, sys, hub.wsgi; print(gc.get_freeze_count(), 'tickets.views' in sys.modules)",
        env=PRODUCTION,
    )
    assert result.returncode == 0, result.stderr
    frozen, views_loaded = result.stdout.split()
    assert int(frozen) > 50_000
    assert views_loaded == "True"


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("SECRET_KEY", None, "SECRET_KEY is missing"),
        ("ALLOWED_HOSTS", None, "ALLOWED_HOSTS is missing"),
        ("DATABASE_URL", "nosuchdb://what", "DATABASE_URL is malformed"),
        ("REDIS_URL", "http://127.0.0.1:6379", "REDIS_URL is malformed"),
        ("DEBUG", "perhaps", "DEBUG is malformed"),
        ("SITE_URL", "hub.example.com", "SITE_URL must start with"),
        ("DATABASE_PREPARE_THRESHOLD", "often", "DATABASE_PREPARE_THRESHOLD is malformed"),
        ("DATABASE_PREPARE_THRESHOLD", "-1", "DATABASE_PREPARE_THRESHOLD is malformed"),
    ],
)
def test_a_missing_or_malformed_variable_stops_start_up_naming_it(
    variable: str, value: str | None, message: str
) -> None:
    env = dict(PRODUCTION)
    if variable.startswith("DATABASE_PREPARE"):
        env["DATABASE_URL"] = "postgres://postgres@127.0.0.1:5432/hub"  # PostgreSQL's alone
    if value is None:
        env.pop(variable)
    else:
        env[variable] = value
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


@pytest.mark.smoke
def test_the_embedded_default_needs_no_services(tmp_path: Path) -> None:
    result = run_manage("check", env={"DEBUG": "on"})
    assert result.returncode == 0, result.stderr
