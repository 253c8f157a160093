"""Reads of the knowledge base and the assistant, shaped for the pages, tickets and figures."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.safestring import SafeString
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from chatbot import markdown, retrieval
from chatbot.answers import SEARCH_MIN_SIMILARITY, ReplyKind, SourceRole
from chatbot.content import LANGUAGES, SOURCE_LANGUAGE
from chatbot.languages import question_language
from chatbot.models import (
    SEARCH_CONFIGS,
    Article,
    ArticleVersion,
    Conversation,
    Feedback,
    Passage,
    Surface,
    Turn,
)
from chatbot.off_topic import off_topic_kind
from hub.accounts.models import Organisation, User
from routing.models import ProductArea
from routing.selectors import product_areas_active

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
        return reverse("support:article", kwargs={"slug": self.slug})


@dataclass
class AreaSection:
    slug: str  # a product area's, or "hub"
    name: str
    description: str
    picture: str
    articles: list[ArticleCard] = field(default_factory=list)

    @property
    def url(self) -> str:
        return reverse("support:area", kwargs={"slug": self.slug})


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


def support_sections(language: str) -> list[AreaSection]:
    """Every active product area with its articles, then the hub's own (four queries)."""
    sections = {area.pk: _area_section(area) for area in product_areas_active()}
    hub = _hub_section(language)
    for article in _articles_with_versions().order_by("slug"):
        card = _card(article, language)
        if card is None:
            continue
        target = hub if article.product_area_id is None else sections.get(article.product_area_id)
        if target is not None:
            target.articles.append(card)
    ordered = [*sections.values(), hub]
    for section in ordered:
        section.articles.sort(key=lambda card: card.title.casefold())
    return ordered


def support_section(slug: str, language: str) -> AreaSection:
    """One area (or the hub) with its articles; 404 for an unknown or inactive area."""
    if slug == HUB_SECTION:
        section = _hub_section(language)
        articles = _articles_with_versions().filter(product_area__isnull=True)
    else:
        area = product_areas_active().filter(slug=slug).first()
        if area is None:
            raise Http404
        section = _area_section(area)
        articles = _articles_with_versions().filter(product_area=area)
    section.articles = sorted(
        (card for card in (_card(a, language) for a in articles) if card is not None),
        key=lambda card: card.title.casefold(),
    )
    return section


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
