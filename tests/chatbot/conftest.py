"""The knowledge bases the chatbot tests run on: four small articles of the tests' own
(tests/chatbot/fixtures/knowledge), or the real one of chatbot/knowledge."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache

from chatbot import retrieval
from chatbot.models import Article
from chatbot.services import knowledge_load, synonyms_ensure_defaults
from routing.models import ProductArea
from routing.services import product_areas_ensure_defaults

FIXTURE_ROOT = Path(__file__).resolve().parent / "fixtures" / "knowledge"


@pytest.fixture(autouse=True)
def _fresh_state() -> Iterator[None]:
    """Each test sees its own knowledge base and its own rate-limit counters."""
    retrieval.forget_snapshot()
    cache.clear()
    yield
    retrieval.forget_snapshot()
    cache.clear()


def load_knowledge(root: Path, capture: Callable[..., Any]) -> None:
    product_areas_ensure_defaults()
    synonyms_ensure_defaults()
    with capture(execute=True):
        knowledge_load(root=root)


@pytest.fixture
def fixture_knowledge(
    product_areas: list[ProductArea], django_capture_on_commit_callbacks: Callable[..., Any]
) -> dict[str, Article]:
    """The tests' four articles, indexed (the Celery task runs on commit, eagerly)."""
    load_knowledge(FIXTURE_ROOT, django_capture_on_commit_callbacks)
    return {article.slug: article for article in Article.objects.all()}
