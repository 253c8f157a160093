"""How well the assistant finds the right article: the labelled questions of
chatbot/knowledge/questions, run through retrieval on the loaded knowledge base.

Used by ``python -m bench assistant`` (the figures) and by the tests (the floors). The
"relevant enough" threshold is tuned on one half of the questions (content.is_held_out is
False) and reported on the other.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from chatbot import content, retrieval
from chatbot.answers import Threshold
from chatbot.languages import question_language
from chatbot.models import Article


@dataclass(frozen=True)
class Outcome:
    question: content.LabelledQuestion
    ranked: tuple[str, ...]  # slugs, best first, in the question's language
    top: retrieval.ArticleHit | None
    # A question in another language than English: the English articles, which the
    # assistant falls back on when nothing in the question's language is relevant enough.
    english_ranked: tuple[str, ...] = ()
    english_top: retrieval.ArticleHit | None = None

    @property
    def rank(self) -> int | None:
        """The rank of the first article that answers it (1 is best), None if not found."""
        return _rank(self.ranked, self.question.articles)

    def answered(self, threshold: Threshold) -> tuple[bool, int | None]:
        """What the assistant does with it: whether it answers with confidence, and the
        rank of the right article among those it answers from."""
        if self.top is not None and threshold.passes(self.top):
            return True, self.rank
        if self.english_top is not None and threshold.passes(self.english_top):
            return True, _rank(self.english_ranked, self.question.articles)
        return False, None


def _rank(ranked: Sequence[str], right: Sequence[str]) -> int | None:
    for number, slug in enumerate(ranked, start=1):
        if slug in right:
            return number
    return None


@dataclass(frozen=True)
class Quality:
    count: int
    hit_at_1: float
    hit_at_3: float
    mrr: float

    def __str__(self) -> str:
        return (
            f"hit@1 {self.hit_at_1:.3f}  hit@3 {self.hit_at_3:.3f}  MRR {self.mrr:.3f}  "
            f"({self.count} questions)"
        )


def evaluate(
    questions: Iterable[content.LabelledQuestion], *, use_semantic: bool, limit: int = 10
) -> list[Outcome]:
    slugs = dict(Article.objects.values_list("id", "slug"))

    def ranked(hits: list[retrieval.ArticleHit]) -> tuple[str, ...]:
        return tuple(slugs[hit.article_id] for hit in hits if hit.article_id in slugs)

    outcomes = []
    for question in questions:
        hits = retrieval.search(
            question.question, language=question.language, use_semantic=use_semantic, limit=limit
        )
        english: list[retrieval.ArticleHit] = []
        if question.language != content.SOURCE_LANGUAGE:
            english = retrieval.search(
                question.question,
                language=content.SOURCE_LANGUAGE,
                use_semantic=use_semantic,
                limit=limit,
            )
        outcomes.append(
            Outcome(
                question=question,
                ranked=ranked(hits),
                top=hits[0] if hits else None,
                english_ranked=ranked(english),
                english_top=english[0] if english else None,
            )
        )
    return outcomes


def quality(outcomes: Sequence[Outcome]) -> Quality:
    answerable = [o for o in outcomes if o.question.answerable]
    if not answerable:
        return Quality(0, 0.0, 0.0, 0.0)
    ranks = [o.rank for o in answerable]
    return Quality(
        count=len(answerable),
        hit_at_1=sum(1 for r in ranks if r == 1) / len(ranks),
        hit_at_3=sum(1 for r in ranks if r is not None and r <= 3) / len(ranks),
        mrr=sum(1 / r for r in ranks if r is not None) / len(ranks),
    )


@dataclass(frozen=True)
class Decisions:
    """What the threshold makes of the questions: answers given, and whether they should be."""

    answerable: int
    answered_correctly: int  # confident, and the right article is among the first three
    answered_wrongly: int  # confident, the right article is not
    unanswerable: int
    confident_on_unanswerable: int

    @property
    def unanswerable_confident_rate(self) -> float:
        return self.confident_on_unanswerable / self.unanswerable if self.unanswerable else 0.0

    @property
    def answerable_answered_rate(self) -> float:
        return self.answered_correctly / self.answerable if self.answerable else 0.0

    @property
    def balanced_accuracy(self) -> float:
        return (self.answerable_answered_rate + (1 - self.unanswerable_confident_rate)) / 2


def decisions(outcomes: Sequence[Outcome], threshold: Threshold) -> Decisions:
    answerable = [o.answered(threshold) for o in outcomes if o.question.answerable]
    unanswerable = [o.answered(threshold) for o in outcomes if not o.question.answerable]
    correct = sum(1 for confident, rank in answerable if confident and rank and rank <= 3)
    return Decisions(
        answerable=len(answerable),
        answered_correctly=correct,
        answered_wrongly=sum(1 for confident, _ in answerable if confident) - correct,
        unanswerable=len(unanswerable),
        confident_on_unanswerable=sum(1 for confident, _ in unanswerable if confident),
    )


COVERAGE_GRID = [round(0.30 + 0.025 * n, 3) for n in range(25)]  # 0.30 .. 0.90
COVERAGE_GRID_WIDE = [round(0.15 + 0.025 * n, 3) for n in range(31)]  # 0.15 .. 0.90
SIMILARITY_GRID = [round(0.20 + 0.0125 * n, 4) for n in range(41)]  # 0.20 .. 0.70
# An unanswerable question answered with confidence costs more than an answerable one left
# to a human: a wrong answer misleads, "I don't know" offers contact.
UNANSWERABLE_WEIGHT = 1.5


def tune(
    outcomes: Sequence[Outcome], *, use_semantic: bool, base: Threshold | None = None
) -> Threshold:
    """The threshold that decides the tuning questions best (ties: the stricter). Words
    only, it sets ``coverage``; with semantic similarity, ``similarity`` and
    ``supported_coverage`` (the other values are kept from ``base``)."""
    base = base or Threshold.from_settings()
    best: tuple[float, float, float] | None = None
    chosen = base
    similarities = SIMILARITY_GRID if use_semantic else [base.similarity]
    for coverage, similarity in itertools.product(COVERAGE_GRID, similarities):
        if use_semantic:
            threshold = Threshold(
                coverage=base.coverage, similarity=similarity, supported_coverage=coverage
            )
        else:
            threshold = Threshold(
                coverage=coverage,
                similarity=base.similarity,
                supported_coverage=base.supported_coverage,
            )
        result = decisions(outcomes, threshold)
        score = result.answerable_answered_rate + UNANSWERABLE_WEIGHT * (
            1 - result.unanswerable_confident_rate
        )
        key = (score, coverage, similarity)
        if best is None or key > best:
            best, chosen = key, threshold
    return chosen


def tune_coverage_by_language(
    outcomes: Sequence[Outcome], *, base: Threshold | None = None
) -> Threshold:
    """``base`` with each language but English given the words-only coverage that decides
    that language's tuning questions best (ties: the stricter)."""
    base = base or Threshold.from_settings()
    tuned = dict(base.coverage_by_language)
    for language, grouped in by_language(outcomes).items():
        if language == content.SOURCE_LANGUAGE or not grouped:
            continue
        best: tuple[float, float] | None = None
        for coverage in COVERAGE_GRID_WIDE:
            trial = {**tuned, language: coverage}
            threshold = dataclasses.replace(base, coverage_by_language=tuple(sorted(trial.items())))
            result = decisions(grouped, threshold)
            score = result.answerable_answered_rate + UNANSWERABLE_WEIGHT * (
                1 - result.unanswerable_confident_rate
            )
            if best is None or (score, coverage) > best:
                best = (score, coverage)
        assert best is not None
        tuned[language] = best[1]
    return dataclasses.replace(base, coverage_by_language=tuple(sorted(tuned.items())))


def split(
    questions: Sequence[content.LabelledQuestion],
) -> tuple[list[content.LabelledQuestion], list[content.LabelledQuestion]]:
    """(tuning half, held-out half)."""
    return (
        [q for q in questions if not content.is_held_out(q)],
        [q for q in questions if content.is_held_out(q)],
    )


def by_language(outcomes: Iterable[Outcome]) -> dict[str, list[Outcome]]:
    """The outcomes of each knowledge-base language's questions, in content.LANGUAGES order."""
    grouped: dict[str, list[Outcome]] = {language: [] for language in content.LANGUAGES}
    for outcome in outcomes:
        grouped.setdefault(outcome.question.language, []).append(outcome)
    return grouped


def detected_share(questions: Sequence[content.LabelledQuestion]) -> float:
    """How many of the questions the assistant reads in their own language, asked from an
    interface in English (the hardest case: nothing but the question tells)."""
    if not questions:
        return 0.0
    right = sum(
        1 for q in questions if question_language(q.question, reader_language="en") == q.language
    )
    return right / len(questions)
