"""Every demo actor × every way in: the password, organisation SSO, and the FedRAMP entrance.

Who gets in, who is refused, and what they are told (R-LOGIN, R-ENV).
"""

from __future__ import annotations

import pytest
from django.test import Client

from hub.accounts.models import User
from hub.accounts.selectors import session_environment
from tests.conftest import PASSWORD
from tests.hub.conftest import sign_in_with_password, sign_in_with_sso, start_sso

STANDARD = "/accounts/login/"
FEDRAMP = "/fedramp/login/"
WRONG_PASSWORD_MESSAGE = "Enter a correct email address or username and password"
TO_FEDRAMP = "Your organisation works in the FedRAMP environment"
NOT_FEDRAMP = "This sign-in page is only for organisations in the FedRAMP environment"

COMMERCIAL_ACTORS = ["standard_user", "brand_admin", "seat_holder", "outsider", "agent"]


def _is_signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


@pytest.mark.django_db
@pytest.mark.parametrize("actor", COMMERCIAL_ACTORS)
def test_commercial_users_and_staff_sign_in_with_their_password_on_the_standard_page(
    client: Client, actor: str, request: pytest.FixtureRequest
) -> None:
    user: User = request.getfixturevalue(actor)
    response = sign_in_with_password(client, user.email)
    assert response.status_code == 302 and response["Location"] == "/hub/"
    assert _is_signed_in(client)
    assert client.session["hub_environment"] == "commercial"


@pytest.mark.django_db
@pytest.mark.parametrize("actor", COMMERCIAL_ACTORS)
def test_commercial_users_and_staff_are_sent_to_the_standard_page_from_the_fedramp_one(
    client: Client, actor: str, request: pytest.FixtureRequest
) -> None:
    user: User = request.getfixturevalue(actor)
    response = sign_in_with_password(client, user.email, entrance=FEDRAMP)
    html = response.content.decode()
    assert response.status_code == 200
    assert NOT_FEDRAMP in html
    assert 'href="/accounts/login/"' in html and "Go to the standard sign-in page" in html
    assert not _is_signed_in(client)


@pytest.mark.django_db
@pytest.mark.parametrize("actor", COMMERCIAL_ACTORS)
def test_a_wrong_password_on_the_fedramp_page_says_nothing_about_the_account(
    client: Client, actor: str, request: pytest.FixtureRequest
) -> None:
    user: User = request.getfixturevalue(actor)
    response = sign_in_with_password(client, user.email, "not-the-password", entrance=FEDRAMP)
    html = response.content.decode()
    assert WRONG_PASSWORD_MESSAGE in html
    assert NOT_FEDRAMP not in html
    assert "Go to the standard sign-in page" not in html


@pytest.mark.django_db
def test_a_fedramp_user_signs_in_on_the_fedramp_page_and_the_session_says_fedramp(
    client: Client, fedramp_user: User, rf: object
) -> None:
    page = client.get(FEDRAMP).content.decode()
    assert "Authorised use only" in page
    response = sign_in_with_password(client, fedramp_user.email, entrance=FEDRAMP)
    assert response.status_code == 302 and response["Location"] == "/hub/"
    assert client.session["hub_environment"] == "fedramp"
    home = client.get("/hub/")
    assert session_environment(home.wsgi_request) == "fedramp"


@pytest.mark.django_db
def test_a_fedramp_user_is_sent_to_the_fedramp_page_from_the_standard_one(
    client: Client, fedramp_user: User
) -> None:
    response = sign_in_with_password(client, fedramp_user.email)
    html = response.content.decode()
    assert TO_FEDRAMP in html
    assert 'href="/fedramp/login/"' in html and "Go to the FedRAMP sign-in page" in html
    assert not _is_signed_in(client)


@pytest.mark.django_db
def test_a_fedramp_user_with_a_wrong_password_hears_only_that_it_is_wrong(
    client: Client, fedramp_user: User
) -> None:
    html = sign_in_with_password(client, fedramp_user.email, "not-the-password").content.decode()
    assert WRONG_PASSWORD_MESSAGE in html
    assert TO_FEDRAMP not in html and "Go to the FedRAMP sign-in page" not in html


@pytest.mark.django_db
@pytest.mark.parametrize("entrance", [STANDARD, FEDRAMP])
def test_an_unknown_person_is_told_only_that_the_details_are_wrong(
    client: Client, entrance: str
) -> None:
    response = sign_in_with_password(client, "nobody@nowhere.example", entrance=entrance)
    html = response.content.decode()
    assert response.status_code == 200
    assert WRONG_PASSWORD_MESSAGE in html
    assert not _is_signed_in(client)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "actor", ["standard_user", "brand_admin", "seat_holder", "fedramp_user", "outsider", "agent"]
)
def test_people_of_organisations_without_sso_are_asked_for_their_password(
    client: Client, actor: str, request: pytest.FixtureRequest
) -> None:
    user: User = request.getfixturevalue(actor)
    response = client.post(STANDARD, {"login": user.email})
    assert response.status_code == 302 and response["Location"] == "/accounts/login/password/"
    page = client.get(response["Location"]).content.decode()
    assert "Enter your password" in page and f'value="{user.email}"' in page


@pytest.mark.django_db
def test_a_username_is_asked_for_its_password_too(
    client: Client, make_member: object, acme: object
) -> None:
    user = make_member("named@acme.example", acme)  # type: ignore[operator]
    user.username = "sam.carter"
    user.save()
    response = sign_in_with_password(client, "sam.carter")
    assert response.status_code == 302 and _is_signed_in(client)


@pytest.mark.django_db
def test_an_sso_member_is_taken_to_their_provider_and_signed_in(
    client: Client, sso_member: User
) -> None:
    response = sign_in_with_sso(client, sso_member.email)
    assert response.status_code == 302 and response["Location"] == "/hub/"
    assert int(client.session["_auth_user_id"]) == sso_member.pk
    assert client.session["hub_environment"] == "commercial"


@pytest.mark.django_db
def test_an_sso_member_typing_a_password_is_told_to_use_single_sign_on(
    client: Client, sso_member: User
) -> None:
    sso_member.set_password(PASSWORD)
    sso_member.save()
    response = client.post(
        "/accounts/login/password/", {"login": sso_member.email, "password": PASSWORD}
    )
    html = response.content.decode()
    assert "Initrode signs in with single sign-on" in html
    assert "Sign in with single sign-on" in html
    assert not _is_signed_in(client)


@pytest.mark.django_db
def test_an_sso_member_with_a_wrong_password_hears_only_that_it_is_wrong(
    client: Client, sso_member: User
) -> None:
    response = client.post(
        "/accounts/login/password/", {"login": sso_member.email, "password": "guess-guess-guess"}
    )
    html = response.content.decode()
    assert WRONG_PASSWORD_MESSAGE in html and "single sign-on, not" not in html


@pytest.mark.django_db
def test_an_sso_member_on_the_fedramp_page_is_pointed_to_the_standard_page(
    client: Client, sso_member: User
) -> None:
    response = client.post(FEDRAMP, {"login": sso_member.email})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Initrode signs in on another sign-in page." in html
    assert 'href="/accounts/login/"' in html


@pytest.mark.django_db
def test_a_fedramp_sso_member_signs_in_through_the_fedramp_page(
    client: Client, fedramp_sso_member: User
) -> None:
    response = sign_in_with_sso(client, fedramp_sso_member.email, entrance=FEDRAMP)
    assert response.status_code == 302 and response["Location"] == "/hub/"
    assert client.session["hub_environment"] == "fedramp"


@pytest.mark.django_db
def test_a_fedramp_sso_member_on_the_standard_page_is_pointed_to_the_fedramp_page(
    client: Client, fedramp_sso_member: User
) -> None:
    response = client.post(STANDARD, {"login": fedramp_sso_member.email})
    html = response.content.decode()
    assert "Space Agency signs in on another sign-in page." in html
    assert 'href="/fedramp/login/"' in html


@pytest.mark.django_db
def test_an_unknown_address_at_an_sso_domain_goes_to_the_provider_which_decides(
    client: Client, initrode: object, oidc_provider: object
) -> None:
    url = start_sso(client, "not-yet-here@initrode.example")
    assert url.startswith(oidc_provider.issuer)  # type: ignore[attr-defined]


@pytest.mark.django_db
def test_the_session_environment_of_an_anonymous_visitor_is_commercial(client: Client) -> None:
    response = client.get(STANDARD)
    assert session_environment(response.wsgi_request) == "commercial"


@pytest.mark.django_db
def test_a_session_without_a_record_falls_back_to_the_users_organisation(
    client: Client, fedramp_user: User
) -> None:
    client.force_login(fedramp_user)
    session = client.session
    session.pop("hub_environment", None)
    session.save()
    response = client.get("/hub/")
    assert session_environment(response.wsgi_request) == "fedramp"
