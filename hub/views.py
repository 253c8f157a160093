from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from hub import health
from hub.accounts.selectors import outbound_emails_parked_count
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
