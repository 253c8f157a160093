from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FlowConfig(AppConfig):
    """The top floor: the contact flow, which composes every other app. It has no models;
    it is an app for its management commands (``bootstrap``, ``seed_demo``)."""

    name = "hub.flow"
    label = "flow"
    verbose_name = _("Contact flow")
