from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = _("Tickets")

    def ready(self) -> None:
        from hub.accounts.outbox import outbox_purposes_name  # noqa: PLC0415
        from tickets.emails import OUTBOX_PURPOSES  # noqa: PLC0415

        outbox_purposes_name(OUTBOX_PURPOSES)
