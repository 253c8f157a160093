"""Pages for 400, 403, 404, 500 and a refused form, in the hub's frame and the user's language
(DEBUG is off in the test settings, as in production)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory, override_settings
from django.urls import path
from django.utils import translation

from hub import errors
from hub.accounts.models import User
from hub.urls import urlpatterns as hub_urlpatterns


def boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug")


def forbidden(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied


# This module is also the URLconf of these tests: the hub's, plus two views that fail.
handler400 = errors.bad_request
handler403 = errors.permission_denied
handler404 = errors.page_not_found
handler500 = errors.server_error
urlpatterns = [*hub_urlpatterns, path("boom/", boom), path("forbidden/", forbidden)]

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


def test_debug_is_off() -> None:
    assert settings.DEBUG is False


def test_the_hub_urlconf_names_every_handler() -> None:
    import hub.urls

    assert hub.urls.handler400 is errors.bad_request
    assert hub.urls.handler403 is errors.permission_denied
    assert hub.urls.handler404 is errors.page_not_found
    assert hub.urls.handler500 is errors.server_error
    assert settings.CSRF_FAILURE_VIEW == "hub.errors.csrf_failure"


def test_a_missing_page_is_a_404_in_the_frame_with_a_way_on(
    client: Client, standard_user: User
) -> None:
    client.force_login(standard_user)
    response = client.get("/hub/no-such-page/")
    text = response.content.decode()
    assert response.status_code == 404
    assert "Page not found" in text
    assert 'class="site-header"' in text  # the hub's frame
    assert 'href="/hub/tickets/"' in text and 'href="/hub/"' in text


def test_the_404_page_is_in_the_users_language(client: Client, standard_user: User) -> None:
    standard_user.preferred_language = "fr"
    standard_user.save(update_fields=["preferred_language"])
    client.force_login(standard_user)
    response = client.get("/hub/no-such-page/")
    assert response.status_code == 404
    assert "Page introuvable" in response.content.decode()


def test_a_403_says_whom_to_ask(client: Client, standard_user: User) -> None:
    client.force_login(standard_user)
    response = client.get("/forbidden/")
    assert response.status_code == 403
    assert "brand administrators" in response.content.decode()


def test_a_400_says_what_to_do(client: Client) -> None:
    response = client.get("/hub/?q=%00", HTTP_ACCEPT_LANGUAGE="it")
    assert response.status_code == 400
    assert "Non abbiamo potuto leggere questa richiesta" in response.content.decode()


def test_a_refused_form_says_to_reload_and_send_again(standard_user: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(standard_user)
    response = client.post("/hub/", {"team": "technical"})
    text = response.content.decode()
    assert response.status_code == 403
    assert "This form could not be sent" in text
    assert "reload the page, and send the form again" in text


def test_a_server_error_is_a_static_page_in_the_users_language(
    django_assert_num_queries: Callable[..., Any],
) -> None:
    client = Client(raise_request_exception=False)
    response = client.get("/boom/", HTTP_ACCEPT_LANGUAGE="fr")
    text = response.content.decode()
    assert response.status_code == 500
    assert "Une erreur s’est produite" in text
    assert 'href="/hub/tickets/"' in text
    # Drawn from the template alone: no query, no session, no context processor.
    request = RequestFactory().get("/boom/")
    with translation.override("it"), django_assert_num_queries(0):
        page = errors.server_error(request)
    assert page.status_code == 500
    assert "Qualcosa è andato storto" in page.content.decode()


def test_the_500_page_never_fails_in_its_turn(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any, **kwargs: Any) -> str:
        raise OSError("template folder gone")

    monkeypatch.setattr(errors, "render_to_string", broken)
    with override_settings(DEBUG=False):
        page = errors.server_error(RequestFactory().get("/"))
    assert page.status_code == 500
    assert b"Something went wrong" in page.content
