"""Pytest plugin: say which services the run used, and how long it took."""

from __future__ import annotations

import time

import pytest

_started = time.monotonic()


def pytest_report_header(config: pytest.Config) -> list[str]:
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    broker = settings.REDIS_URL or "none (Celery tasks run eagerly)"
    return [f"hub services: database={engine} broker={broker}"]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    terminalreporter.write_line(
        f"hub services: database={engine} broker={settings.REDIS_URL or 'eager'}; "
        f"suite took {time.monotonic() - _started:.1f}s"
    )
