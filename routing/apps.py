from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RoutingConfig(AppConfig):
    name = "routing"
    verbose_name = _("Routing")

    def ready(self) -> None:
        # The configuration imports the models, which may only be imported once apps are ready.
        from routing import configuration  # noqa: PLC0415

        configuration.connect_signals()
