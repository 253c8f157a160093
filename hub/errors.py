"""The pages for 400, 403, 404, 413, 500 and a refused form (CSRF), in the hub's frame and
the user's language, each saying what to do next.

The 500 page is rendered from its template alone (no request, so no context processor, no
session, no database): whatever broke the page may be what these would need.
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.shortcuts import render
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)

# What a browser shows if even the static 500 page cannot be drawn (its template missing).
_LAST_RESORT = (
    "<!doctype html><title>Server error</title><h1>Something went wrong</h1>"
    "<p>Please wait a minute and try again.</p>"
)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/400.html", status=400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/403.html", status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/404.html", status=404)


def request_too_large(request: HttpRequest) -> HttpResponse:
    return render(request, "errors/413.html", status=413)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form refused by the CSRF check: most often a page left open too long, or cookies
    blocked; the customer reloads and sends it again."""
    return render(request, "errors/403_csrf.html", status=403)


def server_error(request: HttpRequest) -> HttpResponse:
    try:
        return HttpResponseServerError(render_to_string("errors/500.html"))
    except Exception:  # noqa: BLE001 - the error page must never fail in its turn
        logger.exception("the 500 page could not be drawn")
        return HttpResponseServerError(_LAST_RESORT)
