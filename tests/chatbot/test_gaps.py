"""The content-gap report: what the assistant could not answer and what readers missed,
clustered by meaning (English) or shared words (other languages), deterministically; a
cluster marked answered by an article stays answered when the clusters are computed again;
only staff read it, only those who edit articles mark it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from chatbot import embedding, gaps, selectors
from chatbot.models import Article, ContentGapAnswer, Conversation, Surface, Turn
from chatbot.services import article_vote_set, content_gap_answer_mark
from hub.accounts.models import User
from routing.models import ProductArea

REPORT = "/admin/chatbot/article/content-gaps/"
MARK = "/admin/chatbot/article/content-gaps/answered/"

EXPORT = [
    "How do I export survey responses to Excel?",
    "Can I download my survey results as a CSV file?",
    "export responses to a spreadsheet",
]
PASSWORD = [
    "How do I reset my password?",
    "I forgot my password, how can I change it?",
]
OFF_TOPIC = "What's the weather in Berlin on Friday?"


# --- The clustering rule ---------------------------------------------------------------------


def _texts(texts: list[str], language: str = "en") -> list[gaps.GapText]:
    return [gaps.GapText(key=("turn", n), text=t, language=language) for n, t in enumerate(texts)]


def test_similar_english_questions_cluster_and_different_ones_do_not() -> None:
    questions = [EXPORT[0], PASSWORD[0], OFF_TOPIC, EXPORT[1], PASSWORD[1], EXPORT[2]]
    clusters = gaps.cluster_texts(_texts(questions), embed=embedding.embed)
    groups = [sorted(questions[key[1]] for key in cluster.keys) for cluster in clusters]
    assert groups == [sorted(EXPORT), sorted(PASSWORD), [OFF_TOPIC]]
    assert clusters[0].representative in EXPORT


def test_the_same_questions_give_the_same_clusters_in_any_order() -> None:
    questions = [*EXPORT, *PASSWORD, OFF_TOPIC]
    once = gaps.cluster_texts(_texts(questions), embed=embedding.embed)
    again = gaps.cluster_texts(_texts(questions), embed=embedding.embed)
    assert once == again
    shuffled = list(reversed(questions))
    other = gaps.cluster_texts(_texts(shuffled), embed=embedding.embed)
    as_sets = {frozenset(questions[k[1]] for k in c.keys) for c in once}
    assert {frozenset(shuffled[k[1]] for k in c.keys) for c in other} == as_sets


def test_other_languages_cluster_by_shared_words_and_never_with_another_language() -> None:
    texts = [
        gaps.GapText(("turn", 1), "Wie exportiere ich Antworten nach Excel?", "de"),
        gaps.GapText(("turn", 2), "Antworten nach Excel exportieren", "de"),
        gaps.GapText(("turn", 3), "Passwort vergessen, wie zurücksetzen?", "de"),
        gaps.GapText(("turn", 4), "Export responses to Excel", "en"),
    ]
    clusters = gaps.cluster_texts(texts, embed=None)
    assert [sorted(k[1] for k in c.keys) for c in clusters] == [[1, 2], [3], [4]]


def test_average_linkage_stops_at_the_floor() -> None:
    similarity = np.array(
        [[1.0, 0.9, 0.2, 0.1], [0.9, 1.0, 0.3, 0.1], [0.2, 0.3, 1.0, 0.6], [0.1, 0.1, 0.6, 1.0]]
    )
    assert gaps.agglomerate(similarity, 0.55) == [[0, 1], [2, 3]]
    assert gaps.agglomerate(similarity, 0.7) == [[0, 1], [2], [3]]
    assert gaps.agglomerate(similarity, 0.0) == [[0, 1, 2, 3]]
    assert gaps.agglomerate(np.zeros((0, 0)), 0.5) == []


def test_weekly_counts_put_each_moment_in_its_monday_to_sunday_week() -> None:
    thursday = date(2026, 12, 3)
    moments = [
        datetime(2026, 12, 3, 9, tzinfo=UTC),
        datetime(2026, 11, 30, 0, 5, tzinfo=UTC),  # this week's Monday
        datetime(2026, 11, 29, 23, 55, tzinfo=UTC),  # last week's Sunday
        datetime(2026, 8, 1, tzinfo=UTC),  # too old
    ]
    assert gaps.weekly_counts(moments, today=thursday, weeks=3) == [0, 1, 2]


# --- The report ------------------------------------------------------------------------------


def _unanswered(user: User, question: str, *, area: ProductArea | None = None) -> Turn:
    conversation = Conversation.objects.create(
        user=user, language="en", surface=Surface.KNOWLEDGE_BASE, product_area=area
    )
    return Turn.objects.create(conversation=conversation, position=1, question=question)


@pytest.fixture
def editor(db: None) -> User:
    return User.objects.create_superuser(
        username="editor@hub.example", email="editor@hub.example", password="x"
    )


@pytest.fixture
def clusterings(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """One entry for each time the report's texts are clustered."""
    calls: list[int] = []
    real = gaps.cluster_texts
    monkeypatch.setattr(gaps, "cluster_texts", lambda *a, **k: calls.append(1) or real(*a, **k))
    return calls


@pytest.fixture
def gap_data(
    fixture_knowledge: dict[str, Article], standard_user: User, surveys_area: ProductArea
) -> dict[str, list[int]]:
    export = [_unanswered(standard_user, q, area=surveys_area).pk for q in EXPORT[:2]]
    password = [_unanswered(standard_user, q).pk for q in PASSWORD]
    vote = article_vote_set(
        article=fixture_knowledge["fixture-reminders"],
        answer="no",
        language="en",
        visitor_hash=selectors.visitor_hash("v" * 32),
        missing=EXPORT[2],
    )
    # Answered questions and Yes votes are not gaps.
    answered = _unanswered(standard_user, "How do I send a reminder?")
    Turn.objects.filter(pk=answered.pk).update(answered=True)
    return {"export": export, "password": password, "votes": [vote.pk]}


@pytest.mark.django_db
def test_the_report_clusters_unanswered_questions_with_no_votes(
    gap_data: dict[str, list[int]], surveys_area: ProductArea
) -> None:
    report = selectors.content_gap_report(now=timezone.now())
    assert report.item_count == 5
    first = report.clusters[0]
    assert sorted(first.turn_ids) == sorted(gap_data["export"])
    assert first.vote_ids == gap_data["votes"]
    assert first.count == 3
    assert first.weeks[-1] == 3 and sum(first.weeks) == 3
    assert first.areas == [(surveys_area.name, 3)]
    assert first.voted_articles == ["fixture-reminders"]
    assert first.closest is not None
    assert sorted(report.clusters[1].turn_ids) == sorted(gap_data["password"])
    # No article is about passwords: whatever comes closest is said to be a weak match.
    assert report.clusters[1].closest is None or report.clusters[1].closest_is_weak
    assert report.clusters[1].language_name == "English"
    assert "How do I send a reminder?" not in {e for c in report.clusters for e in c.examples}


@pytest.mark.django_db
def test_a_cluster_marked_answered_stays_answered_when_clusters_are_computed_again(
    gap_data: dict[str, list[int]], fixture_knowledge: dict[str, Article], editor: User
) -> None:
    first = selectors.content_gap_report(now=timezone.now()).clusters[0]
    content_gap_answer_mark(
        article=fixture_knowledge["fixture-reminders"],
        turn_ids=first.turn_ids,
        vote_ids=first.vote_ids,
        marked_by=editor,
    )
    # A new question like them arrives: it is an open gap of its own, the marked ones are not.
    newcomer = _unanswered(User.objects.get(email=editor.email), "Export my survey data to Excel")
    report = selectors.content_gap_report(now=timezone.now())
    open_turns = {pk for c in report.clusters for pk in c.turn_ids}
    assert open_turns == {*gap_data["password"], newcomer.pk}
    assert not {pk for c in report.clusters for pk in c.vote_ids}
    [answered] = selectors.gaps_answered()
    assert (answered.questions, answered.votes) == (2, 1)
    assert answered.mark.article.slug == "fixture-reminders"


@pytest.mark.django_db
def test_marking_again_moves_the_items_and_marking_what_is_no_gap_is_refused(
    gap_data: dict[str, list[int]], fixture_knowledge: dict[str, Article], editor: User
) -> None:
    reminders, okta = fixture_knowledge["fixture-reminders"], fixture_knowledge["fixture-sso-okta"]
    content_gap_answer_mark(
        article=reminders, turn_ids=gap_data["password"], vote_ids=[], marked_by=editor
    )
    content_gap_answer_mark(
        article=okta, turn_ids=gap_data["password"], vote_ids=[], marked_by=editor
    )
    assert list(ContentGapAnswer.objects.values_list("article__slug", flat=True)) == [okta.slug]
    answered = Turn.objects.create(
        conversation=Conversation.objects.first(), position=9, question="x", answered=True
    )
    with pytest.raises(ValidationError):
        content_gap_answer_mark(article=okta, turn_ids=[answered.pk], vote_ids=[], marked_by=editor)


@pytest.mark.django_db
def test_the_report_is_computed_once_until_its_data_changes(
    gap_data: dict[str, list[int]], standard_user: User, clusterings: list[int]
) -> None:
    now = timezone.now()
    if (now + timedelta(minutes=6)).date() != now.date():
        # The report is made again each day: the three readings below share one date.
        now += timedelta(minutes=10)
    selectors.content_gap_report(now=now)
    selectors.content_gap_report(now=now + timedelta(minutes=5))
    assert len(clusterings) == 1
    _unanswered(standard_user, "Can I rename a dashboard?")
    report = selectors.content_gap_report(now=now + timedelta(minutes=6))
    assert len(clusterings) == 2
    assert report.item_count == 6


@pytest.mark.django_db
def test_the_page_shows_each_cluster_and_an_editor_marks_one_answered(
    client: Client, gap_data: dict[str, list[int]], editor: User
) -> None:
    client.force_login(editor)
    html = client.get(REPORT).content.decode()
    assert "Open content gaps" in html
    assert EXPORT[2] in html and PASSWORD[0] in html
    assert "Closest article" in html
    data = {"article": "fixture-sso-okta", "turn": gap_data["password"], "cluster": "x"}
    response = client.post(MARK, data)
    assert response.status_code == 302
    html = client.get(REPORT).content.decode()
    answered = html[html.index('id="answered"') :]
    assert "How do I reset my password?" in answered or "forgot my password" in answered
    response = client.post(MARK, {**data, "article": "no-such-article"})
    assert response.status_code == 400
    assert "There is no article with this slug" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "marker"),
    [
        ("en", "(a weak match: the assistant would not quote it)"),
        ("fr", "(une correspondance faible : l’assistant ne le citerait pas)"),
        ("ja", "（一致度が低く、アシスタントは引用しません）"),
    ],
)
def test_the_report_marks_a_weak_closest_article_as_the_editors_language_writes_it(
    client: Client, gap_data: dict[str, list[int]], editor: User, language: str, marker: str
) -> None:
    editor.preferred_language = language
    editor.save(update_fields=["preferred_language"])
    client.force_login(editor)
    html = client.get(REPORT).content.decode()
    # Neither gap has an article that answers it: the closest of each is only a weak match.
    assert html.count(f'<span class="content-gap__weak">{marker}</span>') == 2


@pytest.mark.django_db
def test_an_agent_reads_the_report_but_may_not_mark(
    client: Client, gap_data: dict[str, list[int]], agent: User
) -> None:
    client.force_login(agent)
    response = client.get(REPORT)
    assert response.status_code == 200
    assert "Mark answered" not in response.content.decode()
    data = {"article": "fixture-sso-okta", "turn": gap_data["password"]}
    assert client.post(MARK, data).status_code == 403
    assert not ContentGapAnswer.objects.exists()


@pytest.mark.django_db
def test_the_report_page_makes_the_same_queries_however_many_gaps(
    client: Client, gap_data: dict[str, list[int]], editor: User, standard_user: User
) -> None:
    client.force_login(editor)
    client.get(REPORT)
    with CaptureQueriesContext(connection) as few:
        client.get(REPORT)
    for n in range(12):
        _unanswered(standard_user, f"Question number {n} about billing codes")
    client.get(REPORT)  # computes the clusters afresh once
    with CaptureQueriesContext(connection) as more:
        client.get(REPORT)
    assert len(more) == len(few)


def test_the_clusters_are_those_of_a_plain_search_of_the_whole_matrix() -> None:
    """The best-partner bookkeeping gives what merging the globally most similar pair each
    time gives."""

    def plain(similarity: np.ndarray, floor: float) -> list[list[int]]:
        links = similarity.astype(float).copy()
        np.fill_diagonal(links, -np.inf)
        members = [[n] for n in range(len(links))]
        while True:
            i, j = divmod(int(np.argmax(links)), len(links))
            if links[i, j] < floor:
                return [group for group in members if group]
            i, j = min(i, j), max(i, j)
            a, b = len(members[i]), len(members[j])
            merged = (a * links[i] + b * links[j]) / (a + b)
            links[i, :] = links[:, i] = merged
            links[i, i] = -np.inf
            links[j, :] = links[:, j] = -np.inf
            members[i], members[j] = sorted(members[i] + members[j]), []

    rng = np.random.default_rng(7)
    for size in (1, 2, 5, 30, 80):
        vectors = rng.normal(size=(size, 8))
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        similarity = vectors @ vectors.T
        for floor in (0.2, 0.5):
            assert gaps.agglomerate(similarity, floor) == plain(similarity, floor)


@pytest.mark.django_db
def test_the_report_names_the_areas_in_the_readers_language_from_one_clustering(
    gap_data: dict[str, list[int]], surveys_area: ProductArea, clusterings: list[int]
) -> None:
    now = timezone.now()
    german = surveys_area.translations.get(language="de").name
    with translation.override("de"):
        assert selectors.content_gap_report(now=now).clusters[0].areas == [(german, 3)]
    with translation.override("en"):
        assert selectors.content_gap_report(now=now).clusters[0].areas == [(surveys_area.name, 3)]
    assert len(clusterings) == 1
