from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from hub.accounts.models import Environment, User
from hub.accounts.outbox import outbound_email_queue
from hub.accounts.selectors import SESSION_ENVIRONMENT_KEY, identity_provider_of_user
from hub.accounts.services import sessions_end_others
from hub.accounts.user_copies import user_read

# The session key that records which environment the user signed in to (R-ENV).


class EmailOrUsernameBackend(ModelBackend):
    """Sign in by email address (any case) or username, with exactly one password hash.

    An unknown account, an inactive one and one without a usable password all cost the same
    single hash as a wrong password (Django's check_password and set_password both run the
    hasher once), so neither the time nor the answer tells whether an account exists.
    """

    def authenticate(  # type: ignore[override]
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        email: str | None = None,
        **kwargs: Any,
    ) -> AbstractBaseUser | None:
        login = (email or username or "").strip()
        if not login or password is None:
            return None
        user = self._find(login)
        if user is None:
            get_user_model()().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    def get_user(self, user_id: Any) -> User | None:
        # Every signed-in request asks: a copy on Redis spares the database (user_copies).
        user = user_read(user_id, super().get_user)
        return user if user is not None and self.user_can_authenticate(user) else None

    @staticmethod
    def _find(login: str) -> User | None:
        if "@" in login:
            by_email = User.objects.filter(email__iexact=login).first()
            if by_email is not None:
                return by_email
        return User.objects.filter(username=login).first()


class InvitationOnlyAccountAdapter(DefaultAccountAdapter):  # type: ignore[misc]
    """Members join by invitation or are added by staff; nobody signs themselves up."""

    # One answer for a wrong password, an unknown email and an unknown username alike.
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "email_password_mismatch": _("Enter a correct email address or username and password"),
        "username_password_mismatch": _("Enter a correct email address or username and password"),
        "too_many_login_attempts": _(
            "Too many failed attempts to sign in from here. Wait 5 minutes and try again, or "
            "reset your password."
        ),
    }

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def _get_login_attempts_cache_key(self, request: HttpRequest, **credentials: Any) -> str:
        # allauth keys failed sign-ins on the account alone, so a stranger's five wrong
        # passwords would lock the real user out everywhere. Keyed on account *and* address,
        # the stranger slows only themselves (the per-address limit still applies to all).
        login = str(credentials.get("email") or credentials.get("username") or "").lower()
        return f"{login}:{self.get_client_ip(context.request or request)}"

    def get_client_ip(self, request: HttpRequest) -> str:
        try:
            return str(super().get_client_ip(request))
        except PermissionDenied:
            # Only a request that no server received has no address: the test client's
            # force_login, a management command. Real requests always carry REMOTE_ADDR.
            return "0.0.0.0"  # noqa: S104

    def login(self, request: HttpRequest, user: AbstractBaseUser) -> None:
        super().login(request, user)
        # Record the environment of the organisation (never of the page used): later steps
        # rely on it to keep FedRAMP users away from the assistant (R-BOT-OFF).
        membership = getattr(user, "membership", None)
        request.session[SESSION_ENVIRONMENT_KEY] = (
            membership.organisation.environment if membership else Environment.COMMERCIAL
        )

    def set_password(self, user: AbstractBaseUser, password: str) -> None:
        """Change, set or reset a password, and end every other session of the user."""
        super().set_password(user, password)
        request = context.request
        keep = request.session.session_key if request and request.user == user else None
        sessions_end_others(user=user, keep_session_key=keep)  # type: ignore[arg-type]

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        # Rendered here (links need the request), kept in the outbox and sent by a task, so
        # that a slow or failing mail server never shows in the answer (no enumeration).
        outbound_email_queue(
            self.render_mail(template_prefix, email, context),
            purpose=template_prefix.rsplit("/", 1)[-1][:40],
        )

    def format_email_subject(self, subject: str) -> str:
        return str(subject)

    def send_password_reset_mail(
        self, user: AbstractBaseUser, email: str, context: dict[str, Any]
    ) -> None:
        # In the account's language, whatever the language of the page that asked for it.
        language = getattr(user, "preferred_language", "") or translation.get_language()
        with translation.override(language):
            self._send_password_reset_mail(user, email, context)

    def _send_password_reset_mail(
        self, user: AbstractBaseUser, email: str, context: dict[str, Any]
    ) -> None:
        provider = identity_provider_of_user(user)  # type: ignore[arg-type]
        if provider is not None:
            # Their organisation signs in with SSO: there is no password of ours to reset.
            entrance = "fedramp_login" if provider.organisation.is_fedramp else "account_login"
            context = {
                **context,
                "organisation": provider.organisation,
                "login_url": self.request.build_absolute_uri(reverse(entrance)),
            }
            self.send_mail("account/email/password_reset_sso", email, context)
            return
        super().send_password_reset_mail(user, email, context)
