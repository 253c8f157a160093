"""The brand administrator's pages: members and roles, invitations, Enterprise Support seats,
single sign-on (R-ROLES, R-SEATS). Only brand administrators of the organisation get in."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from hub.accounts import services
from hub.accounts.models import (
    EnterpriseSeat,
    IdentityProvider,
    IdentityProviderKind,
    Invitation,
    Membership,
    Organisation,
    OrganisationDomain,
    User,
)
from tests.conftest import SESSION_QUERIES
from tests.hub.conftest import sign_in_with_password, sign_in_with_sso
from tests.oidc_provider.provider import RunningProvider

MEMBER_PAGES = [
    "/hub/organisation/members/",
    "/hub/organisation/members/invite/",
    "/hub/organisation/seats/",
    "/hub/organisation/sign-in/",
]
NOT_ADMINS = ["standard_user", "billing_contact", "seat_holder", "fedramp_user", "agent"]


@pytest.fixture
def acme_invitation(brand_admin: User, acme: Organisation) -> Invitation:
    return services.invitation_create(organisation=acme, email="new@acme.example", by=brand_admin)


@pytest.fixture
def acme_member_url(standard_user: User) -> str:
    return f"/hub/organisation/members/{standard_user.membership.pk}/roles/"


# --- Who reaches the pages -----------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("url", MEMBER_PAGES)
def test_anonymous_visitors_are_asked_to_sign_in(client: Client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
@pytest.mark.parametrize("actor", NOT_ADMINS)
@pytest.mark.parametrize("url", MEMBER_PAGES)
def test_everyone_but_brand_administrators_gets_not_found(
    client: Client, actor: str, url: str, request: pytest.FixtureRequest
) -> None:
    client.force_login(request.getfixturevalue(actor))
    assert client.get(url).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("url", MEMBER_PAGES)
def test_a_brand_administrator_reaches_every_page(
    client: Client, brand_admin: User, url: str
) -> None:
    client.force_login(brand_admin)
    assert client.get(url).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("actor", [*NOT_ADMINS, "outsider"])
def test_a_members_roles_page_is_not_found_for_anyone_outside_their_administrators(
    client: Client, actor: str, acme_member_url: str, request: pytest.FixtureRequest
) -> None:
    client.force_login(request.getfixturevalue(actor))
    assert client.get(acme_member_url).status_code == 404
    assert client.post(acme_member_url, {"is_brand_admin": "on"}).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("actor", [*NOT_ADMINS, "outsider"])
def test_an_invitation_cannot_be_cancelled_from_outside(
    client: Client, actor: str, acme_invitation: Invitation, request: pytest.FixtureRequest
) -> None:
    client.force_login(request.getfixturevalue(actor))
    url = f"/hub/organisation/invitations/{acme_invitation.pk}/cancel/"
    assert client.post(url).status_code == 404
    acme_invitation.refresh_from_db()
    assert acme_invitation.cancelled_at is None


@pytest.mark.django_db
@pytest.mark.parametrize("actor", ["brand_admin", "outsider", "seat_holder", "agent"])
def test_a_seat_of_globex_cannot_be_released_or_given_from_outside(
    client: Client, actor: str, seat_holder: User, request: pytest.FixtureRequest
) -> None:
    client.force_login(request.getfixturevalue(actor))
    seat = EnterpriseSeat.objects.get(user=seat_holder)
    assert client.post(f"/hub/organisation/seats/{seat.pk}/release/").status_code == 404
    assert EnterpriseSeat.objects.filter(pk=seat.pk).exists()
    response = client.post("/hub/organisation/seats/assign/", {"member": seat_holder.membership.pk})
    assert response.status_code in {400, 404}
    assert EnterpriseSeat.objects.count() == 1


@pytest.mark.django_db
def test_a_brand_administrator_of_another_organisation_sees_only_their_own_members(
    client: Client, outsider: User, standard_user: User
) -> None:
    client.force_login(outsider)
    html = client.get("/hub/organisation/members/").content.decode()
    assert "boss@initech.example" in html and standard_user.email not in html


@pytest.mark.django_db
def test_a_brand_administrator_signed_in_with_sso_manages_their_organisation(
    client: Client, sso_member: User
) -> None:
    sign_in_with_sso(client, sso_member.email)
    html = client.get("/hub/organisation/members/").content.decode()
    assert "sso@initrode.example" in html and "Single sign-on" in html


@pytest.mark.django_db
def test_the_services_refuse_anyone_but_a_brand_administrator(
    standard_user: User, outsider: User, acme: Organisation, globex: Organisation
) -> None:
    with pytest.raises(PermissionDenied):
        services.invitation_create(organisation=acme, email="x@acme.example", by=standard_user)
    with pytest.raises(PermissionDenied):
        services.seat_assign(organisation=globex, user=outsider, by=outsider)


# --- Members and roles ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_members_page_lists_everyone_with_their_roles_in_a_fixed_number_of_queries(
    client: Client,
    brand_admin: User,
    standard_user: User,
    make_member: Callable[..., User],
    acme: Organisation,
    django_assert_num_queries: Callable[..., Any],
) -> None:
    client.force_login(brand_admin)
    client.get("/hub/organisation/members/")
    with CaptureQueriesContext(connection) as with_two_members:
        client.get("/hub/organisation/members/")
    # user, membership, seat count, members, invitations (and the session, when it has no
    # copy on Redis): none of them grows with the members.
    assert len(with_two_members) <= 5 + SESSION_QUERIES
    for number in range(5):
        make_member(f"m{number}@acme.example", acme, billing=number == 0)
    with django_assert_num_queries(len(with_two_members)):
        html = client.get("/hub/organisation/members/").content.decode()
    assert "7 members" in html
    assert "Brand administrator" in html and "Billing contact" in html
    assert "Standard user" in html


@pytest.mark.django_db
def test_a_brand_administrator_grants_and_revokes_roles(
    client: Client, brand_admin: User, standard_user: User, acme_member_url: str
) -> None:
    client.force_login(brand_admin)
    response = client.post(acme_member_url, {"is_brand_admin": "on", "is_billing_contact": "on"})
    assert response.status_code == 302 and response["Location"] == "/hub/organisation/members/"
    membership = Membership.objects.get(user=standard_user)
    assert membership.is_brand_admin and membership.is_billing_contact
    assert not membership.is_primary_contact
    client.post(acme_member_url, {"is_primary_contact": "on"})
    membership.refresh_from_db()
    assert (
        membership.is_brand_admin,
        membership.is_billing_contact,
        membership.is_primary_contact,
    ) == (False, False, True)


@pytest.mark.django_db
def test_the_last_brand_administrator_cannot_step_down(client: Client, brand_admin: User) -> None:
    client.force_login(brand_admin)
    url = f"/hub/organisation/members/{brand_admin.membership.pk}/roles/"
    response = client.post(url, {})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Acme Research needs at least one brand administrator" in html
    assert "There is a problem" in html
    assert Membership.objects.get(user=brand_admin).is_brand_admin


@pytest.mark.django_db
def test_a_brand_administrator_who_steps_down_leaves_the_pages(
    client: Client, brand_admin: User, standard_user: User
) -> None:
    Membership.objects.filter(user=standard_user).update(is_brand_admin=True)
    client.force_login(brand_admin)
    response = client.post(f"/hub/organisation/members/{brand_admin.membership.pk}/roles/", {})
    assert response["Location"] == "/hub/"
    assert client.get("/hub/organisation/members/").status_code == 404


# --- Invitations ---------------------------------------------------------------------------------


def _link_in(message: mail.EmailMessage) -> str:
    found = re.search(r"http://127\.0\.0\.1:8000(/invitations/\S+/)", str(message.body))
    assert found, message.body
    return found.group(1)


@pytest.mark.django_db
def test_an_invited_person_creates_their_account_with_a_password_they_choose(
    client: Client,
    brand_admin: User,
    acme: Organisation,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    client.force_login(brand_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/hub/organisation/members/invite/", {"email": "New@Acme.example"})
    assert response["Location"] == "/hub/organisation/members/"
    assert "New@acme.example" in client.get("/hub/organisation/members/").content.decode()
    (message,) = mail.outbox
    assert message.to == ["New@acme.example"]
    assert "Acme Research" in message.subject
    link = _link_in(message)

    newcomer = Client()
    page = newcomer.get(link).content.decode()
    assert "You have been invited to join Acme Research" in page
    response = newcomer.post(
        link,
        {
            "first_name": "Nora",
            "last_name": "New",
            "password1": "a-long-new-passphrase",
            "password2": "a-long-new-passphrase",
        },
    )
    assert response["Location"] == "/accounts/login/password/"
    user = User.objects.get(email__iexact="new@acme.example")
    assert user.membership.organisation == acme and user.membership.is_standard_user
    assert user.check_password("a-long-new-passphrase")
    assert (
        sign_in_with_password(Client(), "new@acme.example", "a-long-new-passphrase").status_code
        == 302
    )
    # Single use: the link no longer works.
    again = Client().get(link)
    assert again.status_code == 410 and "does not work" in again.content.decode()


@pytest.mark.django_db
def test_an_invitation_asks_for_a_strong_password_and_keeps_what_was_typed(
    acme_invitation: Invitation,
) -> None:
    from hub.accounts.services import invitation_link

    link = invitation_link(acme_invitation).removeprefix("http://127.0.0.1:8000")
    response = Client().post(
        link,
        {"first_name": "Nora", "last_name": "New", "password1": "short", "password2": "other"},
    )
    html = response.content.decode()
    assert "There is a problem" in html and "<title>Error:" in html
    assert "This password is too short" in html
    assert "The two passwords are not the same" in html
    assert 'value="Nora"' in html
    assert not User.objects.filter(email="new@acme.example").exists()


@pytest.mark.django_db
def test_an_expired_forged_or_cancelled_invitation_does_not_work(
    acme_invitation: Invitation, brand_admin: User, settings: Any
) -> None:
    from hub.accounts.services import invitation_link

    link = invitation_link(acme_invitation).removeprefix("http://127.0.0.1:8000")
    assert Client().get(link[:-3] + "xx/").status_code == 410
    Invitation.objects.filter(pk=acme_invitation.pk).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    assert Client().get(link).status_code == 410
    Invitation.objects.filter(pk=acme_invitation.pk).update(
        expires_at=timezone.now() + datetime.timedelta(days=1)
    )
    settings.HUB_INVITATION_MAX_AGE = -1  # the signature's own age limit
    assert Client().get(link).status_code == 410
    settings.HUB_INVITATION_MAX_AGE = 3600
    assert Client().get(link).status_code == 200
    services.invitation_cancel(invitation=acme_invitation, by=brand_admin)
    assert Client().get(link).status_code == 410


@pytest.mark.django_db
def test_a_new_invitation_replaces_the_open_one(
    acme_invitation: Invitation, brand_admin: User, acme: Organisation
) -> None:
    second = services.invitation_create(organisation=acme, email="new@acme.example", by=brand_admin)
    acme_invitation.refresh_from_db()
    assert acme_invitation.cancelled_at is not None and second.cancelled_at is None


@pytest.mark.django_db
def test_inviting_an_existing_member_or_account_is_explained(
    client: Client, brand_admin: User, standard_user: User, outsider: User
) -> None:
    client.force_login(brand_admin)
    html = client.post(
        "/hub/organisation/members/invite/", {"email": standard_user.email}
    ).content.decode()
    assert "is already a member of Acme Research" in html and "There is a problem" in html
    html = client.post(
        "/hub/organisation/members/invite/", {"email": outsider.email}
    ).content.decode()
    assert "already has a Customer Success Hub account" in html


@pytest.mark.django_db
def test_a_brand_administrator_cancels_an_invitation(
    client: Client, brand_admin: User, acme_invitation: Invitation
) -> None:
    client.force_login(brand_admin)
    response = client.post(f"/hub/organisation/invitations/{acme_invitation.pk}/cancel/")
    assert response["Location"] == "/hub/organisation/members/"
    acme_invitation.refresh_from_db()
    assert acme_invitation.cancelled_at is not None


@pytest.mark.django_db
def test_an_sso_organisation_invites_only_its_own_domains_and_the_invitee_signs_in_with_sso(
    sso_member: User,
    initrode: Organisation,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    with pytest.raises(ValidationError, match="accepts only addresses at initrode.example"):
        services.invitation_create(organisation=initrode, email="x@gmail.example", by=sso_member)
    with django_capture_on_commit_callbacks(execute=True):
        services.invitation_create(
            organisation=initrode, email="newcomer@initrode.example", by=sso_member
        )
    link = _link_in(mail.outbox[0])
    browser = Client()
    page = browser.get(link).content.decode()
    assert "you do not need a password here" in page and "password1" not in page
    response = browser.post(link, {"first_name": "Nia", "last_name": "New"})
    assert response["Location"] == "/accounts/login/"
    newcomer = User.objects.get(email="newcomer@initrode.example")
    assert not newcomer.has_usable_password()
    assert f'value="{newcomer.email}"' in browser.get("/accounts/login/").content.decode()
    assert sign_in_with_sso(browser, newcomer.email)["Location"] == "/hub/"
    assert int(browser.session["_auth_user_id"]) == newcomer.pk


@pytest.mark.django_db
def test_an_invitation_is_not_accepted_while_signed_in(
    client: Client, standard_user: User, acme_invitation: Invitation
) -> None:
    from hub.accounts.services import invitation_link

    client.force_login(standard_user)
    link = invitation_link(acme_invitation).removeprefix("http://127.0.0.1:8000")
    assert client.get(link).status_code == 409


# --- Enterprise Support seats ------------------------------------------------------------------


@pytest.mark.django_db
def test_seats_show_used_and_free_and_are_given_and_released(
    client: Client,
    globex_admin: User,
    seat_holder: User,
    make_member: Callable[..., User],
    globex: Organisation,
) -> None:
    colleague = make_member("colleague@globex.example", globex, first_name="Cleo")
    client.force_login(globex_admin)
    page = client.get("/hub/organisation/seats/").content.decode()
    assert re.search(r"Seats in use</dt><dd>1<", page) and re.search(r"Seats free</dt><dd>4<", page)
    assert "colleague@globex.example" in page  # offered in the list of members
    response = client.post("/hub/organisation/seats/assign/", {"member": colleague.membership.pk})
    assert response["Location"] == "/hub/organisation/seats/"
    seat = EnterpriseSeat.objects.get(user=colleague)
    assert seat.assigned_by == globex_admin
    client.post(f"/hub/organisation/seats/{seat.pk}/release/")
    assert not EnterpriseSeat.objects.filter(user=colleague).exists()


@pytest.mark.django_db
def test_a_sixth_seat_on_one_success_package_is_refused_with_a_clear_message(
    client: Client, globex_admin: User, make_member: Callable[..., User], globex: Organisation
) -> None:
    members = [make_member(f"p{n}@globex.example", globex) for n in range(6)]
    for member in members[:5]:
        services.seat_assign(organisation=globex, user=member, by=globex_admin)
    client.force_login(globex_admin)
    page = client.get("/hub/organisation/seats/").content.decode()
    assert "All seats are in use" in page
    response = client.post("/hub/organisation/seats/assign/", {"member": members[5].membership.pk})
    html = response.content.decode()
    assert response.status_code == 400
    assert "All 5 Enterprise Support seats are in use" in html and "There is a problem" in html
    assert EnterpriseSeat.objects.filter(organisation=globex).count() == 5


@pytest.mark.django_db
def test_two_success_packages_hold_ten_seats(
    globex_admin: User, make_member: Callable[..., User], globex: Organisation
) -> None:
    Organisation.objects.filter(pk=globex.pk).update(success_packages=2)
    globex.refresh_from_db()
    members = [make_member(f"q{n}@globex.example", globex) for n in range(11)]
    for member in members[:10]:
        services.seat_assign(organisation=globex, user=member, by=globex_admin)
    with pytest.raises(ValidationError, match="All 10 Enterprise Support seats are in use"):
        services.seat_assign(organisation=globex, user=members[10], by=globex_admin)


@pytest.mark.django_db
def test_an_organisation_without_a_success_package_has_no_seats_to_give(
    brand_admin: User, standard_user: User, acme: Organisation
) -> None:
    with pytest.raises(ValidationError, match="has no Success Package"):
        services.seat_assign(organisation=acme, user=standard_user, by=brand_admin)


@pytest.mark.django_db
def test_a_seat_goes_only_to_a_member_without_one(
    globex_admin: User, seat_holder: User, outsider: User, globex: Organisation
) -> None:
    with pytest.raises(ValidationError, match="already holds"):
        services.seat_assign(organisation=globex, user=seat_holder, by=globex_admin)
    with pytest.raises(ValidationError, match="is not a member of Globex"):
        services.seat_assign(organisation=globex, user=outsider, by=globex_admin)


# --- Single sign-on settings -------------------------------------------------------------------


@pytest.mark.django_db
def test_a_brand_administrator_records_the_identity_provider_after_it_answers(
    client: Client, brand_admin: User, acme: Organisation, oidc_provider: RunningProvider
) -> None:
    OrganisationDomain.objects.create(organisation=acme, domain="acme.example")
    client.force_login(brand_admin)
    page = client.get("/hub/organisation/sign-in/").content.decode()
    assert "Google Workspace" in page and "Okta" in page
    response = client.post(
        "/hub/organisation/sign-in/",
        {
            "kind": IdentityProviderKind.OKTA,
            "issuer": oidc_provider.issuer + "/",
            "client_id": "acme-client",
            "client_secret": "acme-secret",
        },
    )
    assert response["Location"] == "/hub/organisation/sign-in/"
    provider = IdentityProvider.objects.get(organisation=acme)
    assert provider.issuer == oidc_provider.issuer  # as the provider publishes it
    assert provider.updated_by == brand_admin and not provider.is_enabled
    page = client.get("/hub/organisation/sign-in/").content.decode()
    assert "http://testserver/accounts/sso/acme-research/callback/" in page
    assert "acme-secret" not in page  # the secret is never shown again
    # Saving again without a secret keeps it.
    client.post(
        "/hub/organisation/sign-in/",
        {"kind": "okta", "issuer": oidc_provider.issuer, "client_id": "acme-2", "is_enabled": "on"},
    )
    provider.refresh_from_db()
    assert (provider.client_id, provider.client_secret, provider.is_enabled) == (
        "acme-2",
        "acme-secret",
        True,
    )


@pytest.mark.django_db
def test_a_provider_that_does_not_answer_is_not_saved(
    client: Client, brand_admin: User, acme: Organisation
) -> None:
    client.force_login(brand_admin)
    response = client.post(
        "/hub/organisation/sign-in/",
        {"kind": "oidc", "issuer": "http://127.0.0.1:9", "client_id": "c", "client_secret": "s"},
    )
    html = response.content.decode()
    assert "There is a problem" in html and "did not answer" in html
    assert not IdentityProvider.objects.filter(organisation=acme).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "issuer", ["http://169.254.169.254", "https://10.1.2.3", "ftp://x.example"]
)
def test_a_private_or_plain_http_issuer_is_refused(
    client: Client, brand_admin: User, acme: Organisation, issuer: str, settings: Any
) -> None:
    settings.HUB_SSO_ALLOW_LOOPBACK = False
    client.force_login(brand_admin)
    html = client.post(
        "/hub/organisation/sign-in/",
        {"kind": "oidc", "issuer": issuer, "client_id": "c", "client_secret": "s"},
    ).content.decode()
    assert "There is a problem" in html
    assert not IdentityProvider.objects.filter(organisation=acme).exists()


@pytest.mark.django_db
def test_the_google_preset_uses_googles_issuer_whatever_is_typed(
    brand_admin: User, acme: Organisation, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []

    def confirm(issuer: str) -> str:
        asked.append(issuer)
        return issuer

    monkeypatch.setattr("hub.accounts.sso.issuer_confirm", confirm)
    provider = services.identity_provider_save(
        organisation=acme,
        kind=IdentityProviderKind.GOOGLE,
        issuer="https://typed.example",
        client_id="123.apps.googleusercontent.com",
        client_secret="s",
        is_enabled=True,
        by=brand_admin,
    )
    assert asked == ["https://accounts.google.com"]
    assert provider.issuer == "https://accounts.google.com"


@pytest.mark.django_db
def test_the_sso_form_asks_for_what_is_missing(client: Client, brand_admin: User) -> None:
    client.force_login(brand_admin)
    html = client.post("/hub/organisation/sign-in/", {"kind": "okta"}).content.decode()
    assert "Enter the issuer URL of your provider" in html
    assert "Enter the client ID" in html and "Enter the client secret" in html
