"""The request id on every log line of a request, and the JSON formatter of production logs.

The id is the proxy's X-Request-ID when it sends a well-formed one (Caddy sends a UUID per
request, deploy/Caddyfile), else one made here; RequestIdMiddleware keeps it for the
request's thread or task and echoes it in the response, so a customer's report, the proxy's
log and the app's lines can be matched.
"""

from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar
from typing import Any

from django.core.signals import request_finished

# What an id from outside may look like: a UUID, a hex trace id, a short token. Anything else
# (too long, spaces, quotes, control characters) is replaced, so a client cannot write into
# the log through it.
_WELL_FORMED = re.compile(r"[A-Za-z0-9._:-]{8,128}")
_NONE = "-"

_request_id: ContextVar[str] = ContextVar("request_id", default=_NONE)


def request_id_from(header: str | None) -> str:
    """The incoming id if it is well formed, else a new one."""
    if header and _WELL_FORMED.fullmatch(header):
        return header
    return uuid.uuid4().hex


def current_request_id() -> str:
    """The id of the request being handled, or "-" outside one."""
    return _request_id.get()


def request_id_set(value: str) -> None:
    """Make ``value`` the current request id, until the response has been sent."""
    _request_id.set(value)


def request_id_clear(**kwargs: Any) -> None:
    """Lines written after a response was sent belong to no request. Not when the middleware
    returns: Django logs a 4xx or 5xx response after that, and that line is the request's."""
    _request_id.set(_NONE)


request_finished.connect(request_id_clear, dispatch_uid="hub.log.request_id_clear")


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every record (the handlers' filter in settings.LOGGING)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = _request_id.get()
        return True


class AccessLogRequestId(logging.Filter):
    """Adds ``request_id`` to gunicorn's lines: on an access line, the X-Request-ID the app
    answered with (deploy/gunicorn.conf.py); on its other lines, "-"."""

    def filter(self, record: logging.LogRecord) -> bool:
        atoms = record.args if isinstance(record.args, dict) else {}
        record.request_id = atoms.get("{x-request-id}o") or _NONE
        return True
