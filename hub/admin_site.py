"""The agents' admin site: Django's, with the apps' list built only on a page that shows it.

Django builds the list of every app and model the agent may use (``get_app_list``, a
permission check per model) for every admin page, for the apps' sidebar. The agents' busiest
pages, the ticket list and the ticket page, leave the sidebar out, so the list is handed over
unbuilt and is built the first time a template reads it (the index, the other pages'
sidebar), once per request.
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib.admin import AdminSite
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject


class HubAdminSite(AdminSite):
    def get_app_list(self, request: HttpRequest, app_label: str | None = None) -> list[Any]:
        build = super().get_app_list
        return cast(list[Any], SimpleLazyObject(lambda: build(request, app_label)))


class HubAdminConfig(AdminConfig):
    default_site = "hub.admin_site.HubAdminSite"
