"""From retrieved passages to the assistant's answer (R-BOT).

One rule decides what is relevant enough, for every candidate article alike: its *support*
(``support``) reaches the bar. The assistant then quotes the section of the first such
article that answers, whole, and links up to two other articles that pass too. When some
articles were found but none passes, it says "these articles might help" and lists them as
links, not as the answer, beside Contact support. When nothing was found, or the question
is not about the product at all (chatbot.off_topic), it says it does not know.

The question's language is searched first; when nothing there passes, the English articles
are, and the answer's sources say that they are in English.

With ASSISTANT_LLM_URL set, a language model may phrase the answer from the quoted section
(chatbot.llm); on any failure the quote is the answer.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from django.conf import settings

from chatbot import content, embedding, llm, markdown, retrieval
from chatbot.models import Article, Passage
from chatbot.off_topic import off_topic_kind

# A quote is the whole section up to this many words; a list (the steps of a procedure) is
# kept whole up to the larger number, since half of the steps is worse than none.
QUOTE_WORDS = 220
QUOTE_LIST_WORDS = 400
RELATED_ARTICLES = 2
SUGGESTED_ARTICLES = 3
# Below the bar but at least this share of it: "these articles might help".
SUGGEST_SHARE = 0.6
CANDIDATES = 10
# How much the share of the question's words that no article has counts against an article
# (chosen on the tuning half: 0, 0.5, 1 and 1.5 were tried).
UNKNOWN_WORDS_WEIGHT = 0.5
# A question the articles answer is much closer in meaning to its article than to the next
# few; one they do not answer is about as close to many (a product question the articles do
# not cover is near every article of its area, a question about something else near none).
# So an article's lead in meaning over the mean of the RIVALS best others counts too, at this
# weight. Chosen on the tuning half (0, 0.5, 1, 1.5, 2 and 3 tried, the bars tuned again for
# each): at the same 5 % of unanswerable questions answered, 2 answers the most answerable
# ones rightly (56.1 % -> 63.8 %).
MEANING_LEAD_WEIGHT = 2.0
MEANING_RIVALS = 4
# The articles search page keeps a hit that shares no word with the query when it is at
# least this close in meaning (the cosine that sufficed alone for an answer before).
SEARCH_MIN_SIMILARITY = 0.5625


class ReplyKind(enum.StrEnum):
    ANSWER = "answer"  # a quoted section, with confidence
    SUGGESTIONS = "suggestions"  # something was found, but not relevant enough to answer
    UNKNOWN = "unknown"  # nothing relevant
    OFF_TOPIC = "off_topic"  # not a question about the product


class SourceRole(enum.StrEnum):
    QUOTE = "quote"
    RELATED = "related"
    SUGGESTED = "suggested"


@dataclass(frozen=True)
class Threshold:
    """Relevant enough: a candidate's support reaches ``meaning`` when the model read the
    question in the article's own language (English), else ``words`` (the words, and the
    question's cosine to the article's English version). Both are tuned by
    chatbot.evaluation on the tuning half of the labelled questions."""

    meaning: float
    words: float

    @classmethod
    def from_settings(cls) -> Threshold:
        return cls(
            meaning=float(settings.ASSISTANT_MIN_SUPPORT),
            words=float(settings.ASSISTANT_MIN_SUPPORT_WORDS),
        )

    def bar(self, hit: retrieval.ArticleHit) -> float:
        return self.meaning if hit.similarity is not None else self.words


def best_lexical(hit: retrieval.ArticleHit) -> retrieval.PassageMatch | None:
    lexical = [match for match in hit.passages if match.coverage > 0]
    return max(lexical, key=lambda match: match.coverage) if lexical else None


def _meaning(hit: retrieval.ArticleHit, cross_meaning: Mapping[int, float]) -> float:
    """The article's cosine to the question; for a language the model does not read, the
    question's cosine to the article's English version (0 when neither is known)."""
    value = hit.similarity if hit.similarity is not None else cross_meaning.get(hit.article_id)
    return value or 0.0


def meaning_lead(
    hit: retrieval.ArticleHit,
    candidates: Sequence[retrieval.ArticleHit],
    cross_meaning: Mapping[int, float],
) -> float:
    """How much closer in meaning the question is to this article than, on average, to the
    MEANING_RIVALS closest other articles: the baseline is the question's own, so a question
    that is near everything (or nothing) gains no lead."""
    if hit.similarity is None and cross_meaning:
        # Read across languages: every article's English version was compared.
        rivals = [value for article, value in cross_meaning.items() if article != hit.article_id]
    else:
        rivals = [
            _meaning(other, cross_meaning)
            for other in candidates
            if other.article_id != hit.article_id
        ]
    closest = sorted(rivals, reverse=True)[:MEANING_RIVALS]
    baseline = sum(closest) / len(closest) if closest else 0.0
    return _meaning(hit, cross_meaning) - baseline


def support(
    hit: retrieval.ArticleHit,
    candidates: Sequence[retrieval.ArticleHit],
    cross_meaning: Mapping[int, float],
) -> float:
    """How well the article is supported as the answer, the sum of four measures in 0..1:
    the share of the question's rarity mass its best passage matches; how far that share
    is ahead of the best other candidate's (a word shared with many articles says little);
    its cosine to the question (for a language the model does not read, the question's
    cosine to the article's English version); and the share of the question's words matched.
    Each alone lets through questions the articles cannot answer; together they rarely do.
    Its lead in meaning over the other articles (meaning_lead) counts as well, and words no
    article has at all (another product's name, a city) count against it: that part of the
    question is about something the articles do not speak of."""
    others = max(
        (other.coverage for other in candidates if other.article_id != hit.article_id),
        default=0.0,
    )
    best = best_lexical(hit)
    words_matched = len(best.matched) / len(hit.groups) if best and hit.groups else 0.0
    mass = sum(group.rarity for group in hit.groups) or 1.0
    unknown = sum(group.rarity for group in hit.groups if group.unknown) / mass
    return (
        hit.coverage
        + (hit.coverage - others)
        + max(_meaning(hit, cross_meaning), 0.0)
        + words_matched
        + MEANING_LEAD_WEIGHT * meaning_lead(hit, candidates, cross_meaning)
        - UNKNOWN_WORDS_WEIGHT * unknown
    )


@dataclass(frozen=True)
class Candidate:
    hit: retrieval.ArticleHit
    support: float
    passes: bool


def candidates_rated(
    hits: Sequence[retrieval.ArticleHit], cross_meaning: Mapping[int, float], threshold: Threshold
) -> list[Candidate]:
    rated = []
    for hit in hits:
        value = support(hit, hits, cross_meaning)
        rated.append(Candidate(hit=hit, support=value, passes=value >= threshold.bar(hit)))
    return rated


@dataclass(frozen=True)
class Decision:
    kind: ReplyKind
    chosen: list[Candidate] = field(default_factory=list)  # the answer first, then related
    language: str = content.SOURCE_LANGUAGE  # of the articles chosen
    score: float = 0.0  # the best support found


def decide(
    own: Sequence[Candidate],
    *,
    language: str,
    english: Sequence[Candidate] = (),
    threshold: Threshold,
) -> Decision:
    """The rule applied to every candidate: the first that passes is the answer, the others
    that pass are related; in the question's language first, then in English."""
    score = max((c.support for c in [*own, *english]), default=0.0)
    for searched, rated in ((language, own), (content.SOURCE_LANGUAGE, english)):
        passing = [candidate for candidate in rated if candidate.passes]
        if passing:
            return Decision(
                kind=ReplyKind.ANSWER,
                chosen=passing[: 1 + RELATED_ARTICLES],
                language=searched,
                score=passing[0].support,
            )
    for searched, rated in ((language, own), (content.SOURCE_LANGUAGE, english)):
        near = [
            candidate
            for candidate in rated
            if candidate.support >= SUGGEST_SHARE * threshold.bar(candidate.hit)
        ]
        if near:
            return Decision(
                kind=ReplyKind.SUGGESTIONS,
                chosen=near[:SUGGESTED_ARTICLES],
                language=searched,
                score=score,
            )
    return Decision(kind=ReplyKind.UNKNOWN, language=language, score=score)


def quoted_passage(hit: retrieval.ArticleHit) -> int | None:
    """The section to quote: the article's passage that fits the question best (ties: the
    better fused rank)."""
    if not hit.passages:
        return hit.passage_ids[0] if hit.passage_ids else None
    fits = retrieval.section_fits(hit)
    best = max(enumerate(hit.passages), key=lambda item: (fits[item[0]], -item[0]))
    return best[1].passage_id


@dataclass(frozen=True)
class Source:
    article_id: int
    slug: str
    title: str
    heading: str
    anchor: str
    language: str
    excerpt: str  # Markdown; empty for a link without a quote
    role: SourceRole = SourceRole.QUOTE

    def as_json(self) -> dict[str, str]:
        return {
            "slug": self.slug,
            "title": self.title,
            "heading": self.heading,
            "anchor": self.anchor,
            "language": self.language,
            "excerpt": self.excerpt,
            "role": str(self.role),
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
    kind: ReplyKind = ReplyKind.UNKNOWN


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


def cross_meaning_for(question: str, language: str, use_semantic: bool | None) -> dict[int, float]:
    """For a language the model does not read: the question's cosine to each article's
    English version; empty when meaning is off."""
    enabled = retrieval.semantic_enabled() if use_semantic is None else use_semantic
    if not enabled or language in embedding.LANGUAGES or not embedding.is_available():
        return {}
    return retrieval.meaning_by_article(question, language=content.SOURCE_LANGUAGE)


def _sources(decision: Decision) -> list[Source]:
    first = decision.chosen[0].hit if decision.chosen else None
    quote_id = quoted_passage(first) if first and decision.kind == ReplyKind.ANSWER else None
    wanted = [quote_id] if quote_id else []
    wanted += [c.hit.passage_ids[0] for c in decision.chosen if c.hit.passage_ids]
    passages = {p.pk: p for p in Passage.objects.select_related("article").filter(pk__in=wanted)}
    sources = []
    for number, candidate in enumerate(decision.chosen):
        if number == 0 and quote_id in passages:
            passage = passages[quote_id]
            text, _cut = markdown.quote(
                passage.text, max_words=QUOTE_WORDS, list_max_words=QUOTE_LIST_WORDS
            )
            role = SourceRole.QUOTE
        else:
            ids = candidate.hit.passage_ids
            if not ids or ids[0] not in passages:
                continue
            passage, text = passages[ids[0]], ""
            role = SourceRole.RELATED if decision.kind == ReplyKind.ANSWER else SourceRole.SUGGESTED
        sources.append(
            Source(
                article_id=passage.article_id,
                slug=passage.article.slug,
                title=passage.title,
                heading=passage.heading if role == SourceRole.QUOTE else "",
                anchor=passage.anchor if role == SourceRole.QUOTE else "",
                language=passage.language,
                excerpt=text,
                role=role,
            )
        )
    return sources


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
    if off_topic_kind(question) is not None:
        return Reply(answered=False, markdown="", sources=[], score=0.0, kind=ReplyKind.OFF_TOPIC)

    def found_in(searched: str) -> list[retrieval.ArticleHit]:
        retrieved = retrieval.search(
            question,
            language=searched,
            area_id=area_id,
            use_semantic=use_semantic,
            limit=CANDIDATES,
        )
        return readable_hits(retrieved, may_read)

    own = candidates_rated(
        found_in(language), cross_meaning_for(question, language, use_semantic), threshold
    )
    english: list[Candidate] = []
    if language != content.SOURCE_LANGUAGE and not any(c.passes for c in own):
        # Articles are written in English first: one may not be translated yet, or its
        # translation may use other words than the question.
        english = candidates_rated(found_in(content.SOURCE_LANGUAGE), {}, threshold)
    decision = decide(own, language=language, english=english, threshold=threshold)
    sources = _sources(decision) if decision.chosen else []
    if decision.kind == ReplyKind.ANSWER and (not sources or sources[0].role != SourceRole.QUOTE):
        decision = Decision(kind=ReplyKind.UNKNOWN, language=language, score=decision.score)
        sources = []
    if decision.kind != ReplyKind.ANSWER:
        return Reply(
            answered=False,
            markdown="",
            sources=sources,
            score=decision.score,
            language=decision.language,
            kind=decision.kind,
        )
    quote = sources[0].excerpt
    phrased = llm.phrase(question, [quote], language=language)
    return Reply(
        answered=True,
        markdown=phrased.text if phrased else quote,
        sources=sources,
        score=decision.score,
        phrased_by=phrased.model if phrased else "",
        language=decision.language,
        kind=ReplyKind.ANSWER,
    )
