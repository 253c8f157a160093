"""The knowledge base (R-KB) and the assistant's conversations (R-BOT).

An Article is one topic, with one ArticleVersion per language. Saving a version queues the
computation of its Passages (the sections retrieval ranks: full-text vector and embedding).
A Conversation is one user's exchange with the assistant, in the hub flow or on the
knowledge-base pages; each question and its answer is a Turn.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from routing.models import ProductArea

# The PostgreSQL text-search configuration of each language the knowledge base is written in.
# PostgreSQL's text-search configuration per knowledge-base language (stemming and stop
# words). Japanese has none: chatbot.tokens splits it into words for the "simple" one.
SEARCH_CONFIGS = {
    "en": "english",
    "es": "spanish",
    "pt": "portuguese",
    "de": "german",
    "fr": "french",
    "it": "italian",
    "nl": "dutch",
    "ja": "simple",
}


def conversation_public_id() -> str:
    return secrets.token_urlsafe(16)


class ArticleQuerySet(models.QuerySet["Article"]):
    def readable(self) -> ArticleQuerySet:
        """Articles anyone may read: published, about the hub or an active product area."""
        return self.filter(is_published=True).filter(
            Q(product_area__isnull=True) | Q(product_area__is_active=True)
        )


class Article(models.Model):
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    product_area = models.ForeignKey(
        ProductArea,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="articles",
        verbose_name=_("product area"),
        help_text=_("Empty for articles about the Customer Success Hub itself."),
    )
    is_published = models.BooleanField(
        _("published"),
        default=True,
        help_text=_("Unpublished articles are hidden from the support site and the assistant."),
    )
    # Loaded from chatbot/knowledge: the loader unpublishes it when its files are removed.
    from_files = models.BooleanField(_("loaded from the knowledge files"), default=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last change"), auto_now=True)

    objects = ArticleQuerySet.as_manager()

    class Meta:
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.slug

    def get_absolute_url(self) -> str:
        return reverse("support:article", kwargs={"slug": self.slug})


class ArticleVersion(models.Model):
    """The article in one language: what the support site shows and the assistant cites."""

    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="versions", verbose_name=_("article")
    )
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    title = models.CharField(_("title"), max_length=200)
    summary = models.CharField(_("summary"), max_length=400)
    body = models.TextField(
        _("body"),
        help_text=_(
            "Markdown: ## and ### headings, lists, **bold**, `code`. Raw HTML is not shown. "
            "Link another article with [text](article:its-slug)."
        ),
    )
    keywords = models.JSONField(
        _("keywords"),
        default=list,
        blank=True,
        help_text=_('Other words customers use for this topic, e.g. ["nudge", "chaser"].'),
    )
    updated = models.DateField(_("updated"))
    source_updated = models.DateField(
        _("translated from the English of"),
        null=True,
        blank=True,
        help_text=_(
            "For a translation: the updated date of the English version it was made from. "
            "When the English version is updated later, readers are told this translation "
            "may be out of date."
        ),
    )
    # What the passages were last computed from: the indexing task skips an unchanged version.
    indexed_hash = models.CharField(max_length=64, blank=True, editable=False)
    indexed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("article version")
        verbose_name_plural = _("article versions")
        ordering = ["article__slug", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["article", "language"], name="one_article_version_per_language"
            ),
            models.UniqueConstraint(
                fields=["language", "title"], name="article_titles_distinct_per_language"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.language})"

    @property
    def search_config(self) -> str:
        return SEARCH_CONFIGS.get(self.language, "simple")


class Passage(models.Model):
    """One section of an article version (split at its ## and ### headings)."""

    version = models.ForeignKey(ArticleVersion, on_delete=models.CASCADE, related_name="passages")
    # Copied from the version and the article, so that retrieval filters without joins.
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="passages")
    language = models.CharField(max_length=8, db_index=True)
    position = models.PositiveSmallIntegerField()
    heading = models.CharField(max_length=200, blank=True)
    anchor = models.CharField(max_length=120, blank=True)
    text = models.TextField(help_text="The section's Markdown, as the answer quotes it.")
    # What retrieval ranks: the title, the heading, the keywords and the section as plain text.
    title = models.CharField(max_length=200)
    keywords = models.TextField(blank=True)
    plain_text = models.TextField()
    # Weighted full-text vector (title A, heading and keywords B, text C) on PostgreSQL, in
    # the language's configuration; GIN-indexed by migration 0002 (PostgreSQL only).
    search_vector = SearchVectorField(null=True, editable=False)
    # all-MiniLM-L6-v2 of title, heading and text: 384 little-endian float32 numbers.
    embedding = models.BinaryField(null=True, editable=False)
    # all-MiniLM-L6-v2 of the heading alone, the same way (none for the intro, which has no
    # heading): every section's embedding above repeats the article's title, which tells an
    # article's sections apart less well than their headings do.
    heading_embedding = models.BinaryField(null=True, editable=False)

    class Meta:
        ordering = ["version", "position"]
        constraints = [
            models.UniqueConstraint(fields=["version", "position"], name="one_passage_per_position")
        ]

    def __str__(self) -> str:
        return f"{self.title} › {self.heading or '…'}"


class Synonym(models.Model):
    """A word of the product and the other words customers use for it (query expansion)."""

    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default="en"
    )
    term = models.CharField(
        _("term"), max_length=80, help_text=_("A word or phrase as customers type it.")
    )
    alternatives = models.JSONField(
        _("alternatives"),
        default=list,
        help_text=_('Words the articles use for it, e.g. ["single sign-on", "saml"].'),
    )

    class Meta:
        verbose_name = _("synonym")
        verbose_name_plural = _("synonyms")
        ordering = ["language", "term"]
        constraints = [
            models.UniqueConstraint(fields=["language", "term"], name="one_synonym_per_term")
        ]

    def __str__(self) -> str:
        return f"{self.term} → {', '.join(self.alternatives)}"


class Surface(models.TextChoices):
    HUB = "hub", _("Hub flow")
    KNOWLEDGE_BASE = "knowledge_base", _("Knowledge base")


class Conversation(models.Model):
    public_id = models.CharField(
        _("public id"), max_length=32, unique=True, default=conversation_public_id, editable=False
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="assistant_conversations",
        verbose_name=_("user"),
    )
    # The user's organisation when the conversation started, for its administrators' figures.
    organisation = models.ForeignKey(
        "hub.Organisation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assistant_conversations",
        verbose_name=_("organisation"),
    )
    product_area = models.ForeignKey(
        ProductArea,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assistant_conversations",
        verbose_name=_("product area"),
    )
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    surface = models.CharField(_("where"), max_length=20, choices=Surface.choices)
    ticket = models.ForeignKey(
        "tickets.Ticket",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assistant_conversations",
        verbose_name=_("ticket"),
    )
    created_at = models.DateTimeField(_("started"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("last question"), auto_now=True)

    class Meta:
        verbose_name = _("assistant conversation")
        verbose_name_plural = _("assistant conversations")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["organisation", "created_at"])]

    def __str__(self) -> str:
        return self.public_id


class Feedback(models.TextChoices):
    YES = "yes", _("Yes")
    NO = "no", _("No")


class Turn(models.Model):
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="turns", verbose_name=_("conversation")
    )
    position = models.PositiveSmallIntegerField(_("position"))
    question = models.TextField(_("question"))
    # Markdown: the quoted passages (or the phrased answer); empty when nothing was relevant.
    answer = models.TextField(_("answer"), blank=True)
    answered = models.BooleanField(
        _("answered"), default=False, help_text=_("False when the assistant said it did not know.")
    )
    score = models.FloatField(_("relevance"), default=0.0)
    cited_articles = models.ManyToManyField(
        Article, blank=True, related_name="+", verbose_name=_("cited articles")
    )
    # The sections quoted, in order: [{"slug", "anchor"}], for links straight to them.
    sections = models.JSONField(default=list, blank=True, editable=False)
    phrased_by = models.CharField(
        _("phrased by"),
        max_length=100,
        blank=True,
        help_text=_("The language model that phrased the answer; empty for quoted passages."),
    )
    feedback = models.CharField(
        _("did this answer the question?"), max_length=3, choices=Feedback.choices, blank=True
    )
    feedback_at = models.DateTimeField(_("feedback given"), null=True, blank=True)
    created_at = models.DateTimeField(_("asked"), auto_now_add=True)

    class Meta:
        verbose_name = _("turn")
        verbose_name_plural = _("turns")
        ordering = ["conversation", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "position"], name="one_turn_per_position"
            )
        ]

    def __str__(self) -> str:
        return self.question[:80]


class ArticleVoteQuerySet(models.QuerySet["ArticleVote"]):
    def unhelpful(self) -> ArticleVoteQuerySet:
        return self.filter(answer=Feedback.NO)


class ArticleVote(models.Model):
    """A reader's "Was this helpful?" on an article: one per reader and article, changeable.

    A signed-in reader is known by their account; an anonymous one by the SHA-256 of the
    random key in their signed cookie (the key itself is never stored)."""

    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="votes", verbose_name=_("article")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="article_votes",
        verbose_name=_("user"),
    )
    visitor_hash = models.CharField(max_length=64, blank=True, editable=False)
    answer = models.CharField(_("helpful?"), max_length=3, choices=Feedback.choices)
    missing = models.CharField(_("what was missing"), max_length=300, blank=True)
    # The language of the version read: a No may be about a translation.
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    created_at = models.DateTimeField(_("first answered"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True, db_index=True)

    objects = ArticleVoteQuerySet.as_manager()

    class Meta:
        verbose_name = _("article vote")
        verbose_name_plural = _("article votes")
        ordering = ["-updated_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["article", "user"],
                condition=Q(user__isnull=False),
                name="one_vote_per_user_and_article",
            ),
            models.UniqueConstraint(
                fields=["article", "visitor_hash"],
                condition=Q(user__isnull=True),
                name="one_vote_per_visitor_and_article",
            ),
            models.CheckConstraint(
                condition=(Q(user__isnull=False) & Q(visitor_hash=""))
                | (Q(user__isnull=True) & ~Q(visitor_hash="")),
                name="vote_by_a_user_or_a_visitor",
            ),
            models.CheckConstraint(
                condition=Q(answer=Feedback.NO) | Q(missing=""),
                name="only_a_no_says_what_was_missing",
            ),
        ]
        indexes = [models.Index(fields=["article", "answer"])]

    def __str__(self) -> str:
        return f"{self.article_id}: {self.answer}"


class ContentGapAnswer(models.Model):
    """Content gaps (questions the assistant could not answer, No votes) an article now answers.

    Kept by the items themselves, not by a cluster: clusters are computed afresh from the
    latest items, and the items marked here stay out of the open gaps whatever they join."""

    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="gap_answers", verbose_name=_("article")
    )
    turns = models.ManyToManyField(Turn, blank=True, related_name="+", verbose_name=_("questions"))
    votes = models.ManyToManyField(
        ArticleVote, blank=True, related_name="+", verbose_name=_("No votes")
    )
    example = models.CharField(_("example"), max_length=500)
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("marked by"),
    )
    marked_at = models.DateTimeField(_("marked"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("answered content gap")
        verbose_name_plural = _("answered content gaps")
        ordering = ["-marked_at"]

    def __str__(self) -> str:
        return f"{self.example[:60]} → {self.article_id}"
