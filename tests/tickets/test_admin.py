"""R-ADMIN: agents work the queue in the admin, through the services and the state machine."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.contrib.admin.helpers import Fieldset
from django.contrib.admin.templatetags.admin_list import items_for_result, result_list
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.template import Context, Template
from django.template.loader import get_template
from django.test import Client
from django.test.html import parse_html
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import strip_tags

from hub.accounts.models import StaffRole, User
from hub.accounts.services import staff_groups_ensure
from routing.models import Agent, ProductArea
from tests.tickets.history_world import assistant_turn_attach
from tickets.models import (
    CallbackRequest,
    Channel,
    ConferenceBooking,
    EventKind,
    Status,
    Team,
    Ticket,
)
from tickets.selectors import callback_queue_summary
from tickets.services import (
    callback_enqueue,
    ticket_assign,
    ticket_create,
    ticket_reply,
)
from tickets.templatetags.admin_fieldsets import readonly_fieldset
from tickets.templatetags.admin_rows import fast_result_list, rows


@pytest.fixture
def rostered_agent(agent: User) -> User:
    Agent.objects.create(user=agent, team="general", languages=["en"])
    return agent


@pytest.fixture
def agent_client(client: Client, rostered_agent: User) -> Client:
    client.force_login(rostered_agent)
    return client


# The change form's inlines: the timeline, attachments and the conference booking.
INLINES = {
    f"{prefix}-{key}": value
    for prefix in ("events", "attachments", "conference")
    for key, value in (("TOTAL_FORMS", "0"), ("INITIAL_FORMS", "0"))
}


def callback_for(user: User, area: ProductArea | None = None, *, recording: bool = True) -> Ticket:
    ticket = ticket_create(
        requester=user,
        channel=Channel.PHONE,
        team=Team.TECHNICAL,
        subject="Heatmap is empty",
        language="en",
        product_area=area,
        phone_number="+442079460018",
        phone_extension="204",
        recording_consent=recording,
    )
    # What the worker does after commit (tests in a transaction never commit).
    callback_enqueue(ticket_id=ticket.pk)
    return ticket


@pytest.mark.django_db
def test_the_changelist_filters_and_searches_by_number_and_email(
    agent_client: Client, standard_user: User, brand_admin: User
) -> None:
    mine = callback_for(standard_user)
    other = ticket_create(
        requester=brand_admin, channel=Channel.EMAIL, team=Team.TECHNICAL, subject="Billing"
    )
    url = reverse("admin:tickets_ticket_changelist")
    by_number = agent_client.get(url, {"q": mine.number}).content.decode()
    assert mine.number in by_number and other.number not in by_number
    by_email = agent_client.get(url, {"q": "admin@acme.example"}).content.decode()
    assert other.number in by_email and mine.number not in by_email
    queued = agent_client.get(url, {"status__exact": "queued", "channel__exact": "phone"})
    assert mine.number in queued.content.decode()
    for parameter in (
        "team__exact=technical",
        "enterprise=yes",
        "verified=waiting",
        "language__exact=en",
    ):
        assert agent_client.get(f"{url}?{parameter}").status_code == 200


@pytest.mark.django_db
def test_the_changelist_shows_the_waiting_queues(agent_client: Client, standard_user: User) -> None:
    callback_for(standard_user)
    html = agent_client.get(reverse("admin:tickets_ticket_changelist")).content.decode()
    assert "Callback queues" in html and "Take next callback" in html


@pytest.mark.smoke
@pytest.mark.django_db
def test_the_queue_summary_counts_what_waits_now_oldest_queue_first(
    rostered_agent: User, standard_user: User, surveys_area: ProductArea
) -> None:
    """Its statement is compiled once per process; what it reads is read every time."""
    with translation.override("en"):
        assert callback_queue_summary() == []
        times = [datetime(2026, 3, 2, 9, minute, tzinfo=UTC) for minute in (5, 1, 7, 3)]
        tickets = [
            callback_for(standard_user, area)
            for area in (surveys_area, surveys_area, None, surveys_area)
        ]
        for ticket, moment in zip(tickets, times, strict=True):
            CallbackRequest.objects.filter(ticket=ticket).update(enqueued_at=moment)
        # The oldest of the area's queue is taken: the next oldest is its oldest now.
        CallbackRequest.objects.filter(ticket=tickets[1]).update(
            taken_at=timezone.now(), taken_by=rostered_agent
        )
        lines = callback_queue_summary()
        assert [(line.area, line.waiting, line.oldest) for line in lines] == [
            (str(surveys_area), 2, times[3]),
            ("", 1, times[2]),
        ]
        assert lines[0].oldest.utcoffset() is not None
        assert [line.team_label for line in lines] == ["General support"] * 2
        callback_for(standard_user)
        assert [line.waiting for line in callback_queue_summary()] == [2, 2]


# The summary's line: the template's filters for its cells, and how long its oldest waited.
QUEUE_LINE = Template(
    "{% load moments %}<tr><td>{{ line.language_label }}</td>"
    '<td>{{ line.area|default:"—" }}</td><td>{{ line.team_label }}</td>'
    "<td>{{ line.waiting }}</td>"
    '<td>{{ line.oldest|moment:"weekday short time" }}{{ waited }}</td></tr>'
)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "waited"),
    [
        ("en", " (1 hour 6 minutes)"),
        ("de", " (1 Stunde 6 Minuten)"),
        # One duration, brackets full width: no space, no ASCII bracket, no English comma.
        ("ja", "（1時間6分）"),
    ],
)
def test_the_changelist_writes_each_waiting_queue_and_how_long_it_waited_in_the_agents_words(
    agent_client: Client,
    rostered_agent: User,
    standard_user: User,
    surveys_area: ProductArea,
    language: str,
    waited: str,
) -> None:
    for area in (surveys_area, surveys_area, None):
        callback_for(standard_user, area)
    # Rounded to the minute, as the customers' waits are: 66 minutes for the next 25 seconds.
    CallbackRequest.objects.update(enqueued_at=timezone.now() - timedelta(minutes=66, seconds=5))
    rostered_agent.preferred_language, rostered_agent.time_zone = language, "Asia/Tokyo"
    rostered_agent.save(update_fields=["preferred_language", "time_zone"])
    html = agent_client.get(reverse("admin:tickets_ticket_changelist")).content.decode()
    with translation.override(language), timezone.override("Asia/Tokyo"):
        lines = callback_queue_summary()
        written = [QUEUE_LINE.render(Context({"line": line, "waited": waited})) for line in lines]
    assert sorted(line.waiting for line in lines) == [1, 2]
    assert "—" in "".join(written)  # the queue of no area
    for row in written:
        assert row in html


@pytest.mark.django_db
def test_take_next_callback_opens_everything_the_agent_needs_on_one_screen(
    agent_client: Client, seat_holder: User, surveys_area: ProductArea
) -> None:
    ticket = callback_for(seat_holder, surveys_area, recording=False)
    response = agent_client.post(reverse("admin:tickets_ticket_take_next_callback"))
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:tickets_ticket_callback", args=[ticket.pk])
    html = agent_client.get(response["Location"]).content.decode()
    for expected in (
        "Globex",
        "Enterprise",
        "+44 20 7946 0018",  # as the agent reads it out
        "204",
        "Surveys",
        "RECORDING REFUSED",
        "Support must NOT log into the account",
    ):
        assert expected in html, expected
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS


@pytest.mark.parametrize(
    ("language", "labels"),
    [
        (
            "en",
            [
                "Language: English",
                "Subject: Heatmap is empty",
                "Customer: Why",
                "Articles: Heatmaps",
            ],
        ),
        # Each language writes a label's colon its own way.
        (
            "fr",
            ["Langue : Anglais", "Objet : Heatmap is empty", "Client : Why", "Articles : Heatmaps"],
        ),
        ("ja", ["言語： 英語", "件名： Heatmap is empty", "お客様： Why", "記事： Heatmaps"]),
    ],
)
@pytest.mark.django_db
def test_the_callback_screen_labels_its_lines_as_the_agents_language_writes_them(
    agent_client: Client,
    rostered_agent: User,
    seat_holder: User,
    surveys_area: ProductArea,
    language: str,
    labels: list[str],
) -> None:
    rostered_agent.preferred_language = language
    rostered_agent.save(update_fields=["preferred_language"])
    ticket = callback_for(seat_holder, surveys_area)
    assistant_turn_attach(
        ticket,
        question="Why is the heatmap empty?",
        answer="It fills once responses come in.",
        article=("Heatmaps", "/support/articles/heatmaps/"),
    )
    html = agent_client.get(reverse("admin:tickets_ticket_callback", args=[ticket.pk]))
    text = " ".join(strip_tags(html.content.decode()).split())
    assert [label for label in labels if label in text] == labels


@pytest.mark.django_db
def test_with_nothing_waiting_the_agent_is_told_so(agent_client: Client) -> None:
    response = agent_client.post(reverse("admin:tickets_ticket_take_next_callback"), follow=True)
    assert "No callback is waiting" in response.content.decode()


@pytest.mark.django_db
def test_a_reply_and_a_status_change_from_the_admin_go_through_the_services(
    agent_client: Client, standard_user: User, rostered_agent: User
) -> None:
    ticket = ticket_create(
        requester=standard_user, channel=Channel.EMAIL, team=Team.TECHNICAL, subject="Export"
    )
    url = reverse("admin:tickets_ticket_change", args=[ticket.pk])
    response = agent_client.post(
        url,
        {
            "assigned_to": rostered_agent.pk,
            "move_to": "solved",
            "reply": "The export works again: could you confirm?",
            **INLINES,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    ticket.refresh_from_db()
    assert ticket.status == Status.SOLVED
    assert ticket.assigned_to == rostered_agent
    assert ticket.events.filter(kind=EventKind.COMMENT, message__contains="confirm").exists()


@pytest.mark.django_db
def test_a_reply_that_solves_the_ticket_is_one_email_that_says_both(
    agent_client: Client,
    standard_user: User,
    django_capture_on_commit_callbacks: Any,
    mailoutbox: list[EmailMessage],
) -> None:
    ticket = ticket_create(
        requester=standard_user, channel=Channel.EMAIL, team=Team.TECHNICAL, subject="Export"
    )
    url = reverse("admin:tickets_ticket_change", args=[ticket.pk])
    with django_capture_on_commit_callbacks(execute=True):
        agent_client.post(url, {"move_to": "solved", "reply": "The export works again.", **INLINES})
    # The reply's email, and no status email beside it.
    [message] = mailoutbox
    assert "The export works again." in message.body
    assert "Your ticket is now: Solved." in message.body
    assert "reply to this email and we will reopen it" in message.body


@pytest.mark.django_db
def test_a_move_the_state_machine_refuses_saves_nothing_of_the_reply(
    standard_user: User, rostered_agent: User
) -> None:
    ticket = ticket_create(
        requester=standard_user, channel=Channel.EMAIL, team=Team.TECHNICAL, subject="Export"
    )
    Ticket.objects.filter(pk=ticket.pk).update(status=Status.CLOSED)
    with pytest.raises(ValidationError):
        ticket_reply(ticket=ticket, agent=rostered_agent, body="Hello", move_to=Status.IN_PROGRESS)
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED
    assert not ticket.events.filter(kind=EventKind.COMMENT).exists()


@pytest.mark.django_db
def test_the_admin_offers_only_the_moves_the_state_machine_allows(
    agent_client: Client, standard_user: User
) -> None:
    ticket = ticket_create(
        requester=standard_user, channel=Channel.EMAIL, team=Team.TECHNICAL, subject="Export"
    )
    Ticket.objects.filter(pk=ticket.pk).update(status=Status.CLOSED)
    url = reverse("admin:tickets_ticket_change", args=[ticket.pk])
    response = agent_client.post(url, {"move_to": "in_progress", **INLINES})
    assert response.status_code == 200  # the form is shown again with the error
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED


@pytest.mark.django_db
def test_a_ticket_given_to_someone_who_is_no_active_agent_is_refused_and_unchanged(
    agent_client: Client, standard_user: User, rostered_agent: User
) -> None:
    ticket = ticket_create(
        requester=standard_user, channel=Channel.EMAIL, team=Team.TECHNICAL, subject="Export"
    )
    former = User.objects.create_user(
        username="former@hub.example", email="former@hub.example", is_staff=True, is_active=False
    )
    url = reverse("admin:tickets_ticket_change", args=[ticket.pk])
    for someone in (standard_user, former):
        response = agent_client.post(url, {"assigned_to": someone.pk, **INLINES})
        assert response.status_code == 200
        assert "Select a valid choice" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.assigned_to is None
    assert not ticket.events.exclude(kind=EventKind.CREATED).exists()


@pytest.mark.django_db
def test_a_conference_tickets_admin_page_shows_its_booking(
    agent_client: Client, standard_user: User, rostered_agent: User
) -> None:
    ticket = ticket_create(
        requester=standard_user, channel=Channel.CONFERENCE, team=Team.ENTERPRISE, subject="Call"
    )
    ConferenceBooking.objects.create(
        ticket=ticket,
        starts_at=datetime(2026, 3, 10, 14, 30, tzinfo=UTC),
        host=Agent.objects.get(user=rostered_agent),
        screen_sharing=True,
    )
    page = agent_client.get(reverse("admin:tickets_ticket_change", args=[ticket.pk])).content
    booking = page.decode().split('id="conference-group"')[1].split("</fieldset>")[0]
    assert "Conference call" in booking and "agent@hub.example" in booking
    assert "2026" in booking and ("14:30" in booking or "2:30" in booking)


@pytest.mark.django_db
def test_every_admin_action_on_an_unverified_ticket_is_refused(
    agent_client: Client, seat_holder: User, rostered_agent: User
) -> None:
    ticket = ticket_create(
        requester=seat_holder,
        channel=Channel.EMAIL,
        team=Team.ENTERPRISE,
        subject="Passed on",
        verification_required=True,
    )
    url = reverse("admin:tickets_ticket_change", args=[ticket.pk])
    blank = INLINES
    for change in (
        {"move_to": "in_progress"},
        {"reply": "Hello"},
        {"assigned_to": rostered_agent.pk},
    ):
        response = agent_client.post(url, {**blank, **change})
        assert response.status_code == 200
        assert "waits for the customer to verify" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW and ticket.assigned_to is None
    assert not ticket.events.exclude(kind=EventKind.CREATED).exists()


@pytest.mark.django_db
def test_only_a_tsm_may_pass_a_question_to_enterprise(
    agent_client: Client, client: Client, seat_holder: User
) -> None:
    url = reverse("admin:tickets_ticket_pass_to_enterprise")
    assert agent_client.get(url).status_code == 403
    tsm = User.objects.create_user(username="t", email="t@hub.example", is_staff=True)
    tsm.groups.add(staff_groups_ensure()[StaffRole.TSM])
    client.force_login(tsm)
    response = client.post(
        url,
        {
            "customer": seat_holder.pk,
            "subject": "Quota",
            "question": "Raise it?",
            "thread_message_id": "<t1@mail.example>",
        },
    )
    assert response.status_code == 302
    ticket = Ticket.objects.get(subject="Quota")
    assert ticket.awaits_verification and ticket.requester == seat_holder


@pytest.mark.django_db
def test_the_changelist_query_count_does_not_grow_with_the_tickets(
    agent_client: Client, standard_user: User, django_assert_max_num_queries: object
) -> None:
    for _ in range(3):
        callback_for(standard_user)
    url = reverse("admin:tickets_ticket_changelist")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    # The first page of the process also reads the shared configuration (the areas' names).
    agent_client.get(url)
    with CaptureQueriesContext(connection) as few:
        agent_client.get(url)
    for n in range(30):
        ticket_create(
            requester=standard_user,
            channel=Channel.EMAIL,
            team=Team.TECHNICAL,
            subject=f"More {n}",
        )
    with CaptureQueriesContext(connection) as many:
        agent_client.get(url)
    assert len(many) == len(few)


def _tags_only(html: str) -> str:
    """The markup with the whitespace between and around elements dropped."""
    return re.sub(r"\s+", " ", re.sub(r">\s+", ">", re.sub(r"\s+<", "<", html))).strip()


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "de"])
def test_the_read_only_fieldsets_are_drawn_as_the_admin_template_draws_them(
    agent_client: Client, rostered_agent: User, standard_user: User, language: str
) -> None:
    rostered_agent.preferred_language = language
    rostered_agent.save(update_fields=["preferred_language"])
    ticket = callback_for(standard_user)
    response = agent_client.get(reverse("admin:tickets_ticket_change", args=[ticket.pk]))
    page = _tags_only(response.content.decode())
    stock = get_template("admin/includes/fieldset.html")
    drawn_by_python = 0
    for number, fieldset in enumerate(response.context["adminform"]):
        expected = _tags_only(
            stock.render(
                {
                    "fieldset": fieldset,
                    "heading_level": 2,
                    "prefix": "fieldset",
                    "id_prefix": 0,
                    "id_suffix": number,
                }
            )
        )
        assert expected in page
        # Drawn again, from the fields' descriptions the page's drawing kept.
        drawn = readonly_fieldset(fieldset, "fieldset", 0, number)
        if drawn:
            drawn_by_python += 1
            assert _tags_only(drawn) == expected
    # Every fieldset but "Work on it" (the agent's own fields) is wholly read-only.
    assert drawn_by_python == len(response.context["adminform"].fieldsets) - 1
    # Two fields side by side on a line, as no ticket fieldset has them: the second label is
    # "inline", each field is a box of its own.
    shown = next(iter(response.context["adminform"]))
    side_by_side = Fieldset(
        shown.form,
        name="Side by side",
        readonly_fields=shown.readonly_fields,
        fields=[("subject", "status"), "number"],
        model_admin=shown.model_admin,
    )
    drawn = _tags_only(readonly_fieldset(side_by_side, "fieldset", 0, 9))
    assert 'class="inline"' in drawn and "fieldBox field-status" in drawn
    assert drawn == _tags_only(
        stock.render(
            {
                "fieldset": side_by_side,
                "heading_level": 2,
                "prefix": "fieldset",
                "id_prefix": 0,
                "id_suffix": 9,
            }
        )
    )
    assert "+44 20 7946 0018" in page and 'class="readonly">Heatmap is empty<' in page
    assert ("<label>Betreff:</label>" in page) == (language == "de")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "language"),
    [
        ("", "en"),
        ("", "de"),
        ("?status__exact=queued&o=-9", "en"),
        ("?q=Heatmap", "en"),
        ("?_popup=1", "en"),
    ],
)
def test_the_changelist_rows_are_drawn_as_django_draws_them(
    agent_client: Client,
    rostered_agent: User,
    standard_user: User,
    surveys_area: ProductArea,
    query: str,
    language: str,
) -> None:
    rostered_agent.preferred_language, rostered_agent.time_zone = language, "Asia/Tokyo"
    rostered_agent.save(update_fields=["preferred_language", "time_zone"])
    callback_for(standard_user, surveys_area)
    assigned = callback_for(standard_user)
    ticket_assign(ticket=assigned, agent=rostered_agent, by=rostered_agent)
    ticket_create(
        requester=standard_user,
        channel=Channel.EMAIL,
        team=Team.ACCOUNT_SERVICES,
        subject='<b>Invoice</b> & "quotes" that need escaping',
    )
    failing = callback_for(standard_user, surveys_area)
    Ticket.objects.filter(pk=failing.pk).update(sweep_failures=2)
    parked = callback_for(standard_user)
    Ticket.objects.filter(pk=parked.pk).update(sweep_failures=5, sweep_parked_at=timezone.now())
    # Every state of the due column: missed, due soon, and solved in time.
    now = timezone.now()
    for due, solved in (
        (now - timedelta(hours=2), None),
        (now + timedelta(minutes=20), None),
        (now + timedelta(days=1), now),
    ):
        ticket = callback_for(standard_user, surveys_area)
        Ticket.objects.filter(pk=ticket.pk).update(
            first_response_due_at=due,
            resolution_due_at=due,
            first_responded_at=solved,
            solved_at=solved,
            status=Status.SOLVED if solved else Status.QUEUED,
        )
    response = agent_client.get(reverse("admin:tickets_ticket_changelist") + query)
    assert response.status_code == 200
    cl = response.context["cl"]
    # As the page was drawn: in the agent's language and zone.
    with translation.override(language), timezone.override("Asia/Tokyo"):
        # The whole table, from the rows joined (or, in a popup, Django's own), is the one
        # Django's template draws from Django's rows, apart from the white space between tags.
        table = get_template("admin/change_list_results.html")
        assert parse_html(table.render(fast_result_list(cl))) == parse_html(
            table.render(result_list(cl))
        )
        drawn = rows(cl)
        if query == "?_popup=1":
            # A popup's links carry the opener; Django's own drawing is kept there.
            assert drawn is None
            return
        assert drawn is not None and len(drawn) == len(cl.result_list) >= 1
        # Django asks the admin's methods for each cell, row by row; the rows were written
        # by writers made once for the page.
        for row, ours in zip(cl.result_list, drawn, strict=True):
            assert ours == "".join(items_for_result(cl, row, None))
    if not query:
        marks = "".join(drawn)
        missed, soon = (
            ("Ziel verfehlt", "Bald fällig") if language == "de" else ("Target missed", "Due soon")
        )
        assert missed in marks and soon in marks
    page = response.content.decode()
    assert all(f"<tr>{row}</tr>" in page for row in drawn)
    assert page.count('<input type="checkbox" name="_selected_action"') == len(drawn)
    if not query:
        assert "&lt;b&gt;Invoice&lt;/b&gt; &amp; &quot;quotes&quot;" in page
    else:
        # The change links keep the list's filters, as Django's do.
        assert all("_changelist_filters=" in row for row in drawn)
