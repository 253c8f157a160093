"""Organisation SSO against a real OpenID Connect provider on loopback (R-LOGIN).

The provider (panva/oidc-provider, tests/oidc_provider) issues real signed ID tokens; these
tests tamper with what a browser could tamper with and check the hub refuses it.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.test import Client

from hub.accounts.models import (
    IdentityProvider,
    IdentityProviderKind,
    Membership,
    SsoIdentity,
    User,
)
from hub.accounts.services import sso_user_for
from hub.accounts.sso import SsoRefused, SsoUnavailable, issuer_confirm, outbound_url_check
from tests.hub.conftest import IDP_PASSWORD, sign_in_with_sso, start_sso
from tests.oidc_provider.provider import RunningProvider, sign_in_at_provider

START_AGAIN = "The sign-in could not be completed. Please start again."


def _begin(client: Client, email: str) -> str:
    return start_sso(client, email)


def _return_path(return_url: str, **changes: str) -> str:
    parts = urlsplit(return_url)
    query = {key: values[0] for key, values in parse_qs(parts.query).items()}
    query.update(changes)
    return f"{parts.path}?{urlencode(query)}"


def _signed_in_as(client: Client) -> int | None:
    value = client.session.get("_auth_user_id")
    return int(value) if value else None


@pytest.mark.django_db
def test_the_provider_is_asked_with_state_nonce_pkce_and_the_typed_email(
    client: Client, sso_member: User, oidc_provider: RunningProvider
) -> None:
    location = _begin(client, sso_member.email)
    parts = urlsplit(location)
    query = parse_qs(parts.query)
    assert location.startswith(oidc_provider.issuer + "/auth")
    assert query["response_type"] == ["code"]
    assert set(query["scope"][0].split()) == {"openid", "email", "profile"}
    assert query["redirect_uri"] == ["http://testserver/accounts/sso/initrode/callback/"]
    assert query["login_hint"] == [sso_member.email]
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["state"][0]) >= 20 and len(query["nonce"][0]) >= 20


@pytest.mark.django_db
def test_a_first_sso_sign_in_links_the_invited_member_and_later_ones_use_the_link(
    client: Client, sso_member: User, oidc_provider: RunningProvider
) -> None:
    assert sign_in_with_sso(client, sso_member.email)["Location"] == "/hub/"
    identity = SsoIdentity.objects.get(user=sso_member)
    assert identity.issuer == oidc_provider.issuer and identity.subject
    # The hub's copy of the address changes; the provider's subject still finds them.
    sso_member.email = "ines.okafor@initrode.example"
    sso_member.save()
    other_browser = Client()
    response = sign_in_with_sso(
        other_browser, "ines.okafor@initrode.example", idp_email="sso@initrode.example"
    )
    assert response["Location"] == "/hub/"
    assert _signed_in_as(other_browser) == sso_member.pk
    assert SsoIdentity.objects.filter(user=sso_member).count() == 1


@pytest.mark.django_db
def test_an_sso_sign_in_rotates_the_session_key(client: Client, sso_member: User) -> None:
    location = _begin(client, sso_member.email)
    before = client.session.session_key
    return_url = sign_in_at_provider(location, email=sso_member.email, password=IDP_PASSWORD)
    client.get(_return_path(return_url))
    assert _signed_in_as(client) == sso_member.pk
    assert client.session.session_key != before


@pytest.mark.django_db
def test_a_person_without_an_account_is_refused_and_nobody_is_created(
    client: Client, initrode: object
) -> None:
    users, memberships = User.objects.count(), Membership.objects.count()
    response = sign_in_with_sso(client, "newcomer@initrode.example")
    html = response.content.decode()
    assert response.status_code == 403
    assert "There is no Customer Success Hub account for newcomer@initrode.example" in html
    assert "Ask one of your brand administrators to invite you." in html
    assert (User.objects.count(), Membership.objects.count()) == (users, memberships)
    assert _signed_in_as(client) is None


@pytest.mark.django_db
def test_a_member_of_another_organisation_is_not_let_in_through_this_provider(
    client: Client, initrode: object, make_member: object, acme: object
) -> None:
    stray = make_member("stray@initrode.example", acme)  # type: ignore[operator]
    response = sign_in_with_sso(client, "stray@initrode.example")
    assert response.status_code == 403
    assert "no Customer Success Hub account for stray@initrode.example in Initrode" in (
        response.content.decode()
    )
    assert not SsoIdentity.objects.filter(user=stray).exists()


@pytest.mark.django_db
def test_an_account_from_another_domain_at_the_provider_is_refused_with_the_domains(
    client: Client, sso_member: User
) -> None:
    response = sign_in_with_sso(client, sso_member.email, idp_email="someone@elsewhere.example")
    html = response.content.decode()
    assert response.status_code == 403
    assert "You signed in as someone@elsewhere.example" in html
    assert "Initrode only signs in addresses at initrode.example" in html
    assert _signed_in_as(client) is None


@pytest.mark.django_db
def test_an_address_the_provider_has_not_verified_is_refused(
    client: Client, initrode: object
) -> None:
    user = User.objects.create_user("unverified@initrode.example", "unverified@initrode.example")
    Membership.objects.create(user=user, organisation=initrode)  # type: ignore[misc]
    response = sign_in_with_sso(client, "unverified@initrode.example")
    assert response.status_code == 403
    assert "has not verified unverified@initrode.example" in response.content.decode()


@pytest.mark.django_db
def test_an_inactive_member_is_refused(client: Client, sso_member: User) -> None:
    sso_member.is_active = False
    sso_member.save()
    response = sign_in_with_sso(client, sso_member.email)
    assert response.status_code == 403 and _signed_in_as(client) is None


@pytest.mark.django_db
def test_a_member_already_linked_to_another_provider_account_is_refused(
    client: Client, sso_member: User, oidc_provider: RunningProvider
) -> None:
    SsoIdentity.objects.create(user=sso_member, issuer=oidc_provider.issuer, subject="old-one")
    response = sign_in_with_sso(client, sso_member.email)
    assert response.status_code == 403
    assert "linked to another account" in response.content.decode()


@pytest.mark.django_db
def test_a_tampered_state_is_refused(client: Client, sso_member: User) -> None:
    location = _begin(client, sso_member.email)
    return_url = sign_in_at_provider(location, email=sso_member.email, password=IDP_PASSWORD)
    response = client.get(_return_path(return_url, state="forged-state-value-123456"))
    assert response.status_code == 403 and START_AGAIN in response.content.decode()
    assert _signed_in_as(client) is None


@pytest.mark.django_db
def test_an_answer_for_another_browser_is_refused(client: Client, sso_member: User) -> None:
    """Login CSRF: a victim's browser is handed the attacker's code and state."""
    location = _begin(client, sso_member.email)
    return_url = sign_in_at_provider(location, email=sso_member.email, password=IDP_PASSWORD)
    victim = Client()
    response = victim.get(_return_path(return_url))
    assert response.status_code == 403 and _signed_in_as(victim) is None


@pytest.mark.django_db
def test_an_answer_is_used_once(client: Client, sso_member: User) -> None:
    location = _begin(client, sso_member.email)
    return_url = sign_in_at_provider(location, email=sso_member.email, password=IDP_PASSWORD)
    assert client.get(_return_path(return_url)).status_code == 302
    client.logout()
    replay = client.get(_return_path(return_url))
    assert replay.status_code == 403 and _signed_in_as(client) is None


@pytest.mark.django_db
def test_an_id_token_without_the_nonce_we_sent_is_refused(
    client: Client, sso_member: User, caplog: pytest.LogCaptureFixture
) -> None:
    location = _begin(client, sso_member.email)
    state = parse_qs(urlsplit(location).query)["state"][0]
    session = client.session
    key = f"_state_hub-sso-initrode_{state}"
    # The provider will put the nonce it was sent in the token; we now expect another one.
    session[key]["data"]["nonce"] = "a-different-nonce-than-the-one-sent"
    session.save()
    return_url = sign_in_at_provider(location, email=sso_member.email, password=IDP_PASSWORD)
    with caplog.at_level("INFO", logger="hub.accounts.views"):
        response = client.get(_return_path(return_url))
    assert response.status_code == 403 and START_AGAIN in response.content.decode()
    assert "Invalid claim: 'nonce'" in caplog.text
    assert _signed_in_as(client) is None


@pytest.mark.django_db
def test_an_answer_naming_another_issuer_is_refused(client: Client, sso_member: User) -> None:
    location = _begin(client, sso_member.email)
    return_url = sign_in_at_provider(location, email=sso_member.email, password=IDP_PASSWORD)
    response = client.get(_return_path(return_url, iss="https://evil.example"))
    assert response.status_code == 403 and _signed_in_as(client) is None


@pytest.mark.django_db
def test_a_refusal_by_the_provider_is_shown_with_its_reason(
    client: Client, sso_member: User
) -> None:
    location = _begin(client, sso_member.email)
    state = parse_qs(urlsplit(location).query)["state"][0]
    response = client.get(
        "/accounts/sso/initrode/callback/?"
        + urlencode(
            {"state": state, "error": "access_denied", "error_description": "User cancelled"}
        )
    )
    assert response.status_code == 403
    assert "did not let you in (User cancelled)" in response.content.decode()


@pytest.mark.django_db
def test_the_page_asked_for_before_sign_in_is_shown_after_it(
    client: Client, sso_member: User
) -> None:
    response = sign_in_with_sso(client, sso_member.email, next_url="/hub/?from=sso")
    assert response["Location"] == "/hub/?from=sso"


@pytest.mark.django_db
@pytest.mark.parametrize("evil", ["//evil.example", "https://evil.example", "/\\evil.example"])
def test_sso_never_sends_anyone_to_another_site(
    client: Client, sso_member: User, evil: str
) -> None:
    response = sign_in_with_sso(client, sso_member.email, next_url=evil)
    assert response["Location"] == "/hub/"


@pytest.mark.django_db
def test_a_disabled_provider_means_the_password_is_asked(client: Client, sso_member: User) -> None:
    IdentityProvider.objects.filter(organisation__name="Initrode").update(is_enabled=False)
    response = client.post("/accounts/login/", {"login": sso_member.email})
    assert response["Location"] == "/accounts/login/password/"


@pytest.mark.django_db
def test_an_unreachable_provider_is_explained_on_the_sign_in_page(
    client: Client, sso_member: User
) -> None:
    IdentityProvider.objects.filter(organisation__name="Initrode").update(
        issuer="http://127.0.0.1:9"
    )
    response = client.post("/accounts/login/", {"login": sso_member.email})
    html = response.content.decode()
    assert response.status_code == 200
    assert "We could not reach Initrode" in html and "There is a problem" in html


@pytest.mark.django_db
def test_the_way_to_the_provider_is_a_page_the_form_redirects_to_not_the_form_itself(
    client: Client, sso_member: User
) -> None:
    """form-action 'self' in the Content Security Policy stops a form whose redirects end at
    another origin; the hop page moves on with a Refresh header and a link instead."""
    first = client.post("/accounts/login/", {"login": sso_member.email})
    assert first["Location"] == "/accounts/sso/initrode/start/"
    page = client.get(first["Location"])
    url = str(page["Refresh"]).removeprefix("0;url=")
    assert f'href="{url.replace("&", "&amp;")}"' in page.content.decode()
    assert "Taking you to Initrode" in page.content.decode()


@pytest.mark.django_db
def test_the_way_to_a_provider_opens_only_from_the_organisations_own_entrance(
    client: Client, fedramp_sso_member: User
) -> None:
    response = client.get("/accounts/sso/space-agency/start/")
    assert response["Location"] == "/fedramp/login/"
    client.post("/accounts/login/", {"login": "someone@acme.example"})
    assert client.get("/accounts/sso/space-agency/start/")["Location"] == "/fedramp/login/"


@pytest.mark.django_db
def test_a_callback_for_an_unknown_organisation_is_not_found(client: Client) -> None:
    assert client.get("/accounts/sso/nobody/callback/?state=x&code=y").status_code == 404


# --- Outbound safety and discovery ------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "https://169.254.169.254/",
        "https://10.0.0.1/.well-known/openid-configuration",
        "https://192.168.1.10/",
        "http://8.8.8.8/",
        "file:///etc/passwd",
        "https:///no-host",
    ],
)
def test_the_server_never_fetches_private_or_plain_http_addresses(url: str) -> None:
    with pytest.raises(SsoUnavailable):
        outbound_url_check(url)


def test_loopback_is_refused_unless_allowed(settings: object) -> None:
    settings.HUB_SSO_ALLOW_LOOPBACK = False  # type: ignore[attr-defined]
    for url in [
        "http://127.0.0.1:9100",
        "https://127.0.0.1/",
        "https://[::1]/",
        "http://localhost:1/",
    ]:
        with pytest.raises(SsoUnavailable):
            outbound_url_check(url)


def test_a_public_https_address_is_fetched() -> None:
    outbound_url_check("https://8.8.8.8/.well-known/openid-configuration")


@pytest.mark.django_db
def test_the_issuer_is_taken_exactly_as_the_provider_publishes_it(
    oidc_provider: RunningProvider,
) -> None:
    assert issuer_confirm(oidc_provider.issuer + "/") == oidc_provider.issuer
    port = urlsplit(oidc_provider.issuer).port
    with pytest.raises(SsoUnavailable, match="calls itself"):
        issuer_confirm(f"http://localhost:{port}")


@pytest.mark.django_db
def test_google_requires_the_workspace_domain_claim(initrode: object) -> None:
    provider = IdentityProvider.objects.get(organisation__name="Initrode")
    provider.kind = IdentityProviderKind.GOOGLE
    member = User.objects.create_user("g@initrode.example", "g@initrode.example")
    Membership.objects.create(user=member, organisation=provider.organisation)
    claims = {"sub": "123", "email": "g@initrode.example", "email_verified": True}
    with pytest.raises(SsoRefused, match="not managed by Initrode's Google Workspace"):
        sso_user_for(provider, claims)
    assert sso_user_for(provider, {**claims, "hd": "initrode.example"}) == member
