"""Actors and helpers of sign-in: an SSO organisation at a real OpenID provider, and the rest."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core.cache import cache, caches
from django.test import Client

import hub.cache
import hub.sessions
from hub.accounts.models import (
    Environment,
    IdentityProvider,
    IdentityProviderKind,
    LicenceTier,
    Membership,
    Organisation,
    OrganisationDomain,
    User,
)
from tests.conftest import PASSWORD
from tests.oidc_provider.provider import (
    ProviderAccount,
    RunningProvider,
    provider_running,
    sign_in_at_provider,
)

# What people type at the organisations' identity provider.
IDP_PASSWORD = "provider-password-for-tests"
SSO_SLUGS = ["initrode", "space-agency"]


@pytest.fixture
def redis_copies(monkeypatch: pytest.MonkeyPatch) -> None:
    """Redis holds the copies of sessions, users and memberships, and counts as up and never
    seen away (skipped where the cache is not Redis)."""
    if not isinstance(caches["default"], hub.cache.DegradingRedisCache):
        pytest.skip("the copies live on Redis")
    monkeypatch.setattr(hub.cache, "_away_until", 0.0)
    monkeypatch.setattr(hub.cache, "_outages", 0)
    monkeypatch.setattr(hub.sessions, "_synced_after_outages", 0)


def copy_markers_lapsed(user: User) -> None:
    """Creating a user, their membership and seat marked their copies changed for a minute."""
    cache.delete_many([f"hub.users.{user.pk}", f"hub.members.{user.pk}"])


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """Rate-limit counters and cached provider configurations never leak between tests."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _loopback_identity_providers(settings: Any) -> None:
    # The test provider listens on 127.0.0.1; production allows only public HTTPS addresses.
    settings.HUB_SSO_ALLOW_LOOPBACK = True


@pytest.fixture(scope="session")
def oidc_provider() -> Iterator[RunningProvider]:
    accounts = [
        ProviderAccount("sso@initrode.example", IDP_PASSWORD, "Ines", "Okafor"),
        ProviderAccount("newcomer@initrode.example", IDP_PASSWORD, "Nia", "New"),
        ProviderAccount("stray@initrode.example", IDP_PASSWORD, "Sol", "Stray"),
        ProviderAccount("unverified@initrode.example", IDP_PASSWORD, email_verified=False),
        ProviderAccount("someone@elsewhere.example", IDP_PASSWORD, "Sam", "Else"),
        ProviderAccount("astro@space.example", IDP_PASSWORD, "Ava", "Astro"),
    ]
    redirect_uris = [f"http://testserver/accounts/sso/{slug}/callback/" for slug in SSO_SLUGS]
    with provider_running(redirect_uris=redirect_uris, accounts=accounts) as provider:
        yield provider


def _sso_organisation(
    provider: RunningProvider, *, name: str, domain: str, slug: str, environment: str
) -> Organisation:
    organisation, _ = Organisation.objects.get_or_create(
        name=name,
        defaults={"licence_tier": LicenceTier.STANDARD, "environment": environment},
    )
    OrganisationDomain.objects.get_or_create(domain=domain, organisation=organisation)
    IdentityProvider.objects.update_or_create(
        organisation=organisation,
        defaults={
            "kind": IdentityProviderKind.OIDC,
            "slug": slug,
            "issuer": provider.issuer,
            "client_id": provider.client_id,
            "client_secret": provider.client_secret,
            "is_enabled": True,
        },
    )
    return organisation


@pytest.fixture
def initrode(db: None, oidc_provider: RunningProvider) -> Organisation:
    """A commercial organisation that signs in with SSO."""
    return _sso_organisation(
        oidc_provider,
        name="Initrode",
        domain="initrode.example",
        slug="initrode",
        environment=Environment.COMMERCIAL,
    )


@pytest.fixture
def space_agency(db: None, oidc_provider: RunningProvider) -> Organisation:
    """A FedRAMP organisation that signs in with SSO."""
    return _sso_organisation(
        oidc_provider,
        name="Space Agency",
        domain="space.example",
        slug="space-agency",
        environment=Environment.FEDRAMP,
    )


def _sso_user(email: str, organisation: Organisation, **membership: bool) -> User:
    user = User.objects.create_user(username=email, email=email, password=None)
    Membership.objects.create(user=user, organisation=organisation, **membership)
    return user


@pytest.fixture
def sso_member(initrode: Organisation) -> User:
    """An invited member of Initrode: no password here, signs in at Initrode's provider."""
    return _sso_user("sso@initrode.example", initrode, is_brand_admin=True)


@pytest.fixture
def fedramp_sso_member(space_agency: Organisation) -> User:
    return _sso_user("astro@space.example", space_agency)


@pytest.fixture
def globex_admin(make_member: Callable[..., User], globex: Organisation) -> User:
    return make_member("ent-admin@globex.example", globex, brand_admin=True, first_name="Elena")


@pytest.fixture
def billing_contact(make_member: Callable[..., User], acme: Organisation) -> User:
    return make_member("billing@acme.example", acme, billing=True)


def sign_in_with_password(
    client: Client,
    login: str,
    password: str = PASSWORD,
    *,
    entrance: str = "/accounts/login/",
    next_url: str | None = None,
    **extra: Any,
) -> Any:
    """The two questions of the sign-in page, as the browser posts them."""
    query = {"next": next_url} if next_url else {}
    first = client.post(entrance, {"login": login, **query}, **extra)
    if first.status_code != 302 or "/password/" not in first["Location"]:
        return first
    return client.post(first["Location"], {"login": login, "password": password, **query}, **extra)


def start_sso(
    client: Client, email: str, *, entrance: str = "/accounts/login/", next_url: str | None = None
) -> str:
    """Type the email on the hub; return the provider address the hub sends the browser to."""
    data = {"login": email, **({"next": next_url} if next_url else {})}
    first = client.post(entrance, data)
    assert first.status_code == 302, first.content.decode()[:2000]
    assert "/accounts/sso/" in first["Location"] and "/start/" in first["Location"]
    onward = client.get(first["Location"])
    assert onward.status_code == 200, onward.content.decode()[:2000]
    refresh = str(onward["Refresh"])
    assert refresh.startswith("0;url=")
    return refresh.removeprefix("0;url=")


def sign_in_with_sso(
    client: Client,
    email: str,
    *,
    entrance: str = "/accounts/login/",
    idp_email: str | None = None,
    idp_password: str = IDP_PASSWORD,
    next_url: str | None = None,
) -> Any:
    """Type the email on the hub, sign in at the provider, and come back with its answer."""
    authorization_url = start_sso(client, email, entrance=entrance, next_url=next_url)
    return_url = sign_in_at_provider(
        authorization_url, email=idp_email or email, password=idp_password
    )
    parts = urlsplit(return_url)
    assert parts.netloc == "testserver", return_url
    return client.get(f"{parts.path}?{parts.query}")
