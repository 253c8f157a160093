from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from django.conf import settings
from django.contrib import auth
from django.contrib.auth import middleware as auth_middleware
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation

from hub.accounts.models import User


def account_language_activate(request: HttpRequest, user: User) -> None:
    """The account's language for the rest of the request, unless the browser holds a
    language picked with the switcher (which wins until the account is updated)."""
    if not request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) and user.preferred_language:
        translation.activate(user.preferred_language)
        request.LANGUAGE_CODE = translation.get_language()


class AuthenticationMiddleware(auth_middleware.AuthenticationMiddleware):
    """Django's, with ``request.user`` read at once and kept as itself.

    Django leaves a lazy proxy, read on first use; but the next middleware reads the user on
    every request anyway (its language and time zone), and through the proxy each of the
    forty-odd reads of the user's attributes on a ticket page raised and caught an
    AttributeError before it reached the user: about 2 % of the page's work."""

    def process_request(self, request: HttpRequest) -> None:
        super().process_request(request)
        request.user = auth.get_user(request)


class UserPreferencesMiddleware:
    """Show a signed-in user the hub in their language and their time zone."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        zone_name = settings.DEFAULT_USER_TIME_ZONE
        if user.is_authenticated:
            zone_name = user.time_zone or zone_name
            account_language_activate(request, user)
        try:
            timezone.activate(zoneinfo.ZoneInfo(zone_name))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            timezone.activate(zoneinfo.ZoneInfo(settings.DEFAULT_USER_TIME_ZONE))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
