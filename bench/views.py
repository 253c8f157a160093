"""The bare view: the floor every page's throughput is given as a fraction of.

It goes through the whole middleware stack, like every page, but touches neither the
database nor a template, so the gap between it and a page is what that page itself costs.
Routed only when settings.BENCH_VIEWS is on (hub/urls.py).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse


def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"ok", content_type="text/plain")
