"""The request as views see it, typed: who is signed in, and what htmx asked for."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

from hub.accounts.models import User


class HtmxHttpRequest(HttpRequest):
    """Any request (``HtmxMiddleware`` sets ``htmx`` on every one)."""

    user: User | AnonymousUser
    htmx: HtmxDetails


class AuthenticatedHttpRequest(HtmxHttpRequest):
    """A request to a view behind ``login_required``."""

    user: User
