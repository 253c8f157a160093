"""The admin builds the list of apps and models only on pages that show it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.admin.sites import AdminSite
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from hub.accounts.models import User
from hub.admin_site import HubAdminSite
from tests.tickets.history_world import tickets_bulk


@pytest.fixture
def app_lists_built(monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    built: list[str | None] = []
    build = AdminSite._build_app_dict

    def counting(self: AdminSite, request: Any, label: str | None = None) -> Any:
        built.append(label)
        return build(self, request, label)

    monkeypatch.setattr(AdminSite, "_build_app_dict", counting)
    return built


@pytest.mark.django_db
def test_the_apps_list_is_built_only_where_a_page_shows_it(
    client: Client, app_lists_built: list[str | None], standard_user: User
) -> None:
    assert isinstance(admin.site, HubAdminSite)
    root = User.objects.create_superuser(
        username="root@hub.example", email="root@hub.example", password="a long password 1"
    )
    client.force_login(root)
    # The agents' ticket list has no apps' sidebar.
    assert client.get(reverse("admin:tickets_ticket_changelist")).status_code == 200
    assert app_lists_built == []
    # Nor has the ticket they work on, which takes the page's width.
    ticket = tickets_bulk([standard_user], 1, start=timezone.now() - timedelta(days=1))[0]
    page = client.get(reverse("admin:tickets_ticket_change", args=[ticket.pk])).content.decode()
    assert ticket.number in page and 'id="nav-sidebar"' not in page
    assert app_lists_built == []
    # The index lists the apps, and the other pages' sidebar too.
    index = client.get(reverse("admin:index")).content.decode()
    assert app_lists_built == [None] and 'class="app-tickets module' in index
    page = client.get(reverse("admin:routing_productarea_changelist")).content.decode()
    assert len(app_lists_built) == 2 and 'id="nav-sidebar"' in page
