"""The help articles' listings (/support/ and each area's page) are drawn once per process
and language, until an article or one of its versions changes (this module's token) or a
product area does (routing's configuration token).

Edits that send no signal (a database console) are seen within ``LISTING_SECONDS``.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save

from chatbot.models import Article, ArticleVersion
from hub.versions import SharedVersion, current_tokens
from routing import configuration

LISTING_SECONDS = 300
ARTICLES_VERSION = SharedVersion("chatbot:articles-version")


def listing_key(language: str) -> str:
    """Changes whenever what the listings show in this language may have."""
    areas, articles = current_tokens(configuration.VERSION, ARTICLES_VERSION)
    return f"{language}:{areas}:{articles}"


def _on_change(sender: Any, **kwargs: Any) -> None:
    ARTICLES_VERSION.changed()


def connect_signals() -> None:
    ARTICLES_VERSION.connect_request_signals()
    for model in (Article, ArticleVersion):
        post_save.connect(_on_change, sender=model, dispatch_uid=f"listings-save-{model.__name__}")
        post_delete.connect(
            _on_change, sender=model, dispatch_uid=f"listings-delete-{model.__name__}"
        )
