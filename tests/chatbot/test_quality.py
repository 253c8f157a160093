"""Retrieval quality on the real knowledge base and the labelled questions: floors a little
below what `python -m bench assistant` measures, so that a regression fails here.

The threshold is the one in settings, tuned on the other half of the questions; the floors
are read on the held-out half only."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection

from chatbot import content, evaluation, retrieval
from chatbot.answers import Threshold, answer_question
from chatbot.models import Article, Synonym
from chatbot.services import article_version_index, knowledge_load, synonyms_ensure_defaults
from routing.services import product_areas_ensure_defaults

# Measured on the held-out half with the content of 2026-12-01 (bench/assistant.py):
#   PostgreSQL, words only      hit@1 0.841  hit@3 0.982  MRR 0.908
#   PostgreSQL, words + meaning hit@1 0.885  hit@3 0.991  MRR 0.934
#   SQLite (BM25), words only   hit@1 0.894  hit@3 0.973  MRR 0.934
#   SQLite, words + meaning     hit@1 0.876  hit@3 0.982  MRR 0.929
FLOORS = {
    ("postgresql", False): {"hit_at_1": 0.80, "hit_at_3": 0.95, "mrr": 0.87},
    ("postgresql", True): {"hit_at_1": 0.85, "hit_at_3": 0.96, "mrr": 0.90},
    ("sqlite", False): {"hit_at_1": 0.85, "hit_at_3": 0.94, "mrr": 0.90},
    ("sqlite", True): {"hit_at_1": 0.84, "hit_at_3": 0.95, "mrr": 0.89},
}
# Measured in English: 1 of the 7 held-out unanswerable questions answered with confidence
# (14 %), and 92.3 % of the answerable ones answered with the right article in the first three.
MAX_UNANSWERABLE_CONFIDENT = 0.23
MIN_ANSWERABLE_ANSWERED = 0.85


@pytest.fixture(scope="module")
def real_knowledge(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    """chatbot/knowledge loaded and indexed once for this module, removed afterwards."""
    with django_db_blocker.unblock():
        product_areas_ensure_defaults()
        synonyms_ensure_defaults()
        knowledge_load()
        for version_id in Article.objects.values_list("versions__pk", flat=True):
            if version_id is not None:
                article_version_index(version_id=version_id)
        retrieval.forget_snapshot()
    yield
    with django_db_blocker.unblock():
        Article.objects.all().delete()
        Synonym.objects.all().delete()
        retrieval.forget_snapshot()


@pytest.fixture(scope="module")
def outcomes(real_knowledge: None, django_db_blocker: Any) -> dict[bool, list[evaluation.Outcome]]:
    with django_db_blocker.unblock():
        questions = content.labelled_questions()
        return {
            semantic: evaluation.evaluate(questions, use_semantic=semantic)
            for semantic in (False, True)
        }


def _held_out(outcomes: list[evaluation.Outcome]) -> list[evaluation.Outcome]:
    return [o for o in outcomes if content.is_held_out(o.question)]


def _held_out_english(outcomes: list[evaluation.Outcome]) -> list[evaluation.Outcome]:
    """The floors below were set on the English questions, the only language the meaning
    model reads; the other languages have floors of their own (at the end)."""
    return [o for o in _held_out(outcomes) if o.question.language == content.SOURCE_LANGUAGE]


@pytest.mark.django_db
@pytest.mark.parametrize("semantic", [False, True], ids=["words", "words+meaning"])
def test_retrieval_finds_the_right_article_on_the_held_out_half(
    outcomes: dict[bool, list[evaluation.Outcome]], semantic: bool
) -> None:
    quality = evaluation.quality(_held_out_english(outcomes[semantic]))
    floor = FLOORS[(connection.vendor, semantic)]
    assert quality.count >= 60
    assert quality.hit_at_1 >= floor["hit_at_1"], quality
    assert quality.hit_at_3 >= floor["hit_at_3"], quality
    assert quality.mrr >= floor["mrr"], quality


@pytest.mark.django_db
def test_semantic_similarity_earns_its_place(
    outcomes: dict[bool, list[evaluation.Outcome]],
) -> None:
    words = evaluation.quality(_held_out_english(outcomes[False]))
    both = evaluation.quality(_held_out_english(outcomes[True]))
    assert both.hit_at_3 >= words.hit_at_3
    if connection.vendor == "postgresql":
        # Where the hub runs in production, meaning adds to PostgreSQL's ranking of words.
        # (SQLite's BM25 ranks about as well alone; there it is the "I don't know" that
        # semantic similarity improves, see the threshold test.)
        assert both.mrr >= words.mrr + 0.01, (both, words)
        assert both.hit_at_1 >= words.hit_at_1, (both, words)


@pytest.mark.django_db
def test_the_threshold_in_settings_rarely_answers_what_it_cannot(
    outcomes: dict[bool, list[evaluation.Outcome]],
) -> None:
    result = evaluation.decisions(_held_out_english(outcomes[True]), Threshold.from_settings())
    assert result.unanswerable >= 5
    assert result.unanswerable_confident_rate <= MAX_UNANSWERABLE_CONFIDENT, result
    assert result.answerable_answered_rate >= MIN_ANSWERABLE_ANSWERED, result


@pytest.mark.django_db
def test_tuning_on_one_half_picks_a_threshold_that_holds_on_the_other(
    outcomes: dict[bool, list[evaluation.Outcome]],
) -> None:
    tuning = [o for o in outcomes[True] if not content.is_held_out(o.question)]
    tuned = evaluation.tune(tuning, use_semantic=True)
    held = evaluation.decisions(_held_out(outcomes[True]), tuned)
    assert held.balanced_accuracy >= 0.7, held


# Per language, on the held-out half: a customer asking in any of the eight support languages
# finds the right article among the first three, and rarely gets an answer to a question the
# knowledge base cannot answer (the question's language searched, English as its fallback).
# Measured on the held-out half with the content of 2026-12-03 (PostgreSQL):
#   lang  hit@3  answered right  confident on unanswerable
#   en    0.989  0.92            1/7   ("can you reset my Spotify password")
#   es    0.960  0.76            0/6
#   pt    0.950  0.90            1/3
#   de    1.000  1.00            2/6
#   fr    0.967  0.87            1/7   (the weather "ce week-end" matches the hours article)
#   it    0.970  0.85            2/9
#   nl    0.905  0.52            1/6   (the articles' own compounds are not split)
#   ja    0.957  0.87            0/4
# The target for unanswerable questions is at most 10 % in every language; six languages
# are above it, all on short off-topic questions that share one word with an article. The
# ceilings below hold what is measured so that it gets no worse.
PER_LANGUAGE_MIN_HIT_AT_3 = 0.90
PER_LANGUAGE_MAX_UNANSWERABLE_CONFIDENT = {
    "en": 0.15,
    "es": 0.10,
    "pt": 0.34,
    "de": 0.34,
    "fr": 0.15,
    "it": 0.23,
    "nl": 0.17,
    "ja": 0.10,
}
PER_LANGUAGE_MIN_ANSWERED = {"nl": 0.45}  # else 0.7 of the held-out answerable questions


@pytest.mark.django_db
@pytest.mark.parametrize("language", content.LANGUAGES)
def test_every_language_finds_the_right_article_and_rarely_answers_what_it_cannot(
    outcomes: dict[bool, list[evaluation.Outcome]], language: str
) -> None:
    held = [o for o in _held_out(outcomes[True]) if o.question.language == language]
    quality = evaluation.quality(held)
    assert quality.count >= 12, quality
    assert quality.hit_at_3 >= PER_LANGUAGE_MIN_HIT_AT_3, quality
    result = evaluation.decisions(held, Threshold.from_settings())
    assert result.unanswerable >= 3, result
    ceiling = PER_LANGUAGE_MAX_UNANSWERABLE_CONFIDENT[language]
    assert result.unanswerable_confident_rate <= ceiling, result


@pytest.mark.django_db
def test_questions_are_read_in_their_own_language(
    outcomes: dict[bool, list[evaluation.Outcome]],
) -> None:
    for language, grouped in evaluation.by_language(outcomes[True]).items():
        questions = [o.question for o in grouped if len(o.question.question) >= 20]
        assert evaluation.detected_share(questions) >= 0.9, language


@pytest.mark.django_db
@pytest.mark.parametrize("language", content.LANGUAGES)
def test_answers_quote_the_article_in_the_questions_language(
    real_knowledge: None, language: str
) -> None:
    asked = [
        q
        for q in content.labelled_questions()
        if q.language == language and q.answerable and content.is_held_out(q)
    ]
    replies = [answer_question(q.question, language=language) for q in asked]
    answered = [reply for reply in replies if reply.answered]
    share = PER_LANGUAGE_MIN_ANSWERED.get(language, 0.7)
    assert len(answered) >= share * len(asked), (language, len(answered), len(asked))
    # Every article exists in every language: nothing falls back to English.
    for reply in answered:
        assert reply.language == language
        assert {source.language for source in reply.sources} == {language}
