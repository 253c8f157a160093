"""The request as views see it, typed: who is signed in, and what htmx asked for."""

from __future__ import annotations

from typing import TypeGuard

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
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


def is_signed_in(request: HtmxHttpRequest) -> TypeGuard[AuthenticatedHttpRequest]:
    """For views open to everyone that do more for a signed-in user."""
    return request.user.is_authenticated


def signed_in_user(request: HttpRequest) -> User:
    """The user of a request that the admin or ``login_required`` has already let in."""
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    return user
