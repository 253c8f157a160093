from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django.views.i18n import set_language

from hub import health


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    database = health.database_answers()
    broker = health.broker_answers()
    body = {
        "database": "ok" if database else "down",
        "broker": {True: "ok", False: "down", None: "not configured"}[broker],
    }
    healthy = database and broker is not False
    return JsonResponse(body, status=200 if healthy else 503)


@require_POST
def language_set(request: HttpRequest) -> HttpResponse:
    """Switch the interface language, and remember it on the account of a signed-in user."""
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        request.user.preferred_language = language
        request.user.save(update_fields=["preferred_language"])
    return set_language(request)
