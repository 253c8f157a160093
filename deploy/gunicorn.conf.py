"""Gunicorn's settings beyond its command line, for the production stack's web service
(docker-compose.yml passes ``--config deploy/gunicorn.conf.py`` in GUNICORN_CMD_ARGS).

- Access lines are JSON, like the app's (settings.LOGGING), with the request id the app
  echoed in its response (hub.log), so a proxy's, gunicorn's and the app's lines of one
  request can be matched.
- Prometheus's request counts: each worker process writes its own into
  PROMETHEUS_MULTIPROC_DIR (hub.metrics); the directory is emptied when gunicorn starts, and
  a worker that exits is marked dead so that its gauges go with it.
"""

from __future__ import annotations

import os
import shutil
from typing import Any

from prometheus_client import multiprocess

from hub.log import AccessLogRequestId

access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms "%(a)s"'

logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": AccessLogRequestId}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"levelname": "level", "name": "logger"},
            "timestamp": "time",
        }
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "filters": ["request_id"],
            "stream": "ext://sys.stdout",
        }
    },
    "loggers": {
        "gunicorn.error": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "gunicorn.access": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}


def on_starting(server: Any) -> None:
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        shutil.rmtree(directory, ignore_errors=True)
        os.makedirs(directory)


def child_exit(server: Any, worker: Any) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]
