"""Reads of the knowledge base and the assistant, shaped for the pages, tickets and figures."""

from __future__ import annotations

import functools
import hashlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np
from django.core.cache import cache
from django.db.models import Count, Max, Prefetch, Q, QuerySet
from django.http import Http404
from django.urls import get_script_prefix, reverse
from django.utils.http import urlencode
from django.utils.safestring import SafeString
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from numpy.typing import NDArray

from chatbot import embedding, gaps, markdown, retrieval
from chatbot.answers import (
    SEARCH_MIN_SIMILARITY,
    ReplyKind,
    SourceRole,
    Threshold,
    candidates_rated,
    cross_meaning_for,
)
from chatbot.content import LANGUAGES, SOURCE_LANGUAGE
from chatbot.languages import question_language
from chatbot.models import (
    SEARCH_CONFIGS,
    Article,
    ArticleVersion,
    ArticleVote,
    ContentGapAnswer,
    Conversation,
    Feedback,
    Passage,
    Surface,
    Turn,
)
from chatbot.off_topic import off_topic_kind
from hub.accounts.models import Organisation, User
from routing.languages import language_name
from routing.models import ProductArea
from routing.selectors import product_area_active, product_area_names, product_areas_active

HUB_SECTION = "hub"


def reader_language() -> str:
    """The knowledge-base language for this request: the interface's, else English."""
    language = (get_language() or "en").split("-")[0]
    return language if language in SEARCH_CONFIGS else "en"


def knowledge_index_ready() -> bool:
    """Every published article version has its passages: none is still waiting for its
    first indexing (a version indexed before and changed since keeps its old passages)."""
    return not ArticleVersion.objects.filter(article__is_published=True, indexed_hash="").exists()


def readable_slugs() -> set[str]:
    return set(Article.objects.readable().values_list("slug", flat=True))


def article_linker(slugs: Iterable[str]) -> markdown.ArticleLinker:
    """``article:<slug>`` links for these slugs; any other slug stays plain text."""
    known = set(slugs)

    def link_for(slug: str) -> str | None:
        return reverse("support:article", kwargs={"slug": slug}) if slug in known else None

    return link_for


# --- Listings --------------------------------------------------------------------------------


@functools.lru_cache(maxsize=4096)
def _support_url(name: str, slug: str, script_prefix: str) -> str:
    # A listing links every article and area: reversing each on every page cost more than
    # the rest of the page's work. The address depends only on these three.
    return reverse(name, kwargs={"slug": slug})


@dataclass(frozen=True)
class ArticleCard:
    """An article in a list: in the reader's language, else in English (said so)."""

    slug: str
    title: str
    summary: str
    language: str
    in_reader_language: bool

    @property
    def url(self) -> str:
        return _support_url("support:article", self.slug, get_script_prefix())


@dataclass
class AreaSection:
    slug: str  # a product area's, or "hub"
    name: str
    description: str
    picture: str
    articles: list[ArticleCard] = field(default_factory=list)

    @property
    def url(self) -> str:
        return _support_url("support:area", self.slug, get_script_prefix())


def _card(article: Article, language: str) -> ArticleCard | None:
    versions = {version.language: version for version in article.versions.all()}
    version = versions.get(language) or versions.get("en") or next(iter(versions.values()), None)
    if version is None:
        return None
    return ArticleCard(
        slug=article.slug,
        title=version.title,
        summary=version.summary,
        language=version.language,
        in_reader_language=version.language == language,
    )


def _articles_with_versions() -> QuerySet[Article]:
    return Article.objects.readable().prefetch_related(
        Prefetch(
            "versions",
            queryset=ArticleVersion.objects.only(
                "article_id", "language", "title", "summary"
            ).order_by("language"),
        )
    )


def _hub_section(language: str) -> AreaSection:
    return AreaSection(
        slug=HUB_SECTION,
        name=_("Using the Customer Success Hub"),
        description=_(
            "Opening hours, contact methods, phone callbacks, Enterprise Support, "
            "verification emails and your ticket history."
        ),
        picture="img/logo.svg",
    )


def _area_section(area: ProductArea) -> AreaSection:
    return AreaSection(
        slug=area.slug,
        name=area.localized_name,
        description=area.localized_description,
        picture=area.picture,
    )


def _listed_cards(
    articles: QuerySet[Article], language: str
) -> list[tuple[int | None, ArticleCard]]:
    """Each article's card with its product area, in the reader's language else in English
    (one query of plain rows: a listing needs neither the articles nor their versions as
    objects, and there are eight versions of every article)."""
    rows = (
        ArticleVersion.objects.filter(
            article__in=articles, language__in={language, SOURCE_LANGUAGE}
        )
        .order_by("article__slug")
        .values_list("article__slug", "article__product_area_id", "language", "title", "summary")
    )
    chosen: dict[str, tuple[int | None, str, str, str]] = {}
    for slug, area_id, version_language, title, summary in rows:
        if slug not in chosen or version_language == language:
            chosen[slug] = (area_id, version_language, title, summary)
    return [
        (
            area_id,
            ArticleCard(
                slug=slug,
                title=title,
                summary=summary,
                language=version_language,
                in_reader_language=version_language == language,
            ),
        )
        for slug, (area_id, version_language, title, summary) in chosen.items()
    ]


def support_sections(language: str) -> list[AreaSection]:
    """Every active product area with its articles, then the hub's own (one query)."""
    sections = {area.pk: _area_section(area) for area in product_areas_active()}
    hub = _hub_section(language)
    for area_id, card in _listed_cards(Article.objects.readable(), language):
        target = hub if area_id is None else sections.get(area_id)
        if target is not None:
            target.articles.append(card)
    ordered = [*sections.values(), hub]
    for section in ordered:
        section.articles.sort(key=lambda card: card.title.casefold())
    return ordered


def support_section(slug: str, language: str) -> AreaSection:
    """One area (or the hub), without its articles; 404 for an unknown or inactive area."""
    if slug == HUB_SECTION:
        return _hub_section(language)
    area = product_area_active(slug)
    if area is None:
        raise Http404
    return _area_section(area)


def support_section_cards(slug: str, language: str) -> list[ArticleCard]:
    """The articles of one area (or of the hub), by title (one query)."""
    articles = Article.objects.readable()
    if slug == HUB_SECTION:
        articles = articles.filter(product_area__isnull=True)
    else:
        articles = articles.filter(product_area__slug=slug)
    return sorted(
        (card for _area_id, card in _listed_cards(articles, language)),
        key=lambda card: card.title.casefold(),
    )


# --- One article -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ArticlePage:
    article: Article
    version: ArticleVersion
    in_reader_language: bool
    languages: list[str]  # the languages it is written in
    body: SafeString
    section: AreaSection
    # A translation made from an older English version: when the English was updated.
    english_updated: date | None = None


def article_for_reader(slug: str, language: str) -> ArticlePage:
    """The article in the reader's language, else in English; 404 if it may not be read."""
    article = (
        Article.objects.readable()
        .select_related("product_area")
        .prefetch_related("versions", "product_area__translations")
        .filter(slug=slug)
        .first()
    )
    if article is None:
        raise Http404
    versions = {version.language: version for version in article.versions.all()}
    version = versions.get(language) or versions.get("en") or next(iter(versions.values()), None)
    if version is None:
        raise Http404
    section = (
        _area_section(article.product_area)
        if article.product_area is not None
        else _hub_section(language)
    )
    english = versions.get(SOURCE_LANGUAGE)
    return ArticlePage(
        article=article,
        version=version,
        in_reader_language=version.language == language,
        languages=sorted(versions),
        body=markdown.render(version.body, link_for=article_linker(readable_slugs())),
        section=section,
        english_updated=english.updated
        if english is not None
        and version is not english
        and version.source_updated is not None
        and english.updated > version.source_updated
        else None,
    )


# --- Search ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchResult:
    card: ArticleCard
    heading: str
    anchor: str

    @property
    def url(self) -> str:
        return f"{self.card.url}#{self.anchor}" if self.anchor else self.card.url


SEARCH_QUERY_MAX = 200


def articles_search(query: str, language: str, *, limit: int = 20) -> list[SearchResult]:
    """Articles for the words typed, best first: the assistant's retrieval, keeping only
    articles that match some of the words or are close in meaning."""
    query = " ".join(query.split())[:SEARCH_QUERY_MAX]
    if not query:
        return []

    def matching(searched: str) -> list[retrieval.ArticleHit]:
        return [
            hit
            for hit in retrieval.search(query, language=searched, limit=limit)
            if hit.coverage > 0
            or (hit.similarity is not None and hit.similarity >= SEARCH_MIN_SIMILARITY)
        ]

    hits = matching(language)
    if language != SOURCE_LANGUAGE:
        # Articles not translated yet are found by their English words, after the others.
        translated = set(
            ArticleVersion.objects.filter(language=language).values_list("article_id", flat=True)
        )
        hits += [hit for hit in matching(SOURCE_LANGUAGE) if hit.article_id not in translated][
            : max(limit - len(hits), 0)
        ]
    articles = {
        a.pk: a for a in _articles_with_versions().filter(pk__in=[h.article_id for h in hits])
    }
    passages = {
        p.pk: p
        for p in Passage.objects.filter(pk__in=[h.passage_ids[0] for h in hits]).only(
            "heading", "anchor"
        )
    }
    results = []
    for hit in hits:
        article = articles.get(hit.article_id)
        card = _card(article, language) if article else None
        if card is None:
            continue
        passage = passages.get(hit.passage_ids[0])
        results.append(
            SearchResult(
                card=card,
                heading=passage.heading if passage else "",
                anchor=passage.anchor if passage else "",
            )
        )
    return results


# --- Conversations ---------------------------------------------------------------------------


def conversation_of(
    user: User, public_id: str, *, surface: Surface | str | None = None
) -> Conversation:
    """The user's own conversation; 404 for anyone else's, or for an unknown id."""
    if not user.is_authenticated or not public_id:
        raise Http404
    conversations = Conversation.objects.select_related("product_area").filter(
        user_id=user.pk, public_id=public_id
    )
    if surface is not None:
        conversations = conversations.filter(surface=surface)
    conversation = conversations.first()
    if conversation is None:
        raise Http404
    return conversation


def conversation_owned(user: User, public_id: str | None) -> Conversation | None:
    """The user's conversation with this id, or None (an id that is not theirs is ignored)."""
    if not public_id or not user.is_authenticated:
        return None
    return (
        Conversation.objects.select_related("product_area")
        .filter(user_id=user.pk, public_id=public_id)
        .first()
    )


@dataclass(frozen=True)
class SourceLink:
    title: str
    heading: str
    url: str  # "" when the article can no longer be read
    in_english: bool
    excerpt: SafeString
    role: str = SourceRole.QUOTE


@dataclass(frozen=True)
class TurnView:
    turn: Turn
    sources: list[SourceLink]
    answer: SafeString  # the phrased answer; empty for quoted passages
    kind: str = ReplyKind.ANSWER

    @property
    def quotes(self) -> list[SourceLink]:
        return [source for source in self.sources if source.role == SourceRole.QUOTE]

    @property
    def related(self) -> list[SourceLink]:
        return [source for source in self.sources if source.role == SourceRole.RELATED]

    @property
    def suggestions(self) -> list[SourceLink]:
        return [source for source in self.sources if source.role == SourceRole.SUGGESTED]

    @property
    def off_topic(self) -> bool:
        return self.kind == ReplyKind.OFF_TOPIC

    @property
    def needs_feedback(self) -> bool:
        return self.turn.answered and not self.turn.feedback

    @property
    def said_no(self) -> bool:
        return self.turn.feedback == Feedback.NO


def turns_of(conversation: Conversation | None, *, reader_language: str) -> list[TurnView]:
    """The conversation's turns, each with its sources linked while still readable."""
    if conversation is None:
        return []
    turns = list(conversation.turns.order_by("position"))
    if not turns:
        return []
    slugs = readable_slugs()
    link_for = article_linker(slugs)
    views = []
    for turn in turns:
        asked_in = question_language(turn.question, reader_language=reader_language)
        sources = []
        for source in turn.sections or []:
            slug = str(source.get("slug", ""))
            anchor = str(source.get("anchor", ""))
            language = str(source.get("language", ""))
            url = ""
            if slug in slugs:
                url = reverse("support:article", kwargs={"slug": slug})
                if language != reader_language and language in LANGUAGES:
                    # The article in the language of the quote, not the interface's.
                    url = f"{url}?{urlencode({'language': language})}"
                url = f"{url}#{anchor}" if anchor else url
            sources.append(
                SourceLink(
                    title=str(source.get("title", "")),
                    heading=str(source.get("heading", "")),
                    url=url,
                    in_english=language == "en" and "en" not in {reader_language, asked_in},
                    excerpt=markdown.render(str(source.get("excerpt", "")), link_for=link_for),
                    role=_role(source, answered=turn.answered),
                )
            )
        answer = (
            markdown.render(turn.answer, link_for=link_for) if turn.phrased_by else SafeString("")
        )
        views.append(TurnView(turn=turn, sources=sources, answer=answer, kind=_kind(turn)))
    return views


def _role(source: dict[str, object], *, answered: bool) -> str:
    # Turns kept before sources had roles quoted every source they list.
    role = str(source.get("role", ""))
    if role in SourceRole.__members__.values():
        return role
    return SourceRole.QUOTE if answered else SourceRole.SUGGESTED


def _kind(turn: Turn) -> str:
    if turn.answered:
        return ReplyKind.ANSWER
    if off_topic_kind(turn.question) is not None:
        return ReplyKind.OFF_TOPIC
    if turn.sections:
        return ReplyKind.SUGGESTIONS
    return ReplyKind.UNKNOWN


def latest_question(conversation: Conversation | None) -> str:
    """The question the contact form starts from: the last one answered No, else the last."""
    if conversation is None:
        return ""
    turns = list(conversation.turns.order_by("-position").only("question", "feedback"))
    for turn in turns:
        if turn.feedback == Feedback.NO:
            return turn.question
    return turns[0].question if turns else ""


def conversation_transcript(conversation: Conversation) -> list[dict[str, object]]:
    """The conversation as the ticket keeps it, for the agent (tickets.selectors shows it)."""
    transcript: list[dict[str, object]] = []
    for turn in conversation.turns.order_by("position"):
        sources = turn.sections or []
        if turn.answered:
            answer = markdown.plain_text(turn.answer)
        else:
            answer = _("The assistant found nothing relevant enough and offered contact.")
        transcript.append(
            {
                "question": turn.question,
                "answer": answer,
                "articles": [
                    {
                        "title": str(source.get("title", "")),
                        "url": reverse("support:article", kwargs={"slug": source.get("slug")}),
                    }
                    for source in sources
                    if source.get("slug")
                ],
                "feedback": turn.feedback,
            }
        )
    return transcript


# --- The brand administrator's figures -------------------------------------------------------


@dataclass(frozen=True)
class AssistantFigures:
    days: int
    questions: int
    answered: int
    helpful: int
    without_ticket: int
    tickets: int


def assistant_figures(
    organisation: Organisation, *, now: datetime, days: int = 30
) -> AssistantFigures:
    """How the organisation's members used the assistant in the last ``days`` (one query)."""
    figures = Turn.objects.filter(
        conversation__organisation=organisation, created_at__gte=now - timedelta(days=days)
    ).aggregate(
        asked=Count("pk"),
        given=Count("pk", filter=Q(answered=True)),
        yes=Count("pk", filter=Q(feedback=Feedback.YES)),
        no_ticket=Count("pk", filter=Q(answered=True, conversation__ticket__isnull=True)),
        led_to_ticket=Count("conversation__ticket", distinct=True),
    )
    return AssistantFigures(
        days=days,
        questions=figures["asked"],
        answered=figures["given"],
        helpful=figures["yes"],
        without_ticket=figures["no_ticket"],
        tickets=figures["led_to_ticket"],
    )


# --- "Was this helpful?" -----------------------------------------------------------------------


def visitor_hash(visitor_key: str) -> str:
    """What an anonymous reader's vote is kept by: the digest of their cookie's key."""
    return hashlib.sha256(f"article-vote\x1f{visitor_key}".encode()).hexdigest()


def article_vote_of(
    article: Article, *, user: User | None, visitor_hash: str = ""
) -> ArticleVote | None:
    """The reader's own answer on the article (one query; none for a reader without any)."""
    if user is not None and user.is_authenticated:
        return ArticleVote.objects.filter(article=article, user_id=user.pk).first()
    if visitor_hash:
        return ArticleVote.objects.filter(
            article=article, user__isnull=True, visitor_hash=visitor_hash
        ).first()
    return None


def article_readable(slug: str) -> Article:
    """The article, if anyone may read it; 404 otherwise."""
    article = Article.objects.readable().filter(slug=slug).first()
    if article is None:
        raise Http404
    return article


def article_with_slug(slug: str) -> Article | None:
    """Any article, published or not, by its slug (an editor may mark a gap answered by an
    article before publishing it)."""
    return Article.objects.filter(slug=slug).first()


def article_missing_comments(article: Article, *, limit: int = 20) -> QuerySet[ArticleVote]:
    """What readers said was missing from the article, latest first."""
    return (
        ArticleVote.objects.unhelpful()
        .filter(article=article)
        .exclude(missing="")
        .only("missing", "language", "updated_at")
        .order_by("-updated_at", "-pk")[:limit]
    )


# --- Content gaps ------------------------------------------------------------------------------

GAP_DAYS = 90
GAP_ITEMS_MAX = 400  # the latest of each kind: a first computation embeds at most 800 texts


@dataclass(frozen=True)
class GapItem:
    """One sign of a content gap: a question the assistant could not answer, or a No vote
    saying what was missing."""

    kind: str  # "turn" or "vote"
    pk: int
    text: str
    language: str  # of the page it came from (the text's own is worked out by chatbot.gaps)
    area_id: int | None  # the product area chosen, if any
    at: datetime
    voted_article: str = ""  # a No vote's article slug


def gap_items(*, now: datetime, days: int = GAP_DAYS, limit: int = GAP_ITEMS_MAX) -> list[GapItem]:
    """The open gaps of the last ``days``: nothing marked answered (two queries)."""
    since = now - timedelta(days=days)
    turns = (
        Turn.objects.filter(answered=False, created_at__gte=since)
        .exclude(pk__in=ContentGapAnswer.turns.through.objects.values("turn_id"))
        .select_related("conversation")
        .only("question", "created_at", "conversation__language", "conversation__product_area")
        .order_by("-created_at", "-pk")[:limit]
    )
    votes = (
        ArticleVote.objects.unhelpful()
        .filter(updated_at__gte=since)
        .exclude(missing="")
        .exclude(pk__in=ContentGapAnswer.votes.through.objects.values("articlevote_id"))
        .select_related("article")
        .only("missing", "language", "updated_at", "article__slug", "article__product_area")
        .order_by("-updated_at", "-pk")[:limit]
    )
    items = [
        GapItem(
            kind="turn",
            pk=turn.pk,
            text=turn.question,
            language=turn.conversation.language,
            area_id=turn.conversation.product_area_id,
            at=turn.created_at,
        )
        for turn in turns
    ]
    items += [
        GapItem(
            kind="vote",
            pk=vote.pk,
            text=vote.missing,
            language=vote.language,
            area_id=vote.article.product_area_id,
            at=vote.updated_at,
            voted_article=vote.article.slug,
        )
        for vote in votes
    ]
    return items


def gap_fingerprint(*, now: datetime, days: int = GAP_DAYS) -> tuple[object, ...]:
    """What the open gaps were computed from: changes whenever one is added, changed or
    marked (two queries), so a cached report is never older than its data."""
    since = now - timedelta(days=days)
    turns = Turn.objects.filter(answered=False, created_at__gte=since).aggregate(
        count=Count("pk"), last=Max("pk")
    )
    votes = ArticleVote.objects.unhelpful().aggregate(count=Count("pk"), last=Max("updated_at"))
    marks = ContentGapAnswer.objects.aggregate(count=Count("pk"), last=Max("marked_at"))
    return (
        since.date().isoformat(),
        turns["count"],
        turns["last"],
        votes["count"],
        str(votes["last"]),
        marks["count"],
        str(marks["last"]),
    )


@dataclass(frozen=True)
class AnsweredGap:
    mark: ContentGapAnswer
    questions: int
    votes: int
    title: str


def gaps_answered(*, limit: int = 50) -> list[AnsweredGap]:
    """The latest gaps marked answered, with their article's title (two queries)."""
    marks = (
        ContentGapAnswer.objects.select_related("article", "marked_by")
        .prefetch_related(
            Prefetch(
                "article__versions",
                queryset=ArticleVersion.objects.only("article_id", "language", "title"),
            )
        )
        .annotate(
            question_count=Count("turns", distinct=True),
            vote_count=Count("votes", distinct=True),
        )
        .order_by("-marked_at", "-pk")[:limit]
    )
    answered = []
    for mark in marks:
        titles = {v.language: v.title for v in mark.article.versions.all()}
        answered.append(
            AnsweredGap(
                mark=mark,
                questions=int(getattr(mark, "question_count", 0)),
                votes=int(getattr(mark, "vote_count", 0)),
                title=titles.get(SOURCE_LANGUAGE) or next(iter(titles.values()), mark.article.slug),
            )
        )
    return answered


def articles_for_marking() -> list[ArticleCard]:
    """Every readable article, in English where it has it, for the "answered by" choice."""
    cards = [_card(article, SOURCE_LANGUAGE) for article in _articles_with_versions()]
    return sorted((c for c in cards if c is not None), key=lambda c: c.title.casefold())


GAP_CLUSTERS_SHOWN = 40
GAP_WEEKS = 13  # about GAP_DAYS
GAP_EXAMPLES = 4
GAP_REPORT_SECONDS = 60 * 60  # the fingerprint changes with the data; this only bounds memory
GAP_VECTOR_SECONDS = 60 * 60 * 24 * 30
# Part of the cache key: a report kept by an older shape of these classes is not read back.
GAP_REPORT_SHAPE = 2


@dataclass(frozen=True)
class GapCluster:
    key: str  # a digest of its items: an anchor that stays while the items do
    items: list[GapItem]  # newest first
    language: str
    representative: str
    examples: list[str]
    weeks: list[int]  # counts per week, oldest first (ContentGapReport.weeks)
    area_counts: list[tuple[int, int]]  # (area id, items), most often first
    voted_articles: list[str]  # slugs of the articles voted No on
    closest: ArticleCard | None
    # The closest article is not relevant enough for the assistant to quote it.
    closest_is_weak: bool = False

    @property
    def language_name(self) -> str:
        """In the reader's language (the report itself is kept for every reader)."""
        return language_name(self.language)

    @property
    def areas(self) -> list[tuple[str, int]]:
        """The product areas named in the reader's language, most often first."""
        names = product_area_names()
        return [(names.get(area_id, ""), count) for area_id, count in self.area_counts]

    @property
    def count(self) -> int:
        return len(self.items)

    @property
    def turn_ids(self) -> list[int]:
        return [item.pk for item in self.items if item.kind == "turn"]

    @property
    def vote_ids(self) -> list[int]:
        return [item.pk for item in self.items if item.kind == "vote"]


@dataclass(frozen=True)
class ContentGapReport:
    clusters: list[GapCluster]  # the largest GAP_CLUSTERS_SHOWN
    cluster_count: int
    item_count: int
    weeks: list[date]  # the Monday of each week counted
    since: datetime
    capped: bool  # more items than GAP_ITEMS_MAX of a kind: the oldest were left out


def _gap_vectors(texts: Sequence[str]) -> NDArray[np.float32]:
    """Embeddings of the texts, each computed once and then kept in the cache."""
    keys = [f"chatbot:gap-vector:{embedding.text_key(text)}" for text in texts]
    known = cache.get_many(keys)
    missing = [n for n, key in enumerate(keys) if key not in known]
    if missing:
        computed = embedding.embed([texts[n] for n in missing])
        fresh = {keys[n]: embedding.to_bytes(v) for n, v in zip(missing, computed, strict=True)}
        cache.set_many(fresh, timeout=GAP_VECTOR_SECONDS)
        known.update(fresh)
    return np.vstack([embedding.from_bytes(known[key]) for key in keys]).astype(np.float32)


def _closest_article(
    text: str, language: str, cards: dict[int, ArticleCard]
) -> tuple[ArticleCard | None, bool]:
    """The article the assistant's own search ranks first for the text, in its language or
    else in English, and whether it is only a weak match (below the assistant's threshold)."""
    threshold = Threshold.from_settings()
    for searched in dict.fromkeys([language, SOURCE_LANGUAGE]):
        hits = retrieval.search(text, language=searched, limit=3)
        rated = candidates_rated(hits, cross_meaning_for(text, searched, None), threshold)
        for candidate in rated:
            if candidate.hit.article_id in cards:
                return cards[candidate.hit.article_id], not candidate.passes
    return None, False


def _content_gap_report(*, now: datetime, days: int) -> ContentGapReport:
    items = gap_items(now=now, days=days)
    by_key = {(item.kind, item.pk): item for item in items}
    texts = [
        gaps.GapText(
            key=(item.kind, item.pk),
            text=item.text,
            language=gaps.text_language(item.text, page_language=item.language),
        )
        for item in sorted(items, key=lambda i: (i.at, i.kind, i.pk))
    ]
    embed = _gap_vectors if retrieval.semantic_enabled() else None
    found = gaps.cluster_texts(texts, embed=embed)
    cards = {}
    if found:
        for article in _articles_with_versions():
            card = _card(article, SOURCE_LANGUAGE)
            if card is not None:
                cards[article.pk] = card
    today = now.date()
    clusters = []
    for text_cluster in found[:GAP_CLUSTERS_SHOWN]:
        members = sorted(
            (by_key[key] for key in text_cluster.keys), key=lambda i: (i.at, i.pk), reverse=True
        )
        examples = list(dict.fromkeys([text_cluster.representative, *(m.text for m in members)]))[
            :GAP_EXAMPLES
        ]
        area_counts = Counter(m.area_id for m in members if m.area_id).most_common()
        digest = hashlib.sha256(repr(sorted(text_cluster.keys)).encode()).hexdigest()[:12]
        closest, weak = _closest_article(text_cluster.representative, text_cluster.language, cards)
        clusters.append(
            GapCluster(
                key=digest,
                items=members,
                language=text_cluster.language,
                representative=text_cluster.representative,
                examples=examples,
                weeks=gaps.weekly_counts([m.at for m in members], today=today, weeks=GAP_WEEKS),
                area_counts=area_counts,
                voted_articles=sorted({m.voted_article for m in members if m.voted_article}),
                closest=closest,
                closest_is_weak=weak,
            )
        )
    current = gaps.week_start(today)
    return ContentGapReport(
        clusters=clusters,
        cluster_count=len(found),
        item_count=len(items),
        weeks=[current - timedelta(weeks=back) for back in range(GAP_WEEKS - 1, -1, -1)],
        since=now - timedelta(days=days),
        capped=sum(1 for i in items if i.kind == "turn") >= GAP_ITEMS_MAX
        or sum(1 for i in items if i.kind == "vote") >= GAP_ITEMS_MAX,
    )


def content_gap_report(*, now: datetime, days: int = GAP_DAYS) -> ContentGapReport:
    """The open content gaps in clusters, computed once for each state of the data, for
    every reader (the fingerprint's three small queries on every view; the clustering only
    when it changed)."""
    state = (GAP_REPORT_SHAPE, gap_fingerprint(now=now, days=days), now.date())
    key = "chatbot:content-gaps:" + hashlib.sha256(repr(state).encode()).hexdigest()
    report: ContentGapReport | None = cache.get(key)
    if report is None:
        report = _content_gap_report(now=now, days=days)
        cache.set(key, report, timeout=GAP_REPORT_SECONDS)
    return report
