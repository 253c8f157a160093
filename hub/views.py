from __future__ import annotations

import secrets

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST

from hub import health
from hub.accounts.selectors import outbound_emails_parked_count
from hub.gauges import HubCollector
from hub.metrics import exposition
from tickets.selectors import sweep_parked_counts


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    database = health.database_answers()
    broker = health.broker_answers()
    body: dict[str, object] = {
        "database": "ok" if database else "down",
        "broker": {True: "ok", False: "down", None: "not configured"}[broker],
    }
    if database:
        # Work the sweeps gave up on (tickets.sweeping): for operators to see, not a failure
        # of this instance, so the status stays 200.
        body["parked"] = {**sweep_parked_counts(), "emails": outbound_emails_parked_count()}
    healthy = database and broker is not False
    return JsonResponse(body, status=200 if healthy else 503)


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus's scrape: only with METRICS_TOKEN as a bearer token; no token configured,
    no endpoint (404)."""
    token = settings.METRICS_TOKEN
    if not token:
        raise Http404
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secrets.compare_digest(
        given.strip().encode(), token.encode()
    ):
        refused = HttpResponse(
            "A bearer token is required.\n", status=401, content_type="text/plain"
        )
        refused["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return refused
    return HttpResponse(exposition(HubCollector()), content_type=CONTENT_TYPE_LATEST)
