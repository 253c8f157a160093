from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChatbotConfig(AppConfig):
    name = "chatbot"
    verbose_name = _("Assistant and knowledge base")

    def ready(self) -> None:
        # The listings import the models, which may only be imported once apps are ready.
        from chatbot import listings  # noqa: PLC0415

        listings.connect_signals()
