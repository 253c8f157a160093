"""The project's URLs: each app's own patterns, composed here (the shell is the top floor)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView

from hub import errors, views
from hub.accounts import views as account_views
from hub.flow.urls import hub_patterns

# Pages for errors, in the hub's frame (hub/errors.py).
handler400 = errors.bad_request
handler403 = errors.permission_denied
handler404 = errors.page_not_found
handler500 = errors.server_error

# The agents' admin is the hub's own: its name, in the agent's language, not Django's.
admin.site.site_header = _("Customer Success Hub")
admin.site.site_title = _("Customer Success Hub")
admin.site.index_title = _("Agents’ admin")

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="hub:home", permanent=False)),
    path("hub/", include(hub_patterns)),
    path("hub/", include("tickets.urls")),
    path("support/", include("chatbot.urls")),
    path("", include("hub.accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("i18n/setlang/", account_views.language_set, name="set_language"),
    path("admin/", admin.site.urls),
    path("healthz", views.healthz, name="healthz"),
    # Prometheus's scrape, with METRICS_TOKEN as a bearer token (404 when none is set).
    path("metrics", views.metrics, name="metrics"),
]

if settings.DEBUG:
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()

if settings.BENCH_VIEWS:
    # Only `python -m bench` turns this on: the floor every page is measured against.
    from bench.views import bare

    urlpatterns += [path("bench/bare", bare, name="bench-bare")]
