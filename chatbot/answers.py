"""From retrieved passages to the assistant's answer (R-BOT): the best passage(s) in a short
readable form, each with its article; or "I don't know" when nothing is relevant enough.
The question's language is searched first; when nothing there is relevant enough, the
English articles are, and the answer's sources say that they are in English.

With ASSISTANT_LLM_URL set, a language model may phrase the answer from those passages
(chatbot.llm); on any failure the quoted passages are the answer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings

from chatbot import content, llm, markdown, retrieval
from chatbot.models import Article, Passage

# A second article is quoted too when it is relevant on its own and about as close to the
# question as the first (reciprocal ranks are too compressed to compare for that).
SECOND_SOURCE_SIMILARITY_GAP = 0.03
SECOND_SOURCE_COVERAGE_GAP = 0.05
FIRST_EXCERPT_WORDS = 90
SECOND_EXCERPT_WORDS = 60


# Words only, each language's share of the question's words the best passage must match,
# tuned per language on the tuning half of its questions (python -m bench assistant prints
# the tuned values; English words-only uses settings.ASSISTANT_MIN_COVERAGE). Japanese is
# matched on pairs of characters, of which a question shares fewer with the answer.
COVERAGE_BY_LANGUAGE: dict[str, float] = {
    "de": 0.275,
    "es": 0.375,
    "fr": 0.4,
    "it": 0.425,
    "ja": 0.325,
    "nl": 0.45,
    "pt": 0.325,
}


@dataclass(frozen=True)
class Threshold:
    """Relevant enough (tuned by chatbot.evaluation on half of the labelled questions).

    Words only: the best passage matches at least ``coverage`` of the question's rarity
    mass (``coverage_by_language`` for a language of its own). With semantic similarity: its
    cosine reaches ``similarity``, or it reaches half of that and the passage matches at
    least ``supported_coverage`` of the words."""

    coverage: float
    similarity: float
    supported_coverage: float
    coverage_by_language: tuple[tuple[str, float], ...] = ()

    @classmethod
    def from_settings(cls) -> Threshold:
        return cls(
            coverage=float(settings.ASSISTANT_MIN_COVERAGE),
            similarity=float(settings.ASSISTANT_MIN_SIMILARITY),
            supported_coverage=float(settings.ASSISTANT_MIN_SUPPORTED_COVERAGE),
            coverage_by_language=tuple(sorted(COVERAGE_BY_LANGUAGE.items())),
        )

    def coverage_for(self, language: str) -> float:
        return dict(self.coverage_by_language).get(language, self.coverage)

    def passes(self, hit: retrieval.ArticleHit) -> bool:
        if hit.similarity is not None:
            return hit.similarity >= self.similarity or (
                hit.coverage >= self.supported_coverage and hit.similarity >= self.similarity / 2
            )
        return hit.coverage >= self.coverage_for(hit.language)


def confidence(hit: retrieval.ArticleHit) -> float:
    """The figure the threshold is read against, as stored on the turn."""
    return hit.similarity if hit.similarity is not None else hit.coverage


@dataclass(frozen=True)
class Source:
    article_id: int
    slug: str
    title: str
    heading: str
    anchor: str
    language: str
    excerpt: str  # Markdown

    def as_json(self) -> dict[str, str]:
        return {
            "slug": self.slug,
            "title": self.title,
            "heading": self.heading,
            "anchor": self.anchor,
            "language": self.language,
            "excerpt": self.excerpt,
        }


@dataclass(frozen=True)
class Reply:
    answered: bool
    markdown: str
    sources: list[Source]
    score: float
    phrased_by: str = ""
    # The language of the articles quoted: the question's, or English when nothing in the
    # question's language was relevant enough and an English article was.
    language: str = content.SOURCE_LANGUAGE


def _close_second(
    first: retrieval.ArticleHit, second: retrieval.ArticleHit, threshold: Threshold
) -> bool:
    if not threshold.passes(second):
        return False
    if first.similarity is not None and second.similarity is not None:
        return second.similarity >= first.similarity - SECOND_SOURCE_SIMILARITY_GAP
    return second.coverage >= first.coverage - SECOND_SOURCE_COVERAGE_GAP


INTRO_WORDS = 35


def _quoted(
    hit: retrieval.ArticleHit, passages: dict[int, Passage], budget: int
) -> tuple[Passage, str] | None:
    """The passage to cite and the Markdown to quote: the article's best passage; when that
    is the intro and a section comes next, the start of the intro and then that section
    (intros say what a feature is, sections say what to do)."""
    ranked = [passages[pk] for pk in hit.passage_ids[:2] if pk in passages]
    if not ranked:
        return None
    if len(ranked) == 2 and ranked[0].position == 0:
        intro, _cut = markdown.excerpt(ranked[0].text, max_words=INTRO_WORDS)
        used = markdown.word_count(intro) if intro else 0
        section, _cut = markdown.excerpt(ranked[1].text, max_words=max(budget - used, 30))
        return ranked[1], "\n\n".join(part for part in (intro, section) if part)
    text, _cut = markdown.excerpt(ranked[0].text, max_words=budget)
    return ranked[0], text


def readable_hits(
    hits: list[retrieval.ArticleHit], may_read: Callable[[Article], bool] | None = None
) -> list[retrieval.ArticleHit]:
    """Only articles that exist now, are published, and this reader may read."""
    readable = Article.objects.readable().filter(pk__in=[hit.article_id for hit in hits])
    articles = {article.pk: article for article in readable}
    return [
        hit
        for hit in hits
        if hit.article_id in articles and (may_read is None or may_read(articles[hit.article_id]))
    ]


def answer_question(
    question: str,
    *,
    language: str,
    area_id: int | None = None,
    may_read: Callable[[Article], bool] | None = None,
    threshold: Threshold | None = None,
    use_semantic: bool | None = None,
) -> Reply:
    threshold = threshold or Threshold.from_settings()

    def found_in(searched: str) -> list[retrieval.ArticleHit]:
        retrieved = retrieval.search(
            question, language=searched, area_id=area_id, use_semantic=use_semantic, limit=5
        )
        return readable_hits(retrieved, may_read)

    hits = found_in(language)
    answered_in = language
    if language != content.SOURCE_LANGUAGE and not (hits and threshold.passes(hits[0])):
        # Articles are written in English first: one may not be translated yet, or its
        # translation may use other words than the question.
        english = found_in(content.SOURCE_LANGUAGE)
        if english and threshold.passes(english[0]):
            hits, answered_in = english, content.SOURCE_LANGUAGE
    if not hits or not threshold.passes(hits[0]):
        return Reply(
            answered=False, markdown="", sources=[], score=confidence(hits[0]) if hits else 0.0
        )
    chosen = [hits[0]] + [hit for hit in hits[1:2] if _close_second(hits[0], hit, threshold)]
    candidates = {
        p.pk: p
        for p in Passage.objects.select_related("article").filter(
            pk__in=[pk for hit in chosen for pk in hit.passage_ids[:2]]
        )
    }
    sources = []
    for number, hit in enumerate(chosen):
        budget = FIRST_EXCERPT_WORDS if number == 0 else SECOND_EXCERPT_WORDS
        found = _quoted(hit, candidates, budget)
        if found is None:
            continue
        passage, text = found
        sources.append(
            Source(
                article_id=passage.article_id,
                slug=passage.article.slug,
                title=passage.title,
                heading=passage.heading,
                anchor=passage.anchor,
                language=passage.language,
                excerpt=text,
            )
        )
    if not sources:
        return Reply(answered=False, markdown="", sources=[], score=confidence(hits[0]))
    quoted = "\n\n".join(source.excerpt for source in sources)
    phrased = llm.phrase(question, [source.excerpt for source in sources], language=language)
    return Reply(
        answered=True,
        markdown=phrased.text if phrased else quoted,
        sources=sources,
        score=confidence(hits[0]),
        phrased_by=phrased.model if phrased else "",
        language=answered_in,
    )
