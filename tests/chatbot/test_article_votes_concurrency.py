"""Two answers from one reader sent at the same moment (a double click, two tabs) end as
one vote: the row lock, or for the very first vote the unique constraint, turns the later
one into a change of the first. Two threads, each with its own PostgreSQL connection, meet
at a barrier just before the service's transaction."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections

from chatbot import selectors, services
from chatbot.models import Article, ArticleVote

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks need PostgreSQL"
)


@pytest.mark.django_db(transaction=True)
def test_two_first_answers_at_once_make_one_vote(
    fixture_knowledge: dict[str, Article], monkeypatch: pytest.MonkeyPatch
) -> None:
    article = fixture_knowledge["fixture-reminders"]
    visitor = selectors.visitor_hash("k" * 32)
    barrier = threading.Barrier(2, timeout=2)
    real_check: Callable[[str], str] = services.article_vote_missing_checked

    def check_when_both_are_here(missing: str) -> str:
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait()
        return real_check(missing)

    monkeypatch.setattr(services, "article_vote_missing_checked", check_when_both_are_here)
    failures: list[Any] = []

    def answer(missing: str) -> None:
        try:
            services.article_vote_set(
                article=article, answer="no", language="en", visitor_hash=visitor, missing=missing
            )
        except Exception as error:  # noqa: BLE001 - the test reports whatever went wrong
            failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=answer, args=(text,)) for text in ("first", "second")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert not failures
    [vote] = ArticleVote.objects.all()
    assert vote.answer == "no"
    assert vote.missing in {"first", "second"}
