"""Sign-in, invitations and the brand administrator's pages."""

from __future__ import annotations

from django.urls import include, path

from hub.accounts import views
from hub.accounts.models import Environment

organisation_patterns = (
    [
        path("members/", views.members, name="members"),
        path("members/invite/", views.member_invite, name="invite"),
        path("members/<int:membership_id>/roles/", views.member_roles, name="member_roles"),
        path(
            "invitations/<int:invitation_id>/cancel/",
            views.invitation_cancel,
            name="invitation_cancel",
        ),
        path("seats/", views.seats, name="seats"),
        path("seats/assign/", views.seat_assign, name="seat_assign"),
        path("seats/<int:seat_id>/release/", views.seat_release, name="seat_release"),
        path("sign-in/", views.organisation_sign_in, name="sign_in"),
    ],
    "organisation",
)

# Listed before allauth's own URLs, so that these answer for the paths they share.
urlpatterns = [
    path(
        "accounts/login/",
        views.login_identify,
        {"environment": Environment.COMMERCIAL},
        name="account_login",
    ),
    path(
        "accounts/login/password/",
        views.login_password,
        {"environment": Environment.COMMERCIAL},
        name="account_login_password",
    ),
    path("accounts/sso/<slug:slug>/start/", views.sso_start, name="sso_start"),
    path("accounts/sso/<slug:slug>/callback/", views.sso_callback, name="sso_callback"),
    path("accounts/sessions/", views.sessions, name="account_sessions"),
    path("accounts/profile/", views.profile, name="account_profile"),
    path("accounts/email/", views.email_management_not_offered, name="account_email"),
    path(
        "fedramp/login/",
        views.login_identify,
        {"environment": Environment.FEDRAMP},
        name="fedramp_login",
    ),
    path(
        "fedramp/login/password/",
        views.login_password,
        {"environment": Environment.FEDRAMP},
        name="fedramp_login_password",
    ),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("hub/organisation/", include(organisation_patterns)),
]
