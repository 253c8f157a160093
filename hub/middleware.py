"""Refuse input no page can use before any view sees it: a clear 400 or 413, never a 500.

PostgreSQL cannot store NUL, so a NUL anywhere in a lookup or a write raised a database
error (500); other control characters have no place in an address or a one-line field.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable

from django.conf import settings
from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware
from django.core.exceptions import BadRequest, RequestDataTooBig
from django.http import HttpRequest, HttpResponse, QueryDict
from django.http.multipartparser import MultiPartParserError
from django.urls import Resolver404, resolve

from hub.errors import request_too_large
from hub.log import request_id_from, request_id_set
from hub.metrics import request_observe
from hub.views import healthz

# In an address: every C0 control character and DEL.
_CONTROL_IN_ADDRESS = re.compile(r"[\x00-\x1f\x7f]")
# In a form: the same, except tab and line breaks, which a text area may hold.
_CONTROL_IN_FORM = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


def _has_control(data: QueryDict, pattern: re.Pattern[str]) -> bool:
    def texts() -> Iterable[str]:
        for key, values in data.lists():
            yield key
            yield from values

    return any(pattern.search(text) for text in texts())


class BadInputMiddleware:
    """400 for control characters in the path, the query string or a form field; 413 for a
    body larger than REQUEST_BODY_MAX_BYTES; 400 for a form body that cannot be parsed."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            raise BadRequest("Content-Length is not a number") from None
        if length > settings.REQUEST_BODY_MAX_BYTES:
            return request_too_large(request)
        if _CONTROL_IN_ADDRESS.search(request.path) or _has_control(
            request.GET, _CONTROL_IN_ADDRESS
        ):
            raise BadRequest("control character in the address")
        if request.method == "POST" and request.content_type in _FORM_TYPES:
            try:
                post = request.POST
            except RequestDataTooBig:
                return request_too_large(request)
            except MultiPartParserError as error:
                raise BadRequest(f"unreadable form: {error}") from error
            if _has_control(post, _CONTROL_IN_FORM):
                raise BadRequest("control character in a form field")
        return self.get_response(request)


class HealthzProbeMiddleware:
    """Answer GET /healthz before the Host header is validated.

    The container's probe asks http://127.0.0.1:8000/healthz, and 127.0.0.1 is not in a
    production ALLOWED_HOSTS, so CommonMiddleware refused it with 400 and the stack never
    became healthy. This answers that one path and method itself, before CommonMiddleware;
    every other request, and /healthz with any other method, is validated as before. The
    answer never uses the Host header, so a forged one cannot reach a link or a redirect.
    """

    PATH = "/healthz"

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "GET" and request.path_info == self.PATH:
            return healthz(request)
        return self.get_response(request)


class RequestIdMiddleware:
    """Give the request an id (the proxy's X-Request-ID if well formed, else a new one) that
    every log line written while it is handled carries (hub.log), and echo it in the
    response's X-Request-ID. First in MIDDLEWARE, so redirects and refusals carry it too."""

    HEADER = "X-Request-ID"

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_from(request.headers.get(self.HEADER))
        # Cleared when the response has been sent (hub.log), so that Django's own line about
        # a 4xx or 5xx response, written after this returns, carries it too.
        request_id_set(request_id)
        response = self.get_response(request)
        response[self.HEADER] = request_id
        return response


class RequestMetricsMiddleware:
    """Count each request and time it, by method, view and status (hub.metrics).

    Just inside RequestIdMiddleware, so refusals by the middleware below (400, 413, the
    HTTPS redirect) are counted too."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        match = request.resolver_match
        if match is None:
            # Answered before the URL was resolved (the /healthz probe, the middleware's
            # refusals): named after its URL when it has one.
            try:
                match = resolve(request.path_info)
            except Resolver404:
                match = None
        request_observe(
            method=request.method or "",
            view=match.view_name if match and match.view_name else "",
            status=response.status_code,
            seconds=time.perf_counter() - started,
        )
        return response


class SessionMiddleware(DjangoSessionMiddleware):
    """Django's, saving an unchanged session only when its end is due to be pushed back.

    The idle timeout (``SESSION_COOKIE_AGE``) counts from the last save; saving on every
    request cost a database write per page. A session whose store says ``refresh_due``
    (``hub.sessions``: last saved more than ``SESSION_REFRESH_AFTER`` ago) is saved as if
    changed, so the timeout runs from the last request give or take that interval. A view
    that must not keep the session alive (a poll) hands the middleware a session whose
    ``refresh_due`` is always false."""

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        session = getattr(request, "session", None)
        if session is not None and session.accessed and not session.modified:
            refresh_due = getattr(session, "refresh_due", None)
            if refresh_due is not None and refresh_due():
                session.modified = True
        return super().process_response(request, response)
