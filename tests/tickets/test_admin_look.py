"""An admin that belongs to the hub: its name and look, a tickets list that fits
1280 px, and a ticket's timeline in sentences as the customer reads it, in the agent's
language, with the events only the customer otherwise sees."""

from __future__ import annotations

import re
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from hub.accounts.models import User
from hub.accounts.moments import moment_words
from routing.models import ProductArea
from tests.tickets.test_admin import callback_for
from tickets.chat.services import chat_start
from tickets.models import Channel, EventKind, Status, Team, Ticket, TicketEvent
from tickets.services import ticket_create, ticket_transition

pytestmark = pytest.mark.django_db

EMPTY_HEADER_CELL = re.compile(r"<th\b[^>]*>\s*</th>")


@pytest.fixture
def agent_client(client: Client, agent: User) -> Client:
    client.force_login(agent)
    return client


def _email_ticket(user: User) -> Ticket:
    return ticket_create(
        requester=user, channel=Channel.EMAIL, team=Team.TECHNICAL, subject="Export fails"
    )


def test_the_admin_carries_the_hubs_name_not_djangos(agent_client: Client) -> None:
    html = agent_client.get(reverse("admin:index")).content.decode()
    assert "Django administration" not in html and "Django site admin" not in html
    assert re.search(r"<title>[^<]*Customer Success Hub</title>", html)
    assert re.search(r'<div id="site-name">.*Customer Success Hub.*</div>', html, re.S)
    assert "<h1>Agents’ admin</h1>" in html


def test_the_admins_name_is_in_the_agents_language(client: Client, agent: User) -> None:
    agent.preferred_language = "fr"
    agent.save(update_fields=["preferred_language"])
    client.force_login(agent)
    html = client.get(reverse("admin:index")).content.decode()
    assert "<h1>Administration des agents</h1>" in html
    assert 'lang="fr"' in html


def test_the_admin_has_the_hubs_stylesheet_under_the_content_security_policy(
    agent_client: Client,
) -> None:
    response = agent_client.get(reverse("admin:tickets_ticket_changelist"))
    html = response.content.decode()
    assert re.search(r'<link rel="stylesheet" href="/static/css/admin-hub[^"]*\.css">', html)
    # The link names the hub's own icon, a file the static finders have: the test server
    # serves only what collectstatic gathered, which a clean checkout has not run yet.
    assert f'<link rel="icon" href="{static("img/favicon.svg")}"' in html
    assert finders.find("img/favicon.svg")
    policy = response["Content-Security-Policy"]
    assert "style-src 'self'" in policy and "unsafe-inline" not in policy
    assert " style=" not in html.split("<body", 1)[1]


def test_the_tickets_list_has_nine_columns_that_wrap(
    agent_client: Client, standard_user: User, surveys_area: ProductArea
) -> None:
    ticket = ticket_create(
        requester=standard_user,
        channel=Channel.EMAIL,
        team=Team.TECHNICAL,
        subject="Export fails",
        product_area=surveys_area,
        language="en",
    )
    html = agent_client.get(reverse("admin:tickets_ticket_changelist")).content.decode()
    columns = re.findall(r'<th scope="col" class="[^"]*column-(\w+)', html)
    assert columns == [
        "number",
        "subject",
        "organisation_name",
        "status_and_work",
        "team",
        "request_route",
        "assigned_to",
        "service_level",
        "created",
    ]
    # Channel, language and area share one cell; the filters still offer each.
    assert "Email · English<br>Surveys" in html
    # Made, as the due column writes its times: CLDR's words, in the agent's zone.
    made = re.search(r'<td class="field-created">([^<]*)</td>', html)
    assert made is not None
    with timezone.override(ZoneInfo(settings.DEFAULT_USER_TIME_ZONE)):
        assert made.group(1) == moment_words(ticket.created_at, "year short time")
    assert str(ticket.created_at.year) in made.group(1)
    assert ticket.number in html
    assert not EMPTY_HEADER_CELL.search(html)


def test_a_timeline_in_the_admin_reads_as_sentences_not_data(
    agent_client: Client, standard_user: User, agent: User
) -> None:
    ticket = _email_ticket(standard_user)
    ticket_transition(ticket=ticket, to=Status.IN_PROGRESS, actor=agent)
    html = agent_client.get(reverse("admin:tickets_ticket_change", args=[ticket.pk])).content
    page = html.decode()
    timeline = page[page.index('class="module ticket-timeline"') :]
    assert "Timeline" in timeline
    assert "Request made" in timeline and "Contact method: Email." in timeline
    assert "Status changed" in timeline and "From “New” to “In progress”." in timeline
    assert "Sam Carter" in timeline  # the customer, by name
    # No raw rows: neither the JSON of the events nor the inline's table.
    assert "{&quot;" not in page and '{"' not in timeline
    assert 'id="events-group"' not in page
    assert not EMPTY_HEADER_CELL.search(page)


def test_the_timeline_is_in_the_agents_language(
    client: Client, standard_user: User, agent: User
) -> None:
    ticket = _email_ticket(standard_user)
    agent.preferred_language = "fr"
    agent.save(update_fields=["preferred_language"])
    client.force_login(agent)
    page = client.get(reverse("admin:tickets_ticket_change", args=[ticket.pk])).content.decode()
    timeline = page[page.index('class="module ticket-timeline"') :]
    assert "Demande faite" in timeline and "Moyen de contact : E-mail." in timeline


def test_the_agent_reads_the_chat_that_only_its_customer_sees_on_the_hub(
    agent_client: Client, standard_user: User, brand_admin: User, surveys_area: ProductArea
) -> None:
    session = chat_start(
        requester=standard_user,
        product_area=surveys_area,
        language="en",
        message="My survey link returns an error",
    )
    ticket = session.ticket
    # A chat's messages join the timeline as events (as when the chat is kept on the ticket).
    TicketEvent.objects.create(
        ticket=ticket,
        kind=EventKind.CHAT_MESSAGE,
        actor=standard_user,
        message="My survey link returns an error",
    )
    page = agent_client.get(
        reverse("admin:tickets_ticket_change", args=[ticket.pk])
    ).content.decode()
    timeline = page[page.index('class="module ticket-timeline"') :]
    assert "Chat message" in timeline and "My survey link returns an error" in timeline

    # The brand administrator, on the hub's ticket page, does not read the chat.
    admin_view = Client()
    admin_view.force_login(brand_admin)
    hub_page = admin_view.get(reverse("tickets:detail", args=[ticket.number])).content.decode()
    hub_timeline = hub_page[hub_page.index('<ol class="timeline">') :]
    assert "Request made" in hub_timeline
    assert "Chat message" not in hub_timeline
    assert "My survey link returns an error" not in hub_timeline


def test_no_admin_table_has_an_empty_header_cell(admin_client: Client, seat_holder: User) -> None:
    """The organisation page's tabular inlines (domains, members, seats) included."""
    organisation = seat_holder.membership.organisation
    _email_ticket(seat_holder)  # the tickets list draws its table
    for url in (
        reverse("admin:hub_organisation_change", args=[organisation.pk]),
        reverse("admin:tickets_ticket_changelist"),
        reverse("admin:hub_organisation_changelist"),
    ):
        html = admin_client.get(url).content.decode()
        assert "<table" in html, url
        assert not EMPTY_HEADER_CELL.search(html), url


def test_a_german_agent_reads_the_areas_in_german_in_the_list_its_filter_and_the_queues(
    client: Client, agent: User, standard_user: User, surveys_area: ProductArea
) -> None:
    agent.preferred_language = "de"
    agent.save(update_fields=["preferred_language"])
    client.force_login(agent)
    german = escape(surveys_area.translations.get(language="de").name)
    assert german != escape(surveys_area.name)
    ticket = callback_for(standard_user, surveys_area)
    html = client.get(reverse("admin:tickets_ticket_changelist")).content.decode()
    route = re.search(r'<td class="field-request_route">(.*?)</td>', html, re.S)
    assert route is not None and german in route.group(1)
    assert escape(surveys_area.name) not in html
    filter_choice = f"?product_area__id__exact={surveys_area.pk}"
    assert re.search(rf'href="{re.escape(filter_choice)}"[^>]*>\s*{re.escape(german)}', html)
    callback = client.get(reverse("admin:tickets_ticket_callback", args=[ticket.pk]))
    assert german in callback.content.decode()
    # Django's own strings its German catalogue lacks come from the hub's.
    assert ">Ausführen</button>" in html and "- Bitte auswählen -" in html
    assert ">Run</button>" not in html and "Select an option" not in html
    # The waiting queues: language, area and team named, not coded.
    assert f"<tr><td>Englisch</td><td>{german}</td><td>Allgemeiner Support</td>" in html


@pytest.mark.parametrize("language", ["de", "es", "pt", "fr", "it", "nl", "ja"])
def test_the_changelists_own_django_strings_are_in_every_agents_language(
    client: Client, agent: User, language: str
) -> None:
    client.force_login(agent)
    url = reverse("admin:tickets_ticket_changelist")
    english = client.get(url).content.decode()
    assert ">Run</button>" in english and "Select an option" in english
    assert "Search tickets" in english and "Pagination tickets" in english
    agent.preferred_language = language
    agent.save(update_fields=["preferred_language"])
    html = client.get(url).content.decode()
    assert f'lang="{language}"' in html
    assert ">Run</button>" not in html and "Select an option" not in html
    assert "Search tickets" not in html and "Pagination tickets" not in html


@pytest.mark.parametrize(
    ("language", "set_password", "password_sign_in"),
    [
        ("de", "Passwort festlegen", "Anmeldung mit Passwort aktivieren"),
        ("it", "Imposta password", "Attiva l’accesso con password"),
    ],
)
def test_an_sso_users_password_pages_are_in_the_operators_language(
    client: Client,
    admin_user: User,
    standard_user: User,
    language: str,
    set_password: str,
    password_sign_in: str,
) -> None:
    """Django 6's German and Italian catalogues lack its new password strings; the hub's
    supply them."""
    admin_user.preferred_language = language
    admin_user.save(update_fields=["preferred_language"])
    standard_user.set_unusable_password()  # signs in through their company's SSO
    standard_user.save(update_fields=["password"])
    client.force_login(admin_user)
    page = client.get(reverse("admin:hub_user_change", args=[standard_user.pk])).content.decode()
    assert set_password in page and "Set password" not in page
    url = reverse("admin:auth_user_password_change", args=[standard_user.pk])
    page = unescape(client.get(url).content.decode())
    assert password_sign_in in page and "password-based authentication" not in page


def test_a_ticket_without_a_phone_number_shows_the_admin_dash_for_it(
    agent_client: Client, standard_user: User
) -> None:
    ticket = _email_ticket(standard_user)
    page = agent_client.get(reverse("admin:tickets_ticket_change", args=[ticket.pk])).content
    fields = re.findall(
        r'<label>(Phone number|Extension):</label>\s*<div class="readonly">([^<]*)</div>',
        page.decode(),
    )
    assert fields == [("Phone number", "-"), ("Extension", "-")]
