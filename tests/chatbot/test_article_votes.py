""" "Was this helpful?" on every article page: one answer per reader and article, changeable;
anonymous readers by a signed cookie; clear errors that change nothing; the admin's figures
in one query; nobody sees anybody else's answer."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from chatbot import selectors
from chatbot.models import Article, ArticleVote, Feedback
from chatbot.services import MISSING_MAX_LENGTH, article_vote_set
from chatbot.views import VISITOR_COOKIE
from hub.accounts.models import User

URL = "/support/articles/fixture-reminders/"
VOTE_URL = "/support/articles/fixture-reminders/helpful/"
HTMX = {"HTTP_HX_REQUEST": "true"}


def _section(response: Any) -> str:
    html = response.content.decode()
    start = html.index('id="helpful"')
    return html[start : html.index("</section>", start)]


# --- The service ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_user_has_one_vote_per_article_and_changing_it_updates_that_row(
    fixture_knowledge: dict[str, Article], standard_user: User
) -> None:
    article = fixture_knowledge["fixture-reminders"]
    first = article_vote_set(article=article, answer="yes", language="en", user=standard_user)
    second = article_vote_set(
        article=article, answer="no", language="en", user=standard_user, missing="Steps for SMS"
    )
    assert second.pk == first.pk
    assert ArticleVote.objects.count() == 1
    second.refresh_from_db()
    assert (second.answer, second.missing) == (Feedback.NO, "Steps for SMS")
    # Back to Yes: a Yes keeps no "what was missing".
    third = article_vote_set(article=article, answer="yes", language="en", user=standard_user)
    assert third.pk == first.pk
    assert (third.answer, third.missing) == (Feedback.YES, "")


@pytest.mark.django_db
def test_an_anonymous_visitor_is_one_voter_per_key_and_another_key_is_another_voter(
    fixture_knowledge: dict[str, Article],
) -> None:
    article = fixture_knowledge["fixture-reminders"]
    one, other = selectors.visitor_hash("a" * 32), selectors.visitor_hash("b" * 32)
    article_vote_set(article=article, answer="no", language="en", visitor_hash=one)
    article_vote_set(article=article, answer="yes", language="en", visitor_hash=one)
    article_vote_set(article=article, answer="no", language="en", visitor_hash=other)
    assert sorted(ArticleVote.objects.values_list("answer", flat=True)) == ["no", "yes"]


@pytest.mark.django_db
def test_a_no_without_a_line_keeps_the_line_given_before_and_an_empty_line_clears_it(
    fixture_knowledge: dict[str, Article], standard_user: User
) -> None:
    article = fixture_knowledge["fixture-reminders"]
    vote = {"article": article, "answer": "no", "language": "en", "user": standard_user}
    article_vote_set(**vote, missing="  Screenshots   of the\tsettings ")
    assert ArticleVote.objects.get().missing == "Screenshots of the settings"
    article_vote_set(**vote)
    assert ArticleVote.objects.get().missing == "Screenshots of the settings"
    article_vote_set(**vote, missing="")
    assert ArticleVote.objects.get().missing == ""


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("answer", "missing", "field"),
    [
        ("maybe", "", "answer"),
        ("no", "x" * (MISSING_MAX_LENGTH + 1), "missing"),
        ("no", "line one\x00two", "missing"),
    ],
)
def test_a_refused_vote_names_its_field_and_changes_nothing(
    fixture_knowledge: dict[str, Article],
    standard_user: User,
    answer: str,
    missing: str,
    field: str,
) -> None:
    article = fixture_knowledge["fixture-reminders"]
    article_vote_set(article=article, answer="yes", language="en", user=standard_user)
    with pytest.raises(ValidationError) as refused:
        article_vote_set(
            article=article, answer=answer, language="en", user=standard_user, missing=missing
        )
    assert field in refused.value.message_dict
    vote = ArticleVote.objects.get()
    assert (vote.answer, vote.missing) == ("yes", "")


@pytest.mark.django_db
def test_the_database_refuses_a_second_vote_and_a_yes_with_a_comment(
    fixture_knowledge: dict[str, Article], standard_user: User
) -> None:
    article = fixture_knowledge["fixture-reminders"]
    ArticleVote.objects.create(article=article, user=standard_user, answer="yes", language="en")
    with pytest.raises(IntegrityError), transaction.atomic():
        ArticleVote.objects.create(article=article, user=standard_user, answer="no", language="en")
    with pytest.raises(IntegrityError), transaction.atomic():
        ArticleVote.objects.create(
            article=article, visitor_hash="f" * 64, answer="yes", missing="x", language="en"
        )


# --- The page, with and without JavaScript ------------------------------------------------


@pytest.mark.django_db
def test_every_article_page_asks_in_a_fieldset_with_yes_and_no(
    client: Client, fixture_knowledge: dict[str, Article]
) -> None:
    section = _section(client.get(URL))
    assert "<fieldset" in section
    assert "Was this article helpful?" in section
    assert 'name="answer" value="yes"' in section
    assert 'name="answer" value="no"' in section
    assert 'name="missing"' not in section  # asked only after a No


@pytest.mark.django_db
def test_without_javascript_an_anonymous_no_comes_back_at_the_question_then_says_what_was_missing(
    client: Client, fixture_knowledge: dict[str, Article]
) -> None:
    response = client.post(VOTE_URL, {"answer": "no", "language": "en"})
    assert response.status_code == 302
    assert response["Location"] == f"{URL}#helpful"
    assert VISITOR_COOKIE in response.cookies
    page = client.get(URL)
    section = _section(page)
    assert "Thank you for telling us. If you can, say what was missing." in section
    assert 'aria-pressed="true"' in section
    assert 'name="missing"' in section
    # Shown at the question only, not again at the top of the page.
    assert page.content.decode().count("Thank you for telling us") == 1
    response = client.post(
        VOTE_URL, {"answer": "no", "language": "en", "missing": "How to remind by SMS"}
    )
    assert response.status_code == 302
    vote = ArticleVote.objects.get()
    assert (vote.answer, vote.missing, vote.user) == ("no", "How to remind by SMS", None)
    assert "How to remind by SMS" in _section(client.get(URL))
    # The confirmation is said once, not on every later visit.
    assert "Thank you" not in _section(client.get(URL))


@pytest.mark.django_db
def test_with_htmx_the_question_is_redrawn_in_place(
    client: Client, fixture_knowledge: dict[str, Article], standard_user: User
) -> None:
    client.force_login(standard_user)
    response = client.post(VOTE_URL, {"answer": "no", "language": "en"}, **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    assert 'id="id_missing"' in html
    assert "data-autofocus" in html
    response = client.post(VOTE_URL, {"answer": "yes", "language": "en"}, **HTMX)
    assert "We are glad this article helped" in response.content.decode()
    assert ArticleVote.objects.get().answer == "yes"


@pytest.mark.django_db
def test_a_comment_too_long_is_refused_with_the_error_summary_and_keeps_the_text(
    client: Client, fixture_knowledge: dict[str, Article], standard_user: User
) -> None:
    client.force_login(standard_user)
    client.post(VOTE_URL, {"answer": "no", "language": "en"})
    long = "y" * (MISSING_MAX_LENGTH + 5)
    response = client.post(VOTE_URL, {"answer": "no", "language": "en", "missing": long})
    assert response.status_code == 400
    html = response.content.decode()
    assert "<title>Error:" in html
    assert "There is a problem" in html
    assert f"Keep what was missing under {MISSING_MAX_LENGTH} characters" in html
    assert long in html
    assert ArticleVote.objects.get().missing == ""
    response = client.post(VOTE_URL, {"answer": "no", "language": "en", "missing": long}, **HTMX)
    assert response.status_code == 200
    assert "There is a problem" in response.content.decode()


@pytest.mark.django_db
def test_a_forged_cookie_is_a_new_visitor_and_sees_nobody_elses_vote(
    client: Client, fixture_knowledge: dict[str, Article]
) -> None:
    client.post(VOTE_URL, {"answer": "no", "language": "en"})
    stranger = Client()
    stranger.cookies[VISITOR_COOKIE] = client.cookies[VISITOR_COOKIE].value + "x"
    assert 'aria-pressed="true"' not in _section(stranger.get(URL))
    stranger.post(VOTE_URL, {"answer": "yes", "language": "en"})
    assert sorted(ArticleVote.objects.values_list("answer", flat=True)) == ["no", "yes"]


@pytest.mark.django_db
def test_a_user_of_another_organisation_sees_only_their_own_vote(
    client: Client,
    fixture_knowledge: dict[str, Article],
    standard_user: User,
    outsider: User,
) -> None:
    client.force_login(standard_user)
    client.post(VOTE_URL, {"answer": "no", "language": "en", "missing": "Acme's secret plan"})
    other = Client()
    other.force_login(outsider)
    html = other.get(URL).content.decode()
    assert "Acme's secret plan" not in html
    assert 'aria-pressed="true"' not in _section(other.get(URL))


@pytest.mark.django_db
def test_anonymous_votes_are_rate_limited_per_address(
    client: Client, fixture_knowledge: dict[str, Article]
) -> None:
    for n in range(20):
        Client().post(VOTE_URL, {"answer": "yes", "language": "en"}, REMOTE_ADDR="10.0.0.9")
        assert ArticleVote.objects.count() == n + 1
    response = client.post(VOTE_URL, {"answer": "yes", "language": "en"}, REMOTE_ADDR="10.0.0.9")
    assert response.status_code == 429
    assert "Wait a minute" in response.content.decode()
    assert ArticleVote.objects.count() == 20


@pytest.mark.django_db
def test_an_unpublished_article_takes_no_vote(
    client: Client, fixture_knowledge: dict[str, Article]
) -> None:
    Article.objects.filter(slug="fixture-reminders").update(is_published=False)
    assert client.post(VOTE_URL, {"answer": "yes"}).status_code == 404
    assert client.get(VOTE_URL).status_code == 405
    assert not ArticleVote.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["anonymous", "standard_user"])
def test_the_article_page_reads_the_vote_in_one_query_however_many_votes_there_are(
    client: Client,
    request: pytest.FixtureRequest,
    fixture_knowledge: dict[str, Article],
    who: str,
) -> None:
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    client.post(VOTE_URL, {"answer": "no", "language": "en", "missing": "More"})
    client.get(URL)
    with CaptureQueriesContext(connection) as few:
        assert client.get(URL).status_code == 200
    article = fixture_knowledge["fixture-reminders"]
    for n in range(15):
        article_vote_set(
            article=article,
            answer="no",
            language="en",
            visitor_hash=selectors.visitor_hash(f"{n:032d}"),
        )
    with CaptureQueriesContext(connection) as more:
        assert client.get(URL).status_code == 200
    assert len(more) == len(few)
    # The page's four and the reader's vote; a signed-in reader adds the user and the
    # FedRAMP check (their session is read from Redis).
    assert len(few) == (5 if who == "anonymous" else 7)


# --- The admin's figures ----------------------------------------------------------------------


@pytest.fixture
def superuser(db: None) -> User:
    return User.objects.create_superuser(
        username="editor@hub.example", email="editor@hub.example", password="x"
    )


@pytest.mark.django_db
def test_the_admin_list_shows_yes_no_and_share_in_a_fixed_number_of_queries(
    client: Client,
    fixture_knowledge: dict[str, Article],
    superuser: User,
) -> None:
    client.force_login(superuser)
    article = fixture_knowledge["fixture-reminders"]
    for n, answer in enumerate(["yes", "yes", "yes", "no"]):
        article_vote_set(
            article=article,
            answer=answer,
            language="en",
            visitor_hash=selectors.visitor_hash(f"{n:032d}"),
        )
    client.get("/admin/chatbot/article/")
    with CaptureQueriesContext(connection) as few:
        response = client.get("/admin/chatbot/article/")
    html = response.content.decode()
    row = html[html.index("fixture-reminders") :]
    row = row[: row.index("</tr>")]
    assert '<td class="field-helpful_yes">3</td>' in row
    assert '<td class="field-helpful_no">1</td>' in row
    assert "75%" in row
    for n in range(10):
        for slug in fixture_knowledge:
            article_vote_set(
                article=fixture_knowledge[slug],
                answer="no",
                language="en",
                visitor_hash=selectors.visitor_hash(f"{slug[:8]}{n:024d}"),
            )
    with CaptureQueriesContext(connection) as more:
        client.get("/admin/chatbot/article/")
    assert len(more) == len(few)
    # Sorted by share helpful: the query still works.
    assert client.get("/admin/chatbot/article/?o=8").status_code == 200


@pytest.mark.django_db
def test_the_article_change_page_lists_what_readers_said_was_missing(
    client: Client, fixture_knowledge: dict[str, Article], superuser: User
) -> None:
    article = fixture_knowledge["fixture-reminders"]
    article_vote_set(
        article=article,
        answer="no",
        language="en",
        visitor_hash=selectors.visitor_hash("c" * 32),
        missing="An example of a reminder email",
    )
    client.force_login(superuser)
    html = client.get(f"/admin/chatbot/article/{article.pk}/change/").content.decode()
    assert "An example of a reminder email" in html


@pytest.mark.django_db
def test_the_question_and_its_confirmation_are_in_the_readers_language(
    client: Client, fixture_knowledge: dict[str, Article]
) -> None:
    client.cookies["django_language"] = "de"
    assert "War dieser Artikel hilfreich?" in _section(client.get(URL))
    response = client.post(VOTE_URL, {"answer": "no", "language": "en"}, **HTMX)
    html = response.content.decode()
    assert "Danke für Ihre Rückmeldung" in html
    assert "Was hat gefehlt? (optional)" in html


@pytest.mark.django_db
def test_a_rate_limited_htmx_answer_says_so_in_place_and_keeps_nothing(
    client: Client, fixture_knowledge: dict[str, Article]
) -> None:
    for _n in range(20):
        Client().post(VOTE_URL, {"answer": "yes", "language": "en"}, REMOTE_ADDR="10.0.0.7")
    response = client.post(
        VOTE_URL, {"answer": "no", "language": "en"}, REMOTE_ADDR="10.0.0.7", **HTMX
    )
    assert response.status_code == 200  # htmx draws only successful answers
    assert "Wait a minute, then try again" in response.content.decode()
    assert not ArticleVote.objects.filter(answer="no").exists()
