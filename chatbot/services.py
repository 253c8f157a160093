"""Writes of the knowledge base and the assistant: the loader, article saving and indexing,
conversations, their turns and feedback, the link to the ticket they led to, the readers'
"Was this helpful?" on articles, and content gaps marked answered."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from django.contrib.postgres.search import SearchVector
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Max, Value
from django.utils import timezone
from django.utils.translation import gettext as _

from chatbot import answers, content, embedding, passages, selectors
from chatbot.languages import question_language
from chatbot.models import (
    Article,
    ArticleVersion,
    ArticleVote,
    ContentGapAnswer,
    Conversation,
    Feedback,
    Passage,
    Surface,
    Synonym,
    Turn,
)
from chatbot.tokens import UNSPACED_LANGUAGES, searchable_text
from hub.accounts.models import User
from routing.models import ProductArea
from tickets.models import Ticket
from tickets.services import enqueue_on_commit

logger = logging.getLogger(__name__)

QUESTION_MAX_LENGTH = 500
TURNS_PER_CONVERSATION = 40
QUESTIONS_PER_MINUTE = 20
NOT_READY = "not_ready"  # the code of the error given while the knowledge base is indexed
# Changing how passages are cut or embedded changes this, and every version is indexed again.
INDEXING_VERSION = "passages-3"


# --- Articles --------------------------------------------------------------------------------


def article_version_save(
    *,
    article: Article,
    language: str,
    title: str,
    summary: str,
    body: str,
    keywords: list[str],
    updated: date,
    source_updated: date | None = None,
    queue_indexing: bool = True,
) -> tuple[ArticleVersion, bool]:
    """Create or change an article's version in a language; queue its passages on commit
    (``queue_indexing=False``: the caller indexes it itself, knowledge_index_now).
    Returns the version and whether anything changed."""
    version = ArticleVersion.objects.filter(article=article, language=language).first()
    values = {
        "title": title.strip(),
        "summary": summary.strip(),
        "body": body.strip(),
        "keywords": [k.strip() for k in keywords if k.strip()],
        "updated": updated,
        "source_updated": source_updated,
    }
    if version is not None and all(getattr(version, k) == v for k, v in values.items()):
        return version, False
    if version is None:
        version = ArticleVersion(article=article, language=language, **values)
    else:
        for name, value in values.items():
            setattr(version, name, value)
    version.full_clean()
    version.save()
    if queue_indexing:
        article_version_queue_index(version)
    else:
        Article.objects.filter(pk=version.article_id).update(updated_at=timezone.now())
    return version, True


def article_version_queue_index(version: ArticleVersion) -> None:
    """Passages and embeddings are computed by a Celery task once the save is committed
    (run at once in the embedded default); retrieval sees the change on its next question."""
    from chatbot import tasks  # noqa: PLC0415 - the tasks call these services

    Article.objects.filter(pk=version.article_id).update(updated_at=timezone.now())
    enqueue_on_commit(tasks.article_version_index, version.pk)


def _index_hash(version: ArticleVersion, *, semantic: bool) -> str:
    parts = [
        INDEXING_VERSION,
        "semantic" if semantic else "lexical",
        version.language,
        version.title,
        version.summary,
        "\x1f".join(version.keywords or []),
        version.body,
    ]
    return hashlib.sha256("\x1e".join(parts).encode()).hexdigest()


def article_version_index(*, version_id: int, force: bool = False) -> bool:
    """Cut the version into passages, with their full-text vectors and embeddings.

    Idempotent: a version whose text has not changed since it was last indexed is left as
    it is (False). The embeddings are computed before the transaction, which only swaps the
    passages."""
    version = ArticleVersion.objects.select_related("article").filter(pk=version_id).first()
    if version is None:
        return False
    semantic = embedding.is_available() and version.language in embedding.LANGUAGES
    digest = _index_hash(version, semantic=semantic)
    if version.indexed_hash == digest and not force:
        return False
    keywords = ", ".join(version.keywords or [])
    drafts = passages.passage_drafts(
        title=version.title, summary=version.summary, body=version.body
    )
    rows = [
        Passage(
            version=version,
            article_id=version.article_id,
            language=version.language,
            position=draft.position,
            heading=draft.heading,
            anchor=draft.anchor,
            text=draft.markdown,
            title=draft.title,
            keywords=keywords,
            plain_text=draft.plain_text,
        )
        for draft in drafts
    ]
    if semantic and rows:
        headed = [row for row in rows if row.heading]
        vectors = embedding.embed(
            [draft.embedding_text for draft in drafts] + [row.heading for row in headed]
        )
        for row, whole in zip(rows, vectors[: len(rows)], strict=True):
            row.embedding = embedding.to_bytes(whole)
        for row, heading in zip(headed, vectors[len(rows) :], strict=True):
            row.heading_embedding = embedding.to_bytes(heading)
    with transaction.atomic():
        locked = ArticleVersion.objects.select_for_update().filter(pk=version_id).first()
        if locked is None:
            return False
        if _index_hash(locked, semantic=semantic) != digest:
            return False  # changed meanwhile: the task queued by that change indexes it
        Passage.objects.filter(version=locked).delete()
        Passage.objects.bulk_create(rows)
        if connection.vendor == "postgresql":
            _search_vectors_store(locked)
        now = timezone.now()
        ArticleVersion.objects.filter(pk=locked.pk).update(indexed_hash=digest, indexed_at=now)
        Article.objects.filter(pk=locked.article_id).update(updated_at=now)
    return True


def _search_vectors_store(version: ArticleVersion) -> None:
    """The passages' full-text vectors: title A, heading and keywords B, text C, in the
    version's language; a language written without spaces is split into words first."""
    config = version.search_config
    if version.language not in UNSPACED_LANGUAGES:
        Passage.objects.filter(version=version).update(
            search_vector=SearchVector("title", weight="A", config=config)
            + SearchVector("heading", "keywords", weight="B", config=config)
            + SearchVector("plain_text", weight="C", config=config)
        )
        return
    for passage in Passage.objects.filter(version=version).only(
        "title", "heading", "keywords", "plain_text"
    ):

        def words(*texts: str) -> Value:
            return Value(searchable_text(" ".join(texts), version.language))

        Passage.objects.filter(pk=passage.pk).update(
            search_vector=SearchVector(words(passage.title), weight="A", config=config)
            + SearchVector(words(passage.heading, passage.keywords), weight="B", config=config)
            + SearchVector(words(passage.plain_text), weight="C", config=config)
        )


def _stale_version_ids() -> list[int]:
    """Versions whose passages are missing or were computed from other text."""
    semantic = embedding.is_available()
    return [
        version.pk
        for version in ArticleVersion.objects.only(
            "pk", "language", "title", "summary", "keywords", "body", "indexed_hash"
        ).order_by("pk")
        if version.indexed_hash
        != _index_hash(version, semantic=semantic and version.language in embedding.LANGUAGES)
    ]


def knowledge_index_sweep() -> int:
    """Queue the indexing of every version whose passages are missing or out of date."""
    from chatbot import tasks  # noqa: PLC0415 - the tasks call these services

    stale = _stale_version_ids()
    for version_id in stale:
        enqueue_on_commit(tasks.article_version_index, version_id)
    return len(stale)


def knowledge_index_now(*, progress: Callable[[int, int], None] | None = None) -> int:
    """Index every version whose passages are missing or out of date, here and now (the
    shipped articles' embeddings come from chatbot/knowledge, so this takes seconds).
    ``progress(done, total)`` is called after each version. Returns how many were indexed."""
    stale = _stale_version_ids()
    indexed = 0
    for done, version_id in enumerate(stale, start=1):
        indexed += article_version_index(version_id=version_id)
        if progress is not None:
            progress(done, len(stale))
    if indexed:
        _planner_statistics_refresh()
    return indexed


def _planner_statistics_refresh() -> None:
    """Tell PostgreSQL's planner how many articles and passages there now are. After a bulk
    load it still believes what it last counted, often none on a new database, and then
    joins the passages by nested loops: reading them for the assistant took minutes instead
    of milliseconds until autovacuum next looked."""
    if connection.vendor != "postgresql":
        return
    tables = ", ".join(
        connection.ops.quote_name(model._meta.db_table)
        for model in (Article, ArticleVersion, Passage)
    )
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {tables}")


def article_publish_set(*, article: Article, published: bool) -> Article:
    if article.is_published != published:
        article.is_published = published
        article.save(update_fields=["is_published", "updated_at"])
    return article


# --- The loader ------------------------------------------------------------------------------


@dataclass
class LoadReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unpublished: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.removed or self.unpublished)

    def lines(self) -> list[str]:
        result = [
            f"{len(self.created)} created, {len(self.updated)} updated, "
            f"{len(self.unchanged)} unchanged, {len(self.removed)} translations removed, "
            f"{len(self.unpublished)} articles unpublished"
        ]
        for label, names in (
            ("created", self.created),
            ("updated", self.updated),
            ("removed", self.removed),
            ("unpublished (its files are gone)", self.unpublished),
        ):
            result += [f"  {label}: {name}" for name in names]
        return result


def knowledge_load(
    *, root: Path = content.KNOWLEDGE_ROOT, queue_indexing: bool = True
) -> LoadReport:
    """Upsert the article files of chatbot/knowledge into the database.

    Changed versions are queued for indexing on commit, unless ``queue_indexing`` is False
    (the caller then runs knowledge_index_now). Idempotent: an unchanged file changes
    nothing. Every file is checked first; one that breaks the format raises
    KnowledgeFormatError naming it, and nothing is written.
    Articles that came from files and whose files are gone are unpublished (an admin's
    own articles are never touched); a translation whose file is gone is removed."""
    files = content.article_files(root)
    areas = {area.slug: area for area in ProductArea.objects.all()}
    missing = sorted(
        {f.area for f in files if f.product_area_slug and f.product_area_slug not in areas}
    )
    if missing:
        raise content.KnowledgeFormatError(
            [
                f"product area {slug!r} is not in the database (run manage.py bootstrap)"
                for slug in missing
            ]
        )
    report = LoadReport()
    by_slug: dict[str, list[content.ArticleFile]] = {}
    for file in files:
        by_slug.setdefault(file.slug, []).append(file)
    with transaction.atomic():
        existing = {a.slug: a for a in Article.objects.select_for_update()}
        for slug, versions in sorted(by_slug.items()):
            area_slug = versions[0].product_area_slug
            area = areas[area_slug] if area_slug else None
            article = existing.get(slug)
            if article is None:
                article = Article.objects.create(slug=slug, product_area=area, from_files=True)
            elif article.product_area_id != (area.pk if area else None) or not article.from_files:
                article.product_area = area
                article.from_files = True
                article.save(update_fields=["product_area", "from_files", "updated_at"])
            languages = set()
            for file in sorted(versions, key=lambda f: f.language):
                languages.add(file.language)
                before = ArticleVersion.objects.filter(
                    article=article, language=file.language
                ).exists()
                _, changed = article_version_save(
                    article=article,
                    language=file.language,
                    title=file.title,
                    summary=file.summary,
                    body=file.body,
                    keywords=list(file.keywords),
                    updated=file.updated,
                    source_updated=file.source_updated,
                    queue_indexing=queue_indexing,
                )
                name = f"{file.language}/{file.area}/{slug}"
                if not changed:
                    report.unchanged.append(name)
                elif before:
                    report.updated.append(name)
                else:
                    report.created.append(name)
            gone = ArticleVersion.objects.filter(article=article).exclude(language__in=languages)
            for language in gone.values_list("language", flat=True):
                report.removed.append(f"{language}/{slug}")
            if gone.exists():
                gone.delete()
                Article.objects.filter(pk=article.pk).update(updated_at=timezone.now())
        for slug, article in sorted(existing.items()):
            if slug not in by_slug and article.from_files and article.is_published:
                article_publish_set(article=article, published=False)
                report.unpublished.append(slug)
    return report


# --- Synonyms --------------------------------------------------------------------------------

# The product's own words and the other words customers use for them. Operations edit
# them in the admin; these are the defaults the loader adds when a term is missing.
DEFAULT_SYNONYMS: dict[str, dict[str, list[str]]] = {
    "en": {
        "sso": ["single sign-on", "saml", "identity provider"],
        "single sign-on": ["sso"],
        "idp": ["identity provider"],
        "api key": ["api token"],
        "token": ["api token"],
        "nps": ["net promoter score"],
        "crosstab": ["crosstabs", "cross tabulation"],
        "cross-tab": ["crosstabs"],
        "pop-up": ["intercept", "creative"],
        "popup": ["intercept", "creative"],
        "mailing list": ["contact list", "xm directory"],
        "contacts": ["xm directory", "contact list"],
        "respondents": ["contacts", "participants"],
        "employees": ["participants"],
        "manager": ["hierarchy"],
        "chart": ["widget"],
        "graph": ["widget"],
        "multi-rater": ["360"],
        "screen reader": ["accessibility", "wcag"],
        "callback": ["phone callback"],
        "call me": ["phone callback"],
        "ticket": ["request", "ticket history"],
    },
    "it": {
        "sso": ["single sign-on", "accesso singolo"],
        "promemoria": ["sollecito"],
        "cruscotto": ["dashboard"],
        "richiamata": ["callback"],
    },
    "fr": {
        "sso": ["authentification unique", "single sign-on"],
        "relance": ["rappel"],
        "tableau de bord": ["dashboard"],
        "rappel téléphonique": ["rappel", "callback"],
    },
}


def synonyms_ensure_defaults() -> int:
    """Add the default synonyms that are missing (an admin's changes are kept)."""
    created = 0
    for language, entries in DEFAULT_SYNONYMS.items():
        for term, alternatives in entries.items():
            _, made = Synonym.objects.get_or_create(
                language=language, term=term, defaults={"alternatives": alternatives}
            )
            created += made
    return created


# --- Conversations ---------------------------------------------------------------------------


def conversation_start(
    *,
    user: User,
    surface: Surface | str,
    language: str,
    product_area: ProductArea | None = None,
) -> Conversation:
    membership = getattr(user, "membership", None)
    return Conversation.objects.create(
        user=user,
        organisation_id=membership.organisation_id if membership else None,
        surface=surface,
        language=language if language in content.LANGUAGES else "en",
        product_area=product_area,
    )


def _rate_limited(user: User) -> bool:
    """More than QUESTIONS_PER_MINUTE questions in the minute since the user's first one."""
    key = f"chatbot:questions:{user.pk}"
    cache.add(key, 0, timeout=60)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between the two calls: a new minute starts
        cache.set(key, 1, timeout=60)
        count = 1
    return count > QUESTIONS_PER_MINUTE


def _question_checked(question: str, *, user: User, turns: int) -> str:
    """The question as it will be kept, or a ValidationError naming the field."""
    question = " ".join(question.split())
    if not question:
        raise ValidationError({"question": _("Type your question")}, code="required")
    if len(question) > QUESTION_MAX_LENGTH:
        raise ValidationError(
            {
                "question": _("Keep your question under %(limit)d characters")
                % {"limit": QUESTION_MAX_LENGTH}
            },
            code="max_length",
        )
    if not selectors.knowledge_index_ready():
        # Answering from some articles' passages only would miss what the others say.
        raise ValidationError(
            {
                "question": ValidationError(
                    _(
                        "The assistant is getting ready: our help articles are still being "
                        "indexed. Try again in a minute, or contact support."
                    ),
                    code=NOT_READY,
                )
            }
        )
    if turns >= TURNS_PER_CONVERSATION:
        raise ValidationError(
            {"question": _("This conversation is full. Start a new one to ask more.")},
            code="full",
        )
    if _rate_limited(user):
        raise ValidationError(
            {"question": _("You have asked many questions in a short time. Wait a minute.")},
            code="rate",
        )
    return question


def _turn_keep(
    conversation: Conversation, question: str, may_read: Callable[[Article], bool] | None
) -> Turn:
    reply = answers.answer_question(
        question,
        language=question_language(question, reader_language=conversation.language),
        area_id=conversation.product_area_id,
        may_read=may_read,
    )
    with transaction.atomic():
        locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
        position = (locked.turns.aggregate(top=Max("position"))["top"] or 0) + 1
        turn = Turn.objects.create(
            conversation=locked,
            position=position,
            question=question,
            answer=reply.markdown,
            answered=reply.answered,
            score=reply.score,
            sections=[source.as_json() for source in reply.sources],
            phrased_by=reply.phrased_by,
        )
        turn.cited_articles.set(sorted({source.article_id for source in reply.sources}))
        locked.save(update_fields=["updated_at"])
    return turn


def conversation_ask(
    *,
    conversation: Conversation,
    question: str,
    may_read: Callable[[Article], bool] | None = None,
) -> Turn:
    """Answer one question from the knowledge base and keep it in the conversation."""
    question = _question_checked(question, user=conversation.user, turns=conversation.turns.count())
    return _turn_keep(conversation, question, may_read)


def conversation_first_ask(
    *,
    user: User,
    surface: Surface | str,
    language: str,
    product_area: ProductArea | None = None,
    question: str,
    may_read: Callable[[Article], bool] | None = None,
) -> Turn:
    """A new conversation and its first question. The question is checked first, so one
    that is refused leaves no empty conversation behind."""
    question = _question_checked(question, user=user, turns=0)
    conversation = conversation_start(
        user=user, surface=surface, language=language, product_area=product_area
    )
    return _turn_keep(conversation, question, may_read)


def turn_feedback_set(*, turn: Turn, feedback: Feedback | str) -> Turn:
    """Did this answer your question? Yes or No; the last answer given stands."""
    if feedback not in Feedback.values:
        raise ValidationError(_("Choose Yes or No"), code="invalid")
    if turn.feedback != feedback:
        turn.feedback = feedback
        turn.feedback_at = timezone.now()
        turn.save(update_fields=["feedback", "feedback_at"])
    return turn


def conversation_ticket_link(*, conversation: Conversation, ticket: Ticket) -> None:
    """The conversation led to this ticket (its first ticket stays the one recorded)."""
    Conversation.objects.filter(pk=conversation.pk, ticket__isnull=True).update(ticket=ticket)
    conversation.refresh_from_db(fields=["ticket"])


# --- "Was this helpful?" on an article ---------------------------------------------------------

MISSING_MAX_LENGTH = 300


def article_vote_missing_checked(missing: str) -> str:
    """What was missing, as it will be kept (spaces folded), or a ValidationError naming it."""
    missing = " ".join(missing.split())
    if len(missing) > MISSING_MAX_LENGTH:
        raise ValidationError(
            {
                "missing": _("Keep what was missing under %(limit)d characters")
                % {"limit": MISSING_MAX_LENGTH}
            },
            code="max_length",
        )
    if any(ord(character) < 32 for character in missing):
        raise ValidationError(
            {"missing": _("Write what was missing as plain text")}, code="invalid"
        )
    return missing


def article_vote_set(
    *,
    article: Article,
    answer: Feedback | str,
    language: str,
    user: User | None = None,
    visitor_hash: str = "",
    missing: str | None = None,
) -> ArticleVote:
    """The reader's answer to "Was this helpful?": the first one makes their vote, a later
    one changes it (never a second row). A Yes keeps no "what was missing"; a No keeps the
    line given before unless ``missing`` is given (then it replaces it, "" clears it)."""
    if answer not in Feedback.values:
        raise ValidationError({"answer": _("Choose Yes or No")}, code="invalid")
    if (user is None) == (not visitor_hash):
        raise ValueError("a vote is by exactly one of a signed-in user and an anonymous visitor")
    checked = (
        article_vote_missing_checked(missing)
        if answer == Feedback.NO and missing is not None
        else None
    )
    if language not in content.LANGUAGES:
        language = content.SOURCE_LANGUAGE
    who = {"user": user} if user is not None else {"user": None, "visitor_hash": visitor_hash}
    with transaction.atomic():
        # The row lock (or, for the first vote, the unique constraint) makes two answers
        # sent at once end as one row holding the later answer.
        vote = ArticleVote.objects.select_for_update().filter(article=article, **who).first()
        if vote is None:
            try:
                with transaction.atomic():
                    return ArticleVote.objects.create(
                        article=article,
                        answer=answer,
                        missing=checked or "",
                        language=language,
                        **who,
                    )
            except IntegrityError:
                vote = ArticleVote.objects.select_for_update().get(article=article, **who)
        vote.answer = answer
        vote.language = language
        if answer == Feedback.YES:
            vote.missing = ""
        elif checked is not None:
            vote.missing = checked
        vote.save(update_fields=["answer", "missing", "language", "updated_at"])
    return vote


# --- Content gaps ------------------------------------------------------------------------------


def content_gap_answer_mark(
    *,
    article: Article,
    turn_ids: list[int],
    vote_ids: list[int],
    marked_by: User,
) -> ContentGapAnswer:
    """These gaps are answered by the article now. Only questions the assistant could not
    answer and No votes count; an item marked before moves to this mark."""
    with transaction.atomic():
        turns = list(Turn.objects.filter(pk__in=turn_ids, answered=False).order_by("pk"))
        votes = list(ArticleVote.objects.unhelpful().filter(pk__in=vote_ids).order_by("pk"))
        if not turns and not votes:
            raise ValidationError(
                _("These questions are no longer in the report. Reload it and try again."),
                code="gone",
            )
        example = turns[0].question if turns else votes[0].missing or str(votes[0].article)
        ContentGapAnswer.turns.through.objects.filter(turn__in=turns).delete()
        ContentGapAnswer.votes.through.objects.filter(articlevote__in=votes).delete()
        ContentGapAnswer.objects.filter(turns__isnull=True, votes__isnull=True).delete()
        mark = ContentGapAnswer.objects.create(
            article=article, example=example[:500], marked_by=marked_by
        )
        mark.turns.set(turns)
        mark.votes.set(votes)
    return mark


def content_gap_answer_undo(*, mark: ContentGapAnswer) -> None:
    """The article did not answer them after all: the items are open gaps again."""
    with transaction.atomic():
        mark.delete()
