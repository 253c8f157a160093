"""The knowledge base and the assistant's conversations in the admin.

Articles are edited here (a version per language, with a rendered preview); saving queues
the passages and embeddings through chatbot.services. Conversations are for reading: agents
see each question, the answer, the sources and the Yes/No, and change nothing.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from chatbot import markdown, services
from chatbot.content import SOURCE_LANGUAGE
from chatbot.models import Article, ArticleVersion, Conversation, Synonym, Turn
from chatbot.selectors import article_linker, readable_slugs


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
    list_display = ["slug", "title", "product_area", "is_published", "languages"]
    list_filter = ["is_published", "product_area", "versions__language"]
    search_fields = ["slug", "versions__title"]
    fields = ["slug", "product_area", "is_published", "from_files"]
    readonly_fields = ["from_files"]
    inlines = [ArticleVersionInline]
    actions = ["publish", "unpublish", "index_again"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Article]:
        queryset: QuerySet[Article] = (
            super()
            .get_queryset(request)
            .select_related("product_area")
            .prefetch_related("versions")
            .annotate(version_count=Count("versions"))
        )
        return queryset

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
            return f"{text} ({_('phrased by %(model)s') % {'model': turn.phrased_by}})"
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
