"""The assistant never answers from a half-built index: while the knowledge base is being
indexed it says it is getting ready and offers Contact support, in the reader's language."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from chatbot.models import Passage, Turn
from chatbot.services import knowledge_index_now, knowledge_load, synonyms_ensure_defaults
from hub.accounts.models import User
from routing.models import ProductArea
from tests.chatbot.conftest import FIXTURE_ROOT

HTMX = {"HTTP_HX_REQUEST": "true"}
GETTING_READY = {
    "en": "The assistant is getting ready",
    "it": "L’assistente si sta preparando",
    "fr": "L’assistant se prépare",
}
CONTACT = {"en": "Contact support", "it": "Contatta l’assistenza", "fr": "Contacter l’assistance"}


@pytest.fixture
def unindexed_knowledge(product_areas: list[ProductArea]) -> None:
    """The articles are in the database, their indexing still queued (no passages yet)."""
    synonyms_ensure_defaults()
    knowledge_load(root=FIXTURE_ROOT)  # the on-commit tasks never run here
    assert not Passage.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "it", "fr"])
def test_while_indexing_the_assistant_says_it_is_getting_ready_and_offers_contact(
    client: Client, unindexed_knowledge: None, standard_user: User, language: str
) -> None:
    standard_user.preferred_language = language
    standard_user.save(update_fields=["preferred_language"])
    client.force_login(standard_user)
    page = client.post("/support/assistant/", {"question": "okta error after the redirect"})
    assert page.status_code == 200
    html = page.content.decode()
    assert GETTING_READY[language] in html
    assert CONTACT[language] in html and 'href="/hub/technical/areas/"' in html
    partial = client.post(
        "/support/assistant/", {"question": "okta error after the redirect"}, **HTMX
    ).content.decode()
    assert 'id="assistant-error" hx-swap-oob="true"' in partial
    assert GETTING_READY[language] in partial and CONTACT[language] in partial
    assert not Turn.objects.exists()


@pytest.mark.django_db
def test_once_indexing_is_done_the_same_question_is_answered(
    client: Client,
    unindexed_knowledge: None,
    standard_user: User,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    client.force_login(standard_user)
    client.post("/support/assistant/", {"question": "okta error after the redirect"})
    assert not Turn.objects.exists()
    assert knowledge_index_now() == 4
    response = client.post("/support/assistant/", {"question": "okta error after the redirect"})
    assert response.status_code == 302
    assert Turn.objects.get().answered


@pytest.mark.django_db
def test_indexing_tells_the_planner_how_many_passages_there_now_are(
    unindexed_knowledge: None,
) -> None:
    """Believing the passages table empty, PostgreSQL joined it by nested loops: after a
    bootstrap reading the passages for the assistant took minutes."""
    if connection.vendor != "postgresql":
        pytest.skip("the planner's statistics are PostgreSQL's")
    assert knowledge_index_now() == 4
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", ["chatbot_passage"])
        (counted,) = cursor.fetchone()
    assert counted == Passage.objects.count() > 0
