"""The knowledge base and the assistant's conversations in the admin.

Articles are edited here (a version per language, with a rendered preview); saving queues
the passages and embeddings through chatbot.services. The list shows each article's
"Was this helpful?" answers, and its page what readers said was missing. Conversations are
for reading: agents see each question, the answer, the sources and the Yes/No, and change
nothing. The content-gap report (a page of the articles' admin) clusters what the assistant
could not answer and what readers missed, for the people who write the articles.
"""

from __future__ import annotations

from typing import Any

from babel.numbers import format_percent
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Count, ExpressionWrapper, F, FloatField, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce, NullIf
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import get_language, gettext_lazy, to_locale
from django.utils.translation import gettext as _

from chatbot import markdown, selectors, services
from chatbot.content import LANGUAGES, SOURCE_LANGUAGE
from chatbot.forms import GapAnsweredForm
from chatbot.models import (
    Article,
    ArticleVersion,
    ArticleVote,
    ContentGapAnswer,
    Conversation,
    Feedback,
    Synonym,
    Turn,
)
from chatbot.selectors import article_linker, readable_slugs
from hub.accounts.http import signed_in_user


def _vote_count(answer: Feedback) -> Coalesce:
    """The article's votes with this answer, as a subquery: a join beside the versions'
    would multiply both counts."""
    votes = (
        ArticleVote.objects.filter(article=OuterRef("pk"), answer=answer)
        .order_by()
        .values("article")
        .annotate(total=Count("pk"))
        .values("total")
    )
    return Coalesce(models.Subquery(votes), 0)


class HelpfulFilter(admin.SimpleListFilter):
    title = gettext_lazy("readers' answers")
    parameter_name = "helpful"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [
            ("unhelpful", _("More No than Yes")),
            ("missing", _("With what was missing")),
            ("none", _("No answers yet")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Article]) -> QuerySet[Article]:
        if self.value() == "unhelpful":
            # Q: the counts are the list's annotations, which the model's fields do not name.
            return queryset.filter(Q(no_votes__gt=F("yes_votes")))
        if self.value() == "missing":
            return queryset.filter(votes__answer=Feedback.NO).exclude(votes__missing="").distinct()
        if self.value() == "none":
            return queryset.filter(Q(yes_votes=0) & Q(no_votes=0))
        return queryset


class KeywordsWidget(forms.TextInput):
    """Keywords as one comma-separated line."""

    def format_value(self, value: Any) -> str | None:
        if isinstance(value, list):
            return ", ".join(str(word) for word in value)
        formatted: str | None = super().format_value(value)
        return formatted


class KeywordsField(forms.Field):
    widget = KeywordsWidget

    def to_python(self, value: Any) -> list[str]:
        if isinstance(value, list):
            return [str(word).strip() for word in value if str(word).strip()]
        return [word.strip() for word in str(value or "").split(",") if word.strip()]


class ArticleVersionForm(forms.ModelForm[ArticleVersion]):
    keywords = KeywordsField(
        label=gettext_lazy("keywords"),
        required=False,
        help_text=gettext_lazy("Other words customers use for this topic, separated by commas."),
    )

    class Meta:
        model = ArticleVersion
        fields = ["language", "title", "summary", "body", "keywords", "updated", "source_updated"]
        widgets = {"body": forms.Textarea(attrs={"rows": 24, "cols": 100})}


class ArticleVersionInline(admin.StackedInline[ArticleVersion, Article]):
    model = ArticleVersion
    form = ArticleVersionForm
    extra = 0
    fields = [
        "language",
        "title",
        "summary",
        "updated",
        "source_updated",
        "keywords",
        "body",
        "preview",
        "indexed",
    ]
    readonly_fields = ["preview", "indexed"]

    @admin.display(description=gettext_lazy("preview"))
    def preview(self, version: ArticleVersion) -> SafeString:
        if not version.pk:
            return format_html("<p>{}</p>", _("Save to see the preview."))
        body = markdown.render(version.body, link_for=article_linker(readable_slugs()))
        return format_html('<div class="kb-preview">{}</div>', body)

    @admin.display(description=gettext_lazy("passages"))
    def indexed(self, version: ArticleVersion) -> str:
        if not version.indexed_at:
            return _("Not indexed yet: the assistant does not use this version until it is.")
        return _("%(count)d passages, indexed %(when)s") % {
            "count": version.passages.count(),
            "when": version.indexed_at.strftime("%Y-%m-%d %H:%M UTC"),
        }


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin[Article]):
    list_display = [
        "slug",
        "title",
        "product_area",
        "is_published",
        "languages",
        "helpful_yes",
        "helpful_no",
        "helpful_share",
    ]
    list_filter = ["is_published", "product_area", "versions__language", HelpfulFilter]
    search_fields = ["slug", "versions__title"]
    fields = ["slug", "product_area", "is_published", "from_files", "readers_missing"]
    readonly_fields = ["from_files", "readers_missing"]
    inlines = [ArticleVersionInline]
    actions = ["publish", "unpublish", "index_again"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Article]:
        queryset: QuerySet[Article] = (
            super()
            .get_queryset(request)
            .select_related("product_area")
            .prefetch_related("versions")
            .annotate(
                yes_votes=_vote_count(Feedback.YES),
                no_votes=_vote_count(Feedback.NO),
                helpful_ratio=ExpressionWrapper(
                    F("yes_votes") * 1.0 / NullIf(F("yes_votes") + F("no_votes"), 0),
                    output_field=FloatField(),
                ),
            )
        )
        return queryset

    @admin.display(description=gettext_lazy("helpful: yes"), ordering="yes_votes")
    def helpful_yes(self, article: Article) -> int:
        return int(getattr(article, "yes_votes", 0))

    @admin.display(description=gettext_lazy("helpful: no"), ordering="no_votes")
    def helpful_no(self, article: Article) -> int:
        return int(getattr(article, "no_votes", 0))

    @admin.display(description=gettext_lazy("share helpful"), ordering="helpful_ratio")
    def helpful_share(self, article: Article) -> str:
        ratio = getattr(article, "helpful_ratio", None)
        if ratio is None:
            return "—"
        # CLDR writes a share in the agent's language: "75%" in English, "75 %" in German.
        language = to_locale(get_language() or "en")
        return str(format_percent(ratio, locale=language if language in LANGUAGES else "en"))

    @admin.display(description=gettext_lazy("what readers said was missing"))
    def readers_missing(self, article: Article) -> SafeString:
        if not article.pk:
            return format_html("<p>{}</p>", "—")
        comments = list(selectors.article_missing_comments(article))
        if not comments:
            return format_html("<p>{}</p>", _("No reader has said what was missing yet."))
        return format_html(
            '<ol class="readers-missing">{}</ol>',
            format_html_join(
                "",
                "<li><q>{}</q> <small>({}, {})</small></li>",
                (
                    (vote.missing, vote.language, vote.updated_at.strftime("%Y-%m-%d"))
                    for vote in comments
                ),
            ),
        )

    def get_urls(self) -> list[URLPattern]:
        custom = [
            path(
                "content-gaps/",
                self.admin_site.admin_view(self.content_gaps),
                name="chatbot_article_content_gaps",
            ),
            path(
                "content-gaps/answered/",
                self.admin_site.admin_view(self.content_gap_answered),
                name="chatbot_article_content_gap_answered",
            ),
            path(
                "content-gaps/answered/<int:mark_id>/undo/",
                self.admin_site.admin_view(self.content_gap_undo),
                name="chatbot_article_content_gap_undo",
            ),
        ]
        return custom + super().get_urls()

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        extra_context = {**(extra_context or {}), "can_see_gaps": self.has_view_permission(request)}
        return super().changelist_view(request, extra_context)

    def content_gaps(
        self, request: HttpRequest, form: GapAnsweredForm | None = None, cluster: str = ""
    ) -> HttpResponse:
        """What the assistant could not answer and what readers missed, by similar meaning."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        now = timezone.now()
        context = {
            **self.admin_site.each_context(request),
            "report": selectors.content_gap_report(now=now),
            "answered": selectors.gaps_answered(),
            "articles": selectors.articles_for_marking(),
            "can_mark": self.has_change_permission(request),
            "form": form,
            "form_cluster": cluster,
            "opts": self.model._meta,
            "title": _("Content gaps"),
        }
        status = 400 if form is not None and form.errors else 200
        return TemplateResponse(
            request, "admin/chatbot/article/content_gaps.html", context, status=status
        )

    def content_gap_answered(self, request: HttpRequest) -> HttpResponse:
        """Mark a cluster's questions answered by an article (people who edit articles)."""
        if request.method != "POST":
            return redirect("admin:chatbot_article_content_gaps")
        if not self.has_change_permission(request):
            raise PermissionDenied
        form = GapAnsweredForm(request.POST)
        cluster = str(request.POST.get("cluster", ""))[:40]
        if form.is_valid():
            article = selectors.article_with_slug(form.cleaned_data["article"])
            if article is None:
                form.add_error("article", _("There is no article with this slug"))
            else:
                try:
                    services.content_gap_answer_mark(
                        article=article,
                        turn_ids=form.cleaned_data["turn"],
                        vote_ids=form.cleaned_data["vote"],
                        marked_by=signed_in_user(request),
                    )
                except ValidationError as error:
                    form.add_error(None, error)
        if form.errors:
            return self.content_gaps(request, form=form, cluster=cluster)
        messages.success(
            request,
            _("Marked as answered by “%(slug)s”.") % {"slug": form.cleaned_data["article"]},
        )
        return redirect(f"{reverse('admin:chatbot_article_content_gaps')}#answered")

    def content_gap_undo(self, request: HttpRequest, mark_id: int) -> HttpResponse:
        if request.method != "POST":
            return redirect("admin:chatbot_article_content_gaps")
        if not self.has_change_permission(request):
            raise PermissionDenied
        mark = get_object_or_404(ContentGapAnswer, pk=mark_id)
        services.content_gap_answer_undo(mark=mark)
        messages.success(request, _("The questions are open content gaps again."))
        return redirect("admin:chatbot_article_content_gaps")

    @admin.display(description=gettext_lazy("title"))
    def title(self, article: Article) -> str:
        versions = {v.language: v.title for v in article.versions.all()}
        return versions.get("en") or next(iter(versions.values()), "—")

    @admin.display(description=gettext_lazy("languages"))
    def languages(self, article: Article) -> str:
        versions = list(article.versions.all())
        english = next((v for v in versions if v.language == SOURCE_LANGUAGE), None)
        stale = sorted(
            v.language
            for v in versions
            if english is not None
            and v.source_updated is not None
            and v.source_updated < english.updated
        )
        languages = ", ".join(sorted(v.language for v in versions))
        if stale:
            return _("%(languages)s (out of date: %(stale)s)") % {
                "languages": languages,
                "stale": ", ".join(stale),
            }
        return languages

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        versions = formset.save(commit=False)
        for deleted in formset.deleted_objects:
            deleted.delete()
        for version in versions:
            version.save()
            services.article_version_queue_index(version)
        formset.save_m2m()

    @admin.action(description=gettext_lazy("Publish the selected articles"))
    def publish(self, request: HttpRequest, queryset: QuerySet[Article]) -> None:
        for article in queryset:
            services.article_publish_set(article=article, published=True)

    @admin.action(description=gettext_lazy("Unpublish the selected articles"))
    def unpublish(self, request: HttpRequest, queryset: QuerySet[Article]) -> None:
        for article in queryset:
            services.article_publish_set(article=article, published=False)

    @admin.action(description=gettext_lazy("Compute the passages again"))
    def index_again(self, request: HttpRequest, queryset: QuerySet[Article]) -> None:
        count = 0
        for version in ArticleVersion.objects.filter(article__in=queryset):
            ArticleVersion.objects.filter(pk=version.pk).update(indexed_hash="")
            services.article_version_queue_index(version)
            count += 1
        messages.success(request, _("%(count)d versions queued.") % {"count": count})


@admin.register(Synonym)
class SynonymAdmin(admin.ModelAdmin[Synonym]):
    list_display = ["term", "language", "alternatives_text"]
    list_filter = ["language"]
    search_fields = ["term"]

    @admin.display(description=gettext_lazy("alternatives"))
    def alternatives_text(self, synonym: Synonym) -> str:
        return ", ".join(synonym.alternatives or [])


class TurnInline(admin.TabularInline[Turn, Conversation]):
    model = Turn
    extra = 0
    can_delete = False
    fields = ("position", "question", "answer_shown", "sources", "score", "feedback", "created_at")
    readonly_fields = fields
    ordering = ["position"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=gettext_lazy("answer"))
    def answer_shown(self, turn: Turn) -> str:
        if not turn.answered:
            return _("Nothing relevant enough: offered contact.")
        text = markdown.plain_text(turn.answer)
        if turn.phrased_by:
            # The brackets are the translation's: Japanese writes them full width.
            return _("%(answer)s (phrased by %(model)s)") % {
                "answer": text,
                "model": turn.phrased_by,
            }
        return text

    @admin.display(description=gettext_lazy("sources"))
    def sources(self, turn: Turn) -> SafeString:
        return format_html_join(
            ", ", "{} › {}", ((s.get("title", ""), s.get("heading") or "…") for s in turn.sections)
        )


class FeedbackFilter(admin.SimpleListFilter):
    title = gettext_lazy("answer marked")
    parameter_name = "feedback"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", _("Yes")), ("no", _("No")), ("unknown", _("Not answered"))]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[Conversation]
    ) -> QuerySet[Conversation]:
        if self.value() in {"yes", "no"}:
            return queryset.filter(turns__feedback=self.value()).distinct()
        if self.value() == "unknown":
            return queryset.filter(turns__answered=False).distinct()
        return queryset


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin[Conversation]):
    list_display = [
        "public_id",
        "user",
        "organisation",
        "product_area",
        "surface",
        "language",
        "questions",
        "ticket",
        "created_at",
    ]
    list_filter = ["surface", "language", "product_area", FeedbackFilter]
    search_fields = ["public_id", "user__email", "turns__question", "ticket__number"]
    date_hierarchy = "created_at"
    inlines = [TurnInline]
    fields = (
        "public_id",
        "user",
        "organisation",
        "product_area",
        "surface",
        "language",
        "ticket",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Conversation]:
        queryset: QuerySet[Conversation] = (
            super()
            .get_queryset(request)
            .select_related("user", "organisation", "product_area", "ticket")
            .annotate(turn_count=Count("turns"))
        )
        return queryset

    @admin.display(description=gettext_lazy("questions"), ordering="turn_count")
    def questions(self, conversation: Conversation) -> int:
        return int(getattr(conversation, "turn_count", 0))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser)
