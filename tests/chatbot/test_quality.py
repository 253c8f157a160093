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

# Measured on the old sets' English held-out half with the content of 2026-12-03, which has
# the blind set's gap articles beside the old ones (python -m bench assistant):
#   PostgreSQL, words only      hit@1 0.835  hit@3 0.978  MRR 0.897
#   PostgreSQL, words + meaning hit@1 0.868  hit@3 0.967  MRR 0.919
#   SQLite, words only          hit@1 0.846  hit@3 0.956  MRR 0.904
#   SQLite, words + meaning     hit@1 0.868  hit@3 0.967  MRR 0.921
FLOORS = {
    ("postgresql", False): {"hit_at_1": 0.80, "hit_at_3": 0.95, "mrr": 0.87},
    ("postgresql", True): {"hit_at_1": 0.84, "hit_at_3": 0.95, "mrr": 0.89},
    ("sqlite", False): {"hit_at_1": 0.81, "hit_at_3": 0.94, "mrr": 0.88},
    ("sqlite", True): {"hit_at_1": 0.84, "hit_at_3": 0.94, "mrr": 0.89},
}
# With the bars in settings, in English: none of the 7 held-out unanswerable questions is
# answered with confidence (the rule of before answered 1), and 67.0 % of the answerable
# ones are answered from the right article (62.6 % before an article's lead in meaning over
# the closest others counted); most of the others are given as "these articles might help"
# with Contact support.
MAX_UNANSWERABLE_CONFIDENT = 0.10
MIN_ANSWERABLE_ANSWERED = 0.64


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


def _old(outcomes: list[evaluation.Outcome]) -> list[evaluation.Outcome]:
    """The sets written with the articles in view (the floors above were set on them)."""
    return evaluation.by_set(outcomes)["old"]


def _blind(outcomes: list[evaluation.Outcome]) -> list[evaluation.Outcome]:
    return evaluation.by_set(outcomes)[evaluation.BLIND_SET]


def _held_out_english(outcomes: list[evaluation.Outcome]) -> list[evaluation.Outcome]:
    """The floors below were set on the English questions, the only language the meaning
    model reads; the other languages have floors of their own (at the end)."""
    return [o for o in _held_out(_old(outcomes)) if o.question.language == content.SOURCE_LANGUAGE]


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
    assert both.hit_at_1 >= words.hit_at_1, (both, words)
    # Questions written without the articles in view share fewer of their words: there
    # meaning adds most (measured: MRR 0.919 words only, 0.951 with meaning).
    blind_words = evaluation.quality(_held_out(_blind(outcomes[False])))
    blind_both = evaluation.quality(_held_out(_blind(outcomes[True])))
    if connection.vendor == "postgresql":
        assert blind_both.mrr >= blind_words.mrr + 0.01, (blind_both, blind_words)
        assert blind_both.hit_at_3 >= blind_words.hit_at_3, (blind_both, blind_words)


@pytest.mark.django_db
def test_the_bars_in_settings_rarely_answer_what_they_cannot(
    outcomes: dict[bool, list[evaluation.Outcome]],
) -> None:
    result = evaluation.decisions(_held_out_english(outcomes[True]), Threshold.from_settings())
    assert result.unanswerable >= 5
    assert result.unanswerable_confident_rate <= MAX_UNANSWERABLE_CONFIDENT, result
    assert result.answerable_answered_rate >= MIN_ANSWERABLE_ANSWERED, result


@pytest.mark.django_db
def test_tuning_on_one_half_picks_bars_that_hold_on_the_other(
    outcomes: dict[bool, list[evaluation.Outcome]],
) -> None:
    tuned = evaluation.tune(evaluation.tuning(outcomes[True]), use_semantic=True)
    held = evaluation.decisions(_held_out(outcomes[True]), tuned)
    assert held.balanced_accuracy >= 0.7, held


# The blind set: questions written from the product areas' descriptions, without the
# articles in view, then labelled with the article and section that answer them. On its
# held-out half, with the bars in settings, measured with the content of 2026-12-04
# (PostgreSQL; SQLite, whose BM25 ranks words a little differently: hit@3 0.957, section
# hit@1 0.731): hit@3 0.989, section hit@1 0.763 (71 of 93; 0.699 before each heading was
# compared by meaning and the section weights were fitted, 0.656 before a question telling of
# a problem preferred the troubleshooting section), 81.7 % answered from the right article,
# and none of the 17 unanswerable answered with confidence. Before, 4 of 20 were: three were
# content gaps, since answered by the articles written for them (the hub account and its
# language, a tracker's dashboard by category, a screen reader reading a question twice),
# and "how do I create a form in Google Forms" is now recognised as about another vendor's
# product. On PostgreSQL, which the service runs on, the floor for section hit@1 is the
# target, 0.75: two questions lost fail it.
BLIND_MIN_HIT_AT_3 = 0.92  # on the questions an article covers
BLIND_MIN_SECTION_HIT_AT_1 = {"postgresql": 0.75, "sqlite": 0.72}
BLIND_MAX_UNANSWERABLE_CONFIDENT = 0.05
BLIND_MIN_ANSWERED = 0.78
BLIND_MAX_OFF_TOPIC_CONFIDENT = 1  # of 35; measured: 1 (SSO in Slack, another vendor's)


@pytest.mark.django_db
def test_the_blind_questions_find_their_article_and_section(
    outcomes: dict[bool, list[evaluation.Outcome]],
) -> None:
    held = _held_out(_blind(outcomes[True]))
    quality = evaluation.quality(held)
    assert quality.count >= 60, quality
    assert quality.hit_at_3 >= BLIND_MIN_HIT_AT_3, quality
    assert quality.section_count >= 50, quality
    assert quality.section_hit_at_1 >= BLIND_MIN_SECTION_HIT_AT_1[connection.vendor], quality


# The writers' sets were labelled with their sections afterwards, by people reading only
# the question and its article (2026-12-04). On their held-out half (English, Italian and
# French), with meaning, the quoted section is the labelled one for 0.673 (76 of 113; 0.655
# before the headings' meaning and the fitted section weights, 0.637 before the wider lists
# of a problem's words and troubleshooting headings, and before every section found had its
# own cosine).
OLD_MIN_SECTION_HIT_AT_1 = 0.65


@pytest.mark.django_db
def test_the_old_questions_quote_their_labelled_section(
    outcomes: dict[bool, list[evaluation.Outcome]],
) -> None:
    quality = evaluation.quality(_held_out(_old(outcomes[True])))
    assert quality.section_count >= 100, quality
    assert quality.section_hit_at_1 >= OLD_MIN_SECTION_HIT_AT_1, quality


@pytest.mark.django_db
def test_the_blind_questions_no_article_answers_rarely_get_a_confident_answer(
    outcomes: dict[bool, list[evaluation.Outcome]],
) -> None:
    held = _held_out(_blind(outcomes[True]))
    result = evaluation.decisions(held, Threshold.from_settings())
    assert result.unanswerable >= 15, result
    assert result.unanswerable_confident_rate <= BLIND_MAX_UNANSWERABLE_CONFIDENT, result
    assert result.answerable_answered_rate >= BLIND_MIN_ANSWERED, result


@pytest.mark.django_db
def test_every_off_topic_question_of_the_blind_set_is_recognised_or_declined(
    outcomes: dict[bool, list[evaluation.Outcome]],
) -> None:
    off_topic = [o for o in _blind(outcomes[True]) if o.question.off_topic]
    assert len(off_topic) >= 30
    confident = [o.question.question for o in off_topic if o.answered(Threshold.from_settings())[0]]
    assert len(confident) <= BLIND_MAX_OFF_TOPIC_CONFIDENT, confident


# Per language, on the held-out half: a customer asking in any of the eight support languages
# finds the right article among the first three, and rarely gets an answer to a question the
# knowledge base cannot answer (the question's language searched, English as its fallback).
# Measured on the held-out half with the content of 2026-12-04 (PostgreSQL), confident on
# the unanswerable questions: en 0/24 (the blind set's 17 with the old sets' 7), es 0/6,
# pt 0/3, de 0/5, fr 0/7, it 0/9, nl 0/5, ja 0/4. German and Dutch had one each before,
# "delete my account in the Customer Success Hub for good": a content gap, now answered by
# the article on the hub account.
PER_LANGUAGE_MIN_HIT_AT_3 = 0.90
PER_LANGUAGE_MAX_UNANSWERABLE_CONFIDENT = 0.10
# The share of held-out answerable questions answered with confidence (measured before the
# lead in meaning counted: en 0.75, es 0.56, pt 0.60, de 0.58, fr 0.63, it 0.73, nl 0.43,
# ja 0.70; answered from the right article now: en 0.75, es 0.60, pt 0.50, de 0.74,
# fr 0.73, it 0.73, nl 0.62, ja 0.57); the others get "these articles might help" or
# "I don't know", with Contact support.
PER_LANGUAGE_MIN_ANSWERED = {"nl": 0.55}
PER_LANGUAGE_MIN_ANSWERED_DEFAULT = 0.50


@pytest.mark.django_db
@pytest.mark.parametrize("language", content.LANGUAGES)
def test_every_language_finds_the_right_article_and_rarely_answers_what_it_cannot(
    outcomes: dict[bool, list[evaluation.Outcome]], language: str
) -> None:
    held = [o for o in _held_out(outcomes[True]) if o.question.language == language]
    quality = evaluation.quality([o for o in held if o.question.question_set != "blind"])
    assert quality.count >= 12, quality
    assert quality.hit_at_3 >= PER_LANGUAGE_MIN_HIT_AT_3, quality
    result = evaluation.decisions(held, Threshold.from_settings())
    assert result.unanswerable >= 3, result
    assert result.unanswerable_confident_rate <= PER_LANGUAGE_MAX_UNANSWERABLE_CONFIDENT, result


@pytest.mark.django_db
def test_every_language_knows_the_troubleshooting_sections_english_has(
    real_knowledge: None,
) -> None:
    english = len(retrieval.troubleshooting_passages(content.SOURCE_LANGUAGE))
    assert english >= 70
    for language in content.LANGUAGES:
        assert len(retrieval.troubleshooting_passages(language)) == english, language


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
    share = PER_LANGUAGE_MIN_ANSWERED.get(language, PER_LANGUAGE_MIN_ANSWERED_DEFAULT)
    assert len(answered) >= share * len(asked), (language, len(answered), len(asked))
    # Every article exists in every language: nothing falls back to English.
    for reply in answered:
        assert reply.language == language
        assert {source.language for source in reply.sources} == {language}
