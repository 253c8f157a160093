"""What happens around signing in, whichever way the user signed in (password, SSO, FedRAMP)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest

from hub.accounts.middleware import account_language_activate
from hub.accounts.models import User
from hub.accounts.services import user_language_set


@receiver(user_logged_in, dispatch_uid="hub.accounts.keep_language_chosen_before_sign_in")
def keep_language_chosen_before_sign_in(
    sender: type[User], request: HttpRequest | None, user: User, **kwargs: Any
) -> None:
    """A language picked on the sign-in page is the customer's choice: the account keeps it,
    so that the emails we send later (written from the account) are in it too. Without one,
    the account's language takes over at once, as it will on every later page: what signing
    in says ("Successfully signed in") is in the language of the page that shows it."""
    if request is None:
        return
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    user_language_set(user=user, language=chosen)
    account_language_activate(request, user)
