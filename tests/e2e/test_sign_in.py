"""Sign-in in a real browser: the two questions, organisation SSO through a real OpenID
provider, the FedRAMP entrance, and the brand administrator's pages."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from playwright.sync_api import Page, expect

from hub.accounts import services
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
from tests.oidc_provider.provider import ProviderAccount, RunningProvider, provider_running

pytestmark = pytest.mark.e2e

IDP_PASSWORD = "provider-password-for-the-browser"


@pytest.fixture(autouse=True)
def _fresh_cache_and_loopback_providers(settings: Any) -> Iterator[None]:
    settings.HUB_SSO_ALLOW_LOOPBACK = True
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(scope="module")
def browser_oidc_provider(live_server: Any) -> Iterator[RunningProvider]:
    accounts = [ProviderAccount("sso@initrode.example", IDP_PASSWORD, "Ines", "Okafor")]
    with provider_running(
        redirect_uris=[f"{live_server.url}/accounts/sso/initrode/callback/"], accounts=accounts
    ) as provider:
        yield provider


@pytest.fixture
def initrode_member(transactional_db: None, browser_oidc_provider: RunningProvider) -> User:
    organisation = Organisation.objects.create(
        name="Initrode", licence_tier=LicenceTier.STANDARD, environment=Environment.COMMERCIAL
    )
    OrganisationDomain.objects.create(organisation=organisation, domain="initrode.example")
    IdentityProvider.objects.create(
        organisation=organisation,
        kind=IdentityProviderKind.OKTA,
        slug="initrode",
        issuer=browser_oidc_provider.issuer,
        client_id=browser_oidc_provider.client_id,
        client_secret=browser_oidc_provider.client_secret,
    )
    user = User.objects.create_user(
        "sso@initrode.example", "sso@initrode.example", None, first_name="Ines", last_name="Okafor"
    )
    Membership.objects.create(user=user, organisation=organisation, is_brand_admin=True)
    return user


def _answer_first_question(page: Page, login: str) -> None:
    page.get_by_label("Email address or username").fill(login)
    page.get_by_role("button", name="Continue").click()


def test_an_sso_member_signs_in_through_their_organisations_provider(
    page: Page,
    live_server: Any,
    initrode_member: User,
    browser_oidc_provider: RunningProvider,
    screenshot: Callable[[Page, str], Path],
) -> None:
    page.goto(f"{live_server.url}/hub/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/hub/"))
    screenshot(page, "sign-in-01-first-question")
    _answer_first_question(page, initrode_member.email)
    # At the organisation's own provider, with the typed email filled in for us.
    expect(page).to_have_url(re.compile("^" + re.escape(browser_oidc_provider.issuer)))
    expect(page.get_by_label("Email")).to_have_value(initrode_member.email)
    screenshot(page, "sign-in-02-at-the-identity-provider")
    page.get_by_label("Password").fill(IDP_PASSWORD)
    page.get_by_role("button", name="Sign in to the identity provider").click()
    expect(page).to_have_url(f"{live_server.url}/hub/")
    expect(page.get_by_role("heading", level=1)).to_have_text("How can we help?")
    expect(page.get_by_text("Initrode", exact=True)).to_be_visible()
    screenshot(page, "sign-in-03-signed-in-with-sso")


def test_a_member_answers_two_questions_and_a_wrong_password_is_explained(
    page: Page, live_server: Any, standard_user: User, screenshot: Callable[[Page, str], Path]
) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_title(re.compile("^Error:"))
    expect(page.locator(".error-summary")).to_be_focused()
    screenshot(page, "sign-in-04-first-question-error")
    _answer_first_question(page, standard_user.email)
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter your password")
    expect(page.get_by_label("Password")).to_be_visible()
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".error-summary")).to_contain_text(
        "Enter a correct email address or username and password"
    )
    screenshot(page, "sign-in-05-wrong-password")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("How can we help?")


def test_the_fedramp_entrance_lets_in_fedramp_users_and_points_others_away(
    page: Page,
    live_server: Any,
    fedramp_user: User,
    standard_user: User,
    screenshot: Callable[[Page, str], Path],
) -> None:
    page.goto(f"{live_server.url}/fedramp/login/")
    expect(page.get_by_text("Authorised use only")).to_be_visible()
    screenshot(page, "sign-in-06-fedramp-entrance")
    _answer_first_question(page, standard_user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".error-summary")).to_contain_text("only for organisations in the FedRAMP")
    screenshot(page, "sign-in-07-fedramp-refuses-a-commercial-user")
    page.get_by_role("link", name="Go to the standard sign-in page").click()
    expect(page).to_have_url(f"{live_server.url}/accounts/login/")

    page.goto(f"{live_server.url}/fedramp/login/")
    _answer_first_question(page, fedramp_user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("How can we help?")


def _sign_in(page: Page, live_server: Any, email: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    _answer_first_question(page, email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("How can we help?")


def test_a_brand_administrator_manages_roles_invitations_and_seats(
    page: Page,
    live_server: Any,
    make_member: Callable[..., User],
    globex: Organisation,
    seat_holder: User,
    screenshot: Callable[[Page, str], Path],
) -> None:
    admin = make_member(
        "ent-admin@globex.example", globex, brand_admin=True, first_name="Elena", last_name="Rossi"
    )
    for number, name in enumerate(["Ada", "Ben", "Chen", "Dara"]):
        member = make_member(f"{name.lower()}@globex.example", globex, first_name=name)
        if number < 3:
            services.seat_assign(organisation=globex, user=member, by=admin)
    _sign_in(page, live_server, admin.email)

    page.goto(f"{live_server.url}/hub/organisation/members/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Members and roles")
    screenshot(page, "members-01-list")
    page.get_by_role("link", name="Change roles of dara@globex.example").click()
    page.get_by_label("Billing contact").check()
    screenshot(page, "members-02-roles")
    page.get_by_role("button", name="Save roles").click()
    expect(page.get_by_role("status")).to_contain_text("have been saved")

    page.get_by_role("link", name="Invite a member").click()
    page.get_by_label("Email address").fill("not-an-address")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.locator(".error-summary")).to_be_visible()
    screenshot(page, "members-03-invite-error")
    page.get_by_label("Email address").fill("newcomer@globex.example")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_role("status")).to_contain_text("We have sent an invitation")
    expect(page.get_by_role("cell", name="newcomer@globex.example", exact=True)).to_be_visible()

    page.get_by_role("link", name="Enterprise Support seats").click()
    expect(page.locator(".stat-list")).to_contain_text("4")
    page.get_by_label("Member", exact=True).select_option(label="Dara (dara@globex.example)")
    page.get_by_role("button", name="Give seat").click()
    expect(page.get_by_role("status")).to_contain_text("now holds an Enterprise Support seat")
    expect(page.get_by_text("All seats are in use.")).to_be_visible()
    screenshot(page, "seats-01-all-in-use")
    page.get_by_role("button", name="Release seat of ada@globex.example").click()
    expect(page.get_by_role("status")).to_contain_text("has been released")
    screenshot(page, "seats-02-one-free")

    page.get_by_role("link", name="Single sign-on").click()
    page.get_by_role("button", name="Save and check the provider").click()
    expect(page.locator(".error-summary")).to_be_visible()
    screenshot(page, "sso-settings-01-errors")


def test_pages_work_on_a_narrow_phone_screen(
    page: Page,
    live_server: Any,
    brand_admin: User,
    screenshot: Callable[[Page, str], Path],
) -> None:
    page.set_viewport_size({"width": 320, "height": 700})
    _sign_in(page, live_server, brand_admin.email)
    for path, name in [
        ("/hub/organisation/members/", "phone-members"),
        ("/hub/organisation/sign-in/", "phone-sso-settings"),
    ]:
        page.goto(f"{live_server.url}{path}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 320, f"{path} scrolls sideways ({width}px)"
        screenshot(page, name)


def test_an_invited_person_creates_their_account_and_signs_in(
    page: Page,
    live_server: Any,
    brand_admin: User,
    acme: Organisation,
    screenshot: Callable[[Page, str], Path],
) -> None:
    invitation = services.invitation_create(
        organisation=acme, email="nora@acme.example", by=brand_admin
    )
    link = services.invitation_link(invitation).removeprefix("http://127.0.0.1:8000")
    page.goto(f"{live_server.url}{link}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Create your account")
    page.get_by_label("First name").fill("Nora")
    page.get_by_label("Last name").fill("Nguyen")
    page.get_by_label("Create a password").fill("short")
    page.get_by_label("Type the password again").fill("short")
    page.get_by_role("button", name="Create account").click()
    expect(page.locator(".error-summary")).to_contain_text("too short")
    expect(page.get_by_label("First name")).to_have_value("Nora")
    screenshot(page, "invitation-01-password-too-short")
    page.get_by_label("Create a password").fill("violet-harbour-lantern")
    page.get_by_label("Type the password again").fill("violet-harbour-lantern")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("status")).to_contain_text("Your account is ready")
    screenshot(page, "invitation-02-account-ready")
    page.get_by_label("Password", exact=True).fill("violet-harbour-lantern")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("How can we help?")


def test_a_person_without_an_account_at_an_sso_organisation_is_told_whom_to_ask(
    page: Page,
    live_server: Any,
    initrode_member: User,
    browser_oidc_provider: RunningProvider,
    screenshot: Callable[[Page, str], Path],
) -> None:
    initrode_member.delete()
    page.goto(f"{live_server.url}/accounts/login/")
    _answer_first_question(page, "sso@initrode.example")
    page.get_by_label("Password").fill(IDP_PASSWORD)
    page.get_by_role("button", name="Sign in to the identity provider").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You could not be signed in")
    expect(page.get_by_role("alert")).to_contain_text("Ask one of your brand administrators")
    screenshot(page, "sign-in-08-sso-refused")


def test_forgotten_password_and_change_password_pages(
    page: Page, live_server: Any, standard_user: User, screenshot: Callable[[Page, str], Path]
) -> None:
    page.goto(f"{live_server.url}/accounts/password/reset/")
    page.get_by_label("Email").fill(standard_user.email)
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    screenshot(page, "password-01-reset-sent")
    _sign_in(page, live_server, standard_user.email)
    page.goto(f"{live_server.url}/accounts/password/change/")
    page.get_by_role("button", name="Change password").click()
    expect(page.locator(".error-summary")).to_be_visible()
    screenshot(page, "password-02-change-errors")
