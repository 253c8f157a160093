from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from django.views.generic import RedirectView

from hub import views
from hub.flow import contact, steps
from hub.flow.contact_urls import contact_patterns

hub_patterns: tuple[list[URLPattern | URLResolver], str] = (
    [
        path("", steps.home, name="home"),
        path("technical/", steps.redirect_question, name="redirect"),
        path("technical/areas/", steps.areas, name="areas"),
        path("technical/areas/<slug:slug>/", steps.area, name="area"),
        path(
            "technical/areas/<slug:slug>/assistant/feedback/",
            steps.assistant_feedback,
            name="assistant_feedback",
        ),
        path("technical/areas/<slug:slug>/contact/", steps.methods, name="methods"),
        path("technical/areas/<slug:slug>/contact/", include(contact_patterns)),
        path("account-services/", steps.account_services, name="account_services"),
        path("requests/<str:number>/", steps.confirmation, name="confirmation"),
        # Part B's attachment download: never served inline from our own origin.
        path("attachments/<int:pk>/", contact.attachment_download, name="attachment"),
    ],
    "hub",
)

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="hub:home", permanent=False)),
    path("hub/", include(hub_patterns)),
    path("hub/", include("tickets.urls")),
    path("support/", include("chatbot.urls")),
    path("", include("hub.account_urls")),
    path("accounts/", include("allauth.urls")),
    path("i18n/setlang/", views.language_set, name="set_language"),
    path("admin/", admin.site.urls),
    path("healthz", views.healthz, name="healthz"),
]

if settings.DEBUG:
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()

if settings.BENCH_VIEWS:
    # Only `python -m bench` turns this on: the floor every page is measured against.
    from bench.views import bare

    urlpatterns += [path("bench/bare", bare, name="bench-bare")]
