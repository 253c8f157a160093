"""Waits that prove themselves: the wait a callback was quoted is kept with the ticket, the
real wait beside it when an agent takes the call, the confirmation says why a figure changed,
and the staff report compares them per queue and week."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from hub.accounts.models import OutboundEmail, User
from routing.configuration import current_configuration
from routing.erlang import WaitInputs, estimate_wait
from routing.models import Agent, ProductArea
from routing.waits import wait_change_reasons
from tests.conftest import SESSION_QUERIES
from tests.hub import contact_world
from tests.hub.test_contact_forms import phone_data, url
from tickets.models import CallbackRequest, Channel, Team, Ticket, WaitQuote
from tickets.numbering import next_ticket_number
from tickets.selectors import wait_accuracy
from tickets.services import callback_take_next

pytestmark = pytest.mark.django_db

EIGHT_MINUTES = 480.0


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def world(db: None, product_areas: list[ProductArea]) -> list[Agent]:
    return contact_world.open_world()


@pytest.fixture
def signed_in(client: Client, standard_user: User, world: list[Agent]) -> Client:
    client.force_login(standard_user)
    return client


def text_of(response: Any) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def shown_wait_of(page: Any) -> str:
    found = re.search(r'name="shown_wait" value="([^"]*)"', page.content.decode())
    assert found is not None
    return found.group(1)


def phone_ticket(requester: User, area: ProductArea, *, language: str = "en") -> Ticket:
    return Ticket.objects.create(
        number=next_ticket_number(),
        requester=requester,
        organisation=requester.membership.organisation,
        team=Team.TECHNICAL,
        product_area=area,
        channel=Channel.PHONE,
        language=language,
        subject="Another customer's callback",
        phone_number="+442079460000",
    )


def callbacks_waiting(requester: User, area: ProductArea, count: int) -> None:
    """Callbacks of other customers that joined the queue a little earlier."""
    for n in range(count):
        CallbackRequest.objects.create(
            ticket=phone_ticket(requester, area),
            language="en",
            product_area=area,
            team="general",
            enqueued_at=timezone.now() - timedelta(minutes=10 - n),
        )


def submit(
    client: Client, area: ProductArea, capture: Callable[..., Any], **changes: Any
) -> Ticket:
    with capture(execute=True):
        response = client.post(url(area, "phone"), phone_data(area, **changes))
    assert response.status_code == 302, text_of(response)
    return Ticket.objects.get(number=response["Location"].rstrip("/").rsplit("/", 1)[1])


# --- Recording ----------------------------------------------------------------------------


def test_a_callback_keeps_the_wait_the_form_showed_with_what_it_was_worked_out_from(
    signed_in: Client,
    surveys_area: ProductArea,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    form = signed_in.get(url(surveys_area, "phone"))
    assert "About 1 minute for a callback in English." in text_of(form)
    ticket = submit(
        signed_in, surveys_area, django_capture_on_commit_callbacks, shown_wait=shown_wait_of(form)
    )

    quote = WaitQuote.objects.get(ticket=ticket)
    # Two English agents of general support on shift, nobody waiting, no arrivals measured.
    expected = estimate_wait(arrivals_per_hour=0, agents=2, waiting=0, handle_seconds=EIGHT_MINUTES)
    assert (quote.expected_seconds, quote.low_seconds, quote.high_seconds) == (
        expected.expected_seconds,
        expected.low_seconds,
        expected.high_seconds,
    )
    assert (quote.agents, quote.arrivals_per_hour, quote.handle_seconds, quote.position) == (
        2,
        0.0,
        EIGHT_MINUTES,
        1,
    )
    assert (quote.language, quote.product_area, quote.team) == ("en", surveys_area, "general")
    assert quote.taken_at is None and quote.actual_seconds is None


def test_a_hand_edited_figure_is_not_kept_the_wait_is_worked_out_afresh(
    signed_in: Client,
    surveys_area: ProductArea,
    standard_user: User,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    callbacks_waiting(standard_user, surveys_area, 3)
    ticket = submit(
        signed_in, surveys_area, django_capture_on_commit_callbacks, shown_wait="forged:1"
    )
    quote = WaitQuote.objects.get(ticket=ticket)
    assert (quote.position, quote.agents) == (4, 2)
    assert quote.expected_seconds == pytest.approx(4 * EIGHT_MINUTES / 2)


def test_a_callback_for_when_its_language_opens_keeps_no_wait(
    signed_in: Client,
    surveys_area: ProductArea,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    contact_world.italian_closed()
    ticket = submit(
        signed_in, surveys_area, django_capture_on_commit_callbacks, language="it",
        english_choice_made="True",
    )  # fmt: skip
    assert ticket.callback_due_at is not None
    assert not WaitQuote.objects.filter(ticket=ticket).exists()


def test_taking_the_call_keeps_the_real_wait_beside_the_quoted_one(
    signed_in: Client,
    surveys_area: ProductArea,
    world: list[Agent],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    ticket = submit(signed_in, surveys_area, django_capture_on_commit_callbacks)
    enqueued_at = CallbackRequest.objects.get(ticket=ticket).enqueued_at
    taken = callback_take_next(
        agent=world[0].user,
        languages=["en"],
        area_ids=None,
        teams=["general"],
        now=enqueued_at + timedelta(minutes=7),
    )
    assert taken is not None and taken.ticket_id == ticket.pk
    quote = WaitQuote.objects.get(ticket=ticket)
    assert quote.taken_at == enqueued_at + timedelta(minutes=7)
    assert quote.actual_seconds == 7 * 60


# --- The confirmation never changes a figure without saying why -----------------------------


def test_the_confirmation_repeats_the_forms_figure_while_nothing_has_changed(
    signed_in: Client,
    surveys_area: ProductArea,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    form = signed_in.get(url(surveys_area, "phone"))
    ticket = submit(
        signed_in, surveys_area, django_capture_on_commit_callbacks, shown_wait=shown_wait_of(form)
    )
    page = text_of(signed_in.get(f"/hub/requests/{ticket.number}/"))
    assert "Estimated wait: about 1 minute." in page
    assert "When you asked" not in page


@pytest.mark.parametrize(
    ("language", "sentence"),
    [
        ("en", "Estimated wait: about 1 minute."),
        ("fr", "Attente estimée : environ 1 minute."),
        ("ja", "予想待ち時間：約1分。"),
    ],
)
def test_the_confirmation_ends_the_wait_as_the_readers_language_ends_a_sentence(
    signed_in: Client,
    surveys_area: ProductArea,
    standard_user: User,
    django_capture_on_commit_callbacks: Callable[..., Any],
    language: str,
    sentence: str,
) -> None:
    standard_user.preferred_language = language
    standard_user.save(update_fields=["preferred_language"])
    ticket = submit(signed_in, surveys_area, django_capture_on_commit_callbacks)
    page = text_of(signed_in.get(f"/hub/requests/{ticket.number}/"))
    assert sentence in page
    # The full stop belongs to the sentence: Japanese ends it with its own, not an English one.
    assert f"{sentence}." not in page


def test_the_confirmation_says_more_people_asked_when_its_figure_grew_since_the_form(
    signed_in: Client,
    surveys_area: ProductArea,
    standard_user: User,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    form = signed_in.get(url(surveys_area, "phone"))
    # Between reading the form and sending it, three others asked for a callback.
    callbacks_waiting(standard_user, surveys_area, 3)
    ticket = submit(
        signed_in, surveys_area, django_capture_on_commit_callbacks, shown_wait=shown_wait_of(form)
    )
    assert WaitQuote.objects.get(ticket=ticket).position == 1

    page = text_of(signed_in.get(f"/hub/requests/{ticket.number}/"))
    assert "You are number 4 in the queue for a callback." in page
    assert "Estimated wait: about 16 minutes." in page
    assert (
        "When you asked, the estimate was about 1 minute. More people asked for a callback since."
        in page
    )
    live = text_of(signed_in.get(f"/hub/requests/{ticket.number}/", HTTP_HX_REQUEST="true"))
    assert "More people asked for a callback since." in live


def test_the_confirmation_says_the_language_changed_when_the_callback_moved_queue(
    signed_in: Client,
    surveys_area: ProductArea,
    standard_user: User,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    form = signed_in.get(url(surveys_area, "phone"))
    ticket = submit(
        signed_in, surveys_area, django_capture_on_commit_callbacks, shown_wait=shown_wait_of(form)
    )
    for minutes_ago in (30, 20):
        CallbackRequest.objects.create(
            ticket=phone_ticket(standard_user, surveys_area, language="it"),
            language="it",
            product_area=surveys_area,
            team="general",
            enqueued_at=timezone.now() - timedelta(minutes=minutes_ago),
        )
    with django_capture_on_commit_callbacks(execute=True):
        signed_in.post(
            f"/hub/requests/{ticket.number}/callback/",
            {"country": "GB", "number": "020 7946 0123", "extension": "", "language": "it"},
        )
    page = text_of(signed_in.get(f"/hub/requests/{ticket.number}/"))
    assert "You are number 3 in the queue for a callback." in page
    assert (
        "When you asked, the estimate was about 1 minute. You changed the language of the call."
        in page
    )


@pytest.mark.parametrize(
    ("changes", "reasons"),
    [
        ({"position": 4}, ["More people asked for a callback since."]),
        ({"position": 2, "agents": 1}, ["Fewer agents are on duty now."]),
        (
            {"position": 1, "agents": 3},
            ["People ahead of you have been called since.", "More agents are on duty now."],
        ),
        ({"handle_seconds": 720.0}, ["Calls are taking longer than they were."]),
        ({"handle_seconds": 300.0}, ["Calls are taking less time than they were."]),
        (
            {"position": 1, "arrivals_per_hour": 30.0},
            [
                "People ahead of you have been called since.",
                "More people are asking for callbacks now.",
            ],
        ),
        ({"handle_seconds": 490.0}, ["The queue has changed since."]),
    ],
)
def test_a_changed_wait_names_what_changed(changes: dict[str, Any], reasons: list[str]) -> None:
    quoted = WaitInputs(
        agents=2,
        arrivals_per_hour=6.0,
        handle_seconds=EIGHT_MINUTES,
        position=2,
        effective_handle_seconds=EIGHT_MINUTES,
    )
    assert wait_change_reasons(quoted, _with(quoted, changes)) == reasons


def _with(inputs: WaitInputs, changes: dict[str, Any]) -> WaitInputs:
    fields = {
        "agents": inputs.agents,
        "arrivals_per_hour": inputs.arrivals_per_hour,
        "handle_seconds": inputs.handle_seconds,
        "position": inputs.position,
        "effective_handle_seconds": inputs.effective_handle_seconds,
    }
    return WaitInputs(**{**fields, **changes})


# --- The report -----------------------------------------------------------------------------

MONDAY = datetime(2026, 11, 2, 9, tzinfo=UTC)


def quote_add(
    ticket: Ticket,
    *,
    at: datetime,
    expected: float,
    low: float,
    high: float,
    actual: float | None,
) -> WaitQuote:
    return WaitQuote.objects.create(
        ticket=ticket,
        language=ticket.language,
        product_area=ticket.product_area,
        team="general",
        quoted_at=at,
        expected_seconds=expected,
        low_seconds=low,
        high_seconds=high,
        agents=2,
        arrivals_per_hour=6,
        handle_seconds=EIGHT_MINUTES,
        position=1,
        taken_at=None if actual is None else at + timedelta(seconds=actual),
        actual_seconds=actual,
    )


def constructed_quotes(requester: User, area: ProductArea) -> None:
    """Week of 2 November, English: quoted 5 min each, real waits 3, 6 and 14 minutes and
    one still waiting; Italian: one quote, 2 minutes late. Week of 9 November, English: one."""
    english = [(300, 180, 600, 180), (300, 180, 600, 360), (300, 180, 600, 840)]
    for expected, low, high, actual in english:
        quote_add(
            phone_ticket(requester, area), at=MONDAY, expected=expected, low=low, high=high,
            actual=actual,
        )  # fmt: skip
    quote_add(
        phone_ticket(requester, area), at=MONDAY, expected=300, low=180, high=600, actual=None
    )
    quote_add(
        phone_ticket(requester, area, language="it"),
        at=MONDAY + timedelta(days=2),
        expected=600,
        low=400,
        high=1200,
        actual=720,
    )
    quote_add(
        phone_ticket(requester, area),
        at=MONDAY + timedelta(days=7),
        expected=120,
        low=0,
        high=300,
        actual=60,
    )


def test_the_report_gives_mean_error_and_share_inside_the_range_per_queue_and_week(
    standard_user: User, surveys_area: ProductArea
) -> None:
    constructed_quotes(standard_user, surveys_area)
    rows = wait_accuracy(
        since=MONDAY - timedelta(days=1), until=MONDAY + timedelta(days=14), zone=UTC
    )
    summary = [
        (
            str(row.week), row.language, row.quoted, row.taken, row.quoted_mean,
            row.actual_mean, row.mean_error, row.inside_share,
        )
        for row in rows
    ]  # fmt: skip
    assert summary == [
        ("2026-11-09", "en", 1, 1, 120.0, 60.0, -60.0, 1.0),
        ("2026-11-02", "en", 4, 3, 300.0, 460.0, 160.0, pytest.approx(2 / 3)),
        ("2026-11-02", "it", 1, 1, 600.0, 720.0, 120.0, 1.0),
    ]


def test_the_report_is_for_staff_only(client: Client, standard_user: User, agent: User) -> None:
    client.force_login(standard_user)
    assert client.get("/hub/agents/waits/").status_code == 404
    client.force_login(agent)
    assert client.get("/hub/agents/waits/").status_code == 200


def test_the_report_shows_the_numbers_and_its_queries_do_not_grow_with_the_tickets(
    client: Client,
    agent: User,
    standard_user: User,
    surveys_area: ProductArea,
    django_assert_num_queries: Callable[..., Any],
) -> None:
    client.force_login(agent)
    now = timezone.now()
    for n in range(3):
        quote_add(
            phone_ticket(standard_user, surveys_area), at=now - timedelta(hours=n),
            expected=300, low=180, high=600, actual=360,
        )  # fmt: skip
    # Who is asking, then one aggregate query; the areas are named from the process's
    # shared configuration, read once before.
    current_configuration()
    with django_assert_num_queries(SESSION_QUERIES + 2):
        few = client.get("/hub/agents/waits/")
    page = text_of(few)
    assert "<h1>Quoted and actual callback waits</h1>" in page
    assert '<td class="numeric">5.0</td> <td class="numeric">6.0</td>' in page
    assert '<td class="numeric">1.0</td> <td class="numeric">100 %</td>' in page

    for n in range(60):
        quote_add(
            phone_ticket(standard_user, surveys_area), at=now - timedelta(days=n % 20),
            expected=300, low=180, high=600, actual=None if n % 3 else 900,
        )  # fmt: skip
    with django_assert_num_queries(SESSION_QUERIES + 2):
        many = client.get("/hub/agents/waits/?weeks=4")
    assert many.status_code == 200


def test_the_confirmation_email_gives_a_range_only_where_its_ends_read_differently(
    signed_in: Client,
    surveys_area: ProductArea,
    standard_user: User,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    def email_of(ticket: Ticket) -> str:
        return OutboundEmail.objects.get(
            purpose="confirmation", subject__contains=ticket.number
        ).body

    first = submit(signed_in, surveys_area, django_capture_on_commit_callbacks)
    # Next in the queue: every end of the range is about a minute away.
    assert "Estimated wait: about 1 minute." in email_of(first)
    assert "between" not in email_of(first)
    callbacks_waiting(standard_user, surveys_area, 3)
    fifth = submit(signed_in, surveys_area, django_capture_on_commit_callbacks)
    assert re.search(
        r"Expected wait: about 20 minutes \(between \d+ minutes and \d+ minutes\)\.",
        email_of(fifth),
    )
