from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    """The ground floor: organisations, users, roles, seats and sign-in.

    Its label stays "hub", so ``AUTH_USER_MODEL = "hub.User"``, the tables, the content types
    and the migration history are those the app had before it moved into ``hub/accounts/``.
    """

    name = "hub.accounts"
    label = "hub"
    verbose_name = _("Organisations and accounts")

    def ready(self) -> None:
        # Connects the sign-in receivers, and those that keep user copies honest.
        from hub.accounts import signals, user_copies  # noqa: F401, PLC0415

        user_copies.connect_signals()
