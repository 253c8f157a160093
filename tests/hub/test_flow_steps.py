"""The question pages of the contact flow through the plain client (JavaScript off): the team
choice, the redirect question, the areas, the step after the area, Discover, the method
picker, Account Services and the confirmation, for every demo actor."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from hub.accounts.models import LicenceTier, Organisation, User
from hub.flow import steps
from routing.configuration import configuration_changed, current_configuration
from routing.erlang import WaitEstimate
from routing.models import Agent, AgentShift, LanguageWindow, ProductArea, ServiceWindow
from routing.policy import ContactOffers, Method, MethodOffer, OfferStatus, Reason
from routing.policy import Team as RoutingTeam
from tests.conftest import SESSION_QUERIES
from tickets.models import CallbackRequest, Channel, Team, Ticket
from tickets.services import ticket_create

MIDNIGHT = time(0)
AREA_URL = "/hub/technical/areas/{slug}/"
METHODS_URL = "/hub/technical/areas/{slug}/contact/"
MEMBER_PAGES = [
    "/hub/technical/",
    "/hub/technical/areas/",
    "/hub/technical/areas/surveys-xm-directory/",
    "/hub/technical/areas/surveys-xm-directory/contact/",
    "/hub/technical/areas/xm-discover/",
    "/hub/account-services/",
]


# --- Actors and a support world --------------------------------------------------------------


@pytest.fixture
def solo(make_organisation: Callable[..., Organisation]) -> Organisation:
    return make_organisation(
        "Solo Studio",
        licence_tier=LicenceTier.SELF_SERVICE,
        account_team_name="Self-service desk",
        account_team_email="selfservice@hub.example",
    )


@pytest.fixture
def self_service_owner(make_member: Callable[..., User], solo: Organisation) -> User:
    return make_member(
        "owner@solo.example",
        solo,
        brand_admin=True,
        primary=True,
        first_name="Olivia",
        last_name="Park",
        time_zone="America/New_York",
    )


@pytest.fixture
def acme_team(acme: Organisation) -> Organisation:
    acme.account_team_name = "Priya Raman"
    acme.account_team_email = "accounts-acme@hub.example"
    acme.account_team_phone = "+44 20 7946 0018"
    acme.save()
    return acme


def _every_day(model: type[ServiceWindow | LanguageWindow], **fields: str) -> None:
    for day in range(7):
        model.objects.create(
            weekday=day, opens=MIDNIGHT, closes=MIDNIGHT, time_zone="UTC", **fields
        )


def _agent(email: str, *, team: str, languages: list[str], chat: bool = False) -> Agent:
    user = User.objects.create_user(username=email, email=email, is_staff=True)
    agent = Agent.objects.create(
        user=user, team=team, languages=languages, time_zone="UTC", available_for_chat=chat
    )
    AgentShift.objects.bulk_create(
        AgentShift(agent=agent, weekday=day, opens=MIDNIGHT, closes=MIDNIGHT) for day in range(7)
    )
    configuration_changed()  # bulk_create sends no signal
    return agent


@pytest.fixture
def open_world(product_areas: list[ProductArea]) -> None:
    """Every channel open round the clock; English and Italian staffed."""
    ServiceWindow.objects.all().delete()
    LanguageWindow.objects.all().delete()
    for channel in ("chat", "email", "phone", "conference"):
        for team in ("general", "enterprise"):
            _every_day(ServiceWindow, channel=channel, team=team)
    _every_day(LanguageWindow, language="it")
    _agent("en.agent@hub.example", team="general", languages=["en"], chat=True)
    _agent("it.agent@hub.example", team="general", languages=["it", "en"])
    _agent("specialist@hub.example", team="enterprise", languages=["en", "it"])


def _as(client: Client, user: User) -> Client:
    client.force_login(user)
    # Areas, hours and the roster are read once per change, not per request: the counts
    # below are those of every request after the first.
    current_configuration()
    return client


def _html(response: Any) -> str:
    return str(response.content.decode())


def _main(response: Any) -> str:
    html = _html(response)
    return html[html.index("<main") : html.index("</main>")]


# --- Everyone: sign-in first, and staff are not members ------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/hub/", *MEMBER_PAGES, "/hub/requests/CS-000001/"])
def test_anonymous_visitors_sign_in_first_and_come_back_to_the_same_step(
    client: Client, url: str, product_areas: list[ProductArea]
) -> None:
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={url}"


@pytest.mark.django_db
@pytest.mark.parametrize("url", MEMBER_PAGES)
def test_a_staff_agent_gets_404_on_every_member_page(
    client: Client, agent: User, url: str, product_areas: list[ProductArea]
) -> None:
    assert _as(client, agent).get(url).status_code == 404


@pytest.mark.django_db
def test_a_staff_agent_landing_on_the_hub_is_pointed_to_the_admin_and_cannot_choose(
    client: Client, agent: User
) -> None:
    _as(client, agent)
    response = client.get("/hub/")
    assert response.status_code == 200
    assert "not a member of a customer organisation" in _html(response)
    assert 'name="team"' not in _html(response)
    assert client.post("/hub/", {"team": "technical"}).status_code == 404


# --- R-TEAM --------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "actor", ["standard_user", "brand_admin", "billing_contact", "seat_holder", "fedramp_user"]
)
def test_every_member_is_asked_which_kind_of_help_they_need(
    client: Client,
    request: pytest.FixtureRequest,
    actor: str,
    django_assert_num_queries: Callable[..., Any],
) -> None:
    user: User = request.getfixturevalue(actor)
    _as(client, user)
    with django_assert_num_queries(SESSION_QUERIES + 2):  # user, membership with organisation
        response = client.get("/hub/")
    main = _main(response)
    assert response.status_code == 200
    assert main.count("<h1") == 1
    assert re.search(r"<legend[^>]*>.*<h1[^>]*>How can we help\?</h1>", main, re.S)
    assert 'type="radio" name="team" value="technical"' in main
    assert 'type="radio" name="team" value="account_services"' in main
    assert user.membership.organisation.name in main
    assert main.count('class="button"') == 1
    # R-TEAM: the ticket history is one click away.
    assert '<a href="/hub/tickets/">See your requests and their history</a>' in main


@pytest.mark.django_db
def test_the_self_service_owner_is_asked_too(client: Client, self_service_owner: User) -> None:
    response = _as(client, self_service_owner).get("/hub/")
    assert "Solo Studio" in _html(response)
    assert 'value="account_services"' in _html(response)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("team", "location"),
    [("technical", "/hub/technical/"), ("account_services", "/hub/account-services/")],
)
def test_the_team_choice_leads_on(
    client: Client, standard_user: User, team: str, location: str
) -> None:
    response = _as(client, standard_user).post("/hub/", {"team": team})
    assert response.status_code == 302
    assert response["Location"] == location


@pytest.mark.django_db
@pytest.mark.parametrize("data", [{}, {"team": "sales"}])
def test_no_team_chosen_shows_an_error_summary_linked_to_the_first_radio(
    client: Client, standard_user: User, data: dict[str, str]
) -> None:
    response = _as(client, standard_user).post("/hub/", data)
    html = _html(response)
    assert response.status_code == 200
    assert "<title>Error:" in html
    assert "There is a problem" in html
    assert 'href="#id_team_0"' in html
    assert 'id="id_team_0"' in html
    assert '<fieldset class="fieldset" aria-describedby="id_team_error">' in html


@pytest.mark.django_db
def test_the_team_question_drawn_for_one_reader_is_not_shown_to_another(
    client: Client, standard_user: User, seat_holder: User
) -> None:
    """The unanswered question is drawn once per language and organisation name."""
    assert "Acme Research" in _main(_as(client, standard_user).get("/hub/"))
    globex = _main(_as(Client(), seat_holder).get("/hub/"))
    assert "Globex" in globex and "Acme Research" not in globex
    german = _as(Client(), standard_user)
    german.cookies["django_language"] = "de"
    assert "Wie können wir helfen?" in _main(german.get("/hub/"))
    assert "How can we help?" in _main(client.get("/hub/"))
    answered_wrongly = _main(client.post("/hub/", {}))
    assert 'aria-describedby="id_team_error"' in answered_wrongly
    assert 'aria-describedby="id_team_error"' not in _main(client.get("/hub/"))


# --- R-REDIRECT ----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("actor", ["standard_user", "billing_contact"])
def test_standard_users_and_billing_contacts_see_their_brand_administrators(
    client: Client,
    request: pytest.FixtureRequest,
    actor: str,
    brand_admin: User,
    make_member: Callable[..., User],
    acme: Organisation,
    outsider: User,
    django_assert_num_queries: Callable[..., Any],
) -> None:
    other_admin = make_member(
        "dana@acme.example", acme, brand_admin=True, first_name="Dana", last_name="Ito"
    )
    _as(client, request.getfixturevalue(actor))
    # user, the member's facts for routing (membership and organisation), the administrators
    with django_assert_num_queries(SESSION_QUERIES + 3):
        response = client.get("/hub/technical/")
    main = _main(response)
    assert response.status_code == 200
    assert "<h1>Could your brand administrator help?</h1>" in main
    assert "user accounts" in main and "permissions" in main and "licences" in main
    assert f'href="mailto:{brand_admin.email}"' in main
    assert "Dana Ito" in main and f'href="mailto:{other_admin.email}"' in main
    assert outsider.email not in main
    assert 'href="/hub/technical/areas/"' in main
    assert 'class="back-link" href="/hub/"' in _html(response)


@pytest.mark.django_db
@pytest.mark.parametrize("actor", ["brand_admin", "self_service_owner"])
def test_brand_administrators_see_their_account_team(
    client: Client,
    request: pytest.FixtureRequest,
    actor: str,
    acme_team: Organisation,
    django_assert_num_queries: Callable[..., Any],
) -> None:
    user: User = request.getfixturevalue(actor)
    organisation = user.membership.organisation
    _as(client, user)
    with django_assert_num_queries(SESSION_QUERIES + 2):  # user, member facts
        response = client.get("/hub/technical/")
    main = _main(response)
    assert "<h1>Could your account team help?</h1>" in main
    assert organisation.account_team_name in main
    assert f'href="mailto:{organisation.account_team_email}"' in main
    if organisation.account_team_phone:
        assert 'href="tel:+442079460018"' in main
    assert 'href="/hub/technical/areas/"' in main


@pytest.mark.django_db
def test_a_brand_administrator_without_an_account_team_on_file_is_told_so(
    client: Client, brand_admin: User
) -> None:
    main = _main(_as(client, brand_admin).get("/hub/technical/"))
    assert "no contact details for your account team" in main


@pytest.mark.django_db
@pytest.mark.parametrize("actor", ["seat_holder", "fedramp_user"])
def test_seat_holders_and_fedramp_users_skip_the_redirect_question(
    client: Client, request: pytest.FixtureRequest, actor: str
) -> None:
    response = _as(client, request.getfixturevalue(actor)).get("/hub/technical/")
    assert response.status_code == 302
    assert response["Location"] == "/hub/technical/areas/"


# --- R-AREA --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_areas_link_on_with_picture_and_a_description_for_screen_readers(
    client: Client,
    standard_user: User,
    product_areas: list[ProductArea],
    django_assert_num_queries: Callable[..., Any],
) -> None:
    _as(client, standard_user)
    # user, member facts (the areas with their names are read once per change)
    with django_assert_num_queries(SESSION_QUERIES + 2):
        response = client.get("/hub/technical/areas/")
    main = _main(response)
    assert main.count('class="area-card"') == len(product_areas) == 11
    for area in product_areas:
        link = (
            f'href="/hub/technical/areas/{area.slug}/" '
            f'aria-describedby="area-{area.slug}-description"'
        )
        assert link in main
        assert f'id="area-{area.slug}-description">{area.description}' in main.replace("&amp;", "&")
        assert f'src="/static/img/areas/{area.slug}.svg"' in main
    assert 'class="back-link" href="/hub/technical/"' in _html(response)


@pytest.mark.django_db
@pytest.mark.parametrize("actor", ["seat_holder", "fedramp_user"])
def test_without_the_redirect_question_the_areas_lead_back_to_the_team_choice(
    client: Client, request: pytest.FixtureRequest, actor: str, product_areas: list[ProductArea]
) -> None:
    response = _as(client, request.getfixturevalue(actor)).get("/hub/technical/areas/")
    assert 'class="back-link" href="/hub/"' in _html(response)


@pytest.mark.django_db
def test_area_names_and_descriptions_follow_the_interface_language(
    client: Client, standard_user: User, product_areas: list[ProductArea]
) -> None:
    standard_user.preferred_language = "it"
    standard_user.save()
    main = _main(_as(client, standard_user).get("/hub/technical/areas/"))
    assert "Sondaggi e XM Directory" in main
    assert "Creazione, modifica e distribuzione dei sondaggi" in main


@pytest.mark.django_db
def test_inactive_areas_are_not_offered(
    client: Client, standard_user: User, product_areas: list[ProductArea]
) -> None:
    ProductArea.objects.filter(slug="360").update(is_active=False)
    configuration_changed()
    _as(client, standard_user)
    assert "/hub/technical/areas/360/" not in _main(client.get("/hub/technical/areas/"))
    assert client.get(AREA_URL.format(slug="360")).status_code == 404
    assert client.get(METHODS_URL.format(slug="360")).status_code == 404
    assert client.get(AREA_URL.format(slug="no-such-area")).status_code == 404


# --- After the area: assistant step, methods, or Discover --------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "actor", ["standard_user", "brand_admin", "billing_contact", "self_service_owner"]
)
def test_most_members_meet_the_assistant_step_which_links_to_the_methods(
    client: Client,
    request: pytest.FixtureRequest,
    actor: str,
    surveys_area: ProductArea,
    django_assert_num_queries: Callable[..., Any],
) -> None:
    _as(client, request.getfixturevalue(actor))
    with django_assert_num_queries(SESSION_QUERIES + 2):  # user, member facts
        response = client.get(AREA_URL.format(slug=surveys_area.slug))
    main = _main(response)
    assert response.status_code == 200
    assert "<h1>Ask the assistant</h1>" in main
    assert 'href="/hub/technical/areas/surveys-xm-directory/contact/"' in main
    # The assistant itself: a question box that posts back to this step.
    assert 'action="/hub/technical/areas/surveys-xm-directory/"' in main
    assert 'name="question"' in main


@pytest.mark.django_db
def test_the_assistant_step_introduces_the_assistant_once(
    client: Client, standard_user: User, surveys_area: ProductArea
) -> None:
    main = _main(_as(client, standard_user).get(AREA_URL.format(slug=surveys_area.slug)))
    assert main.count("in your own words") == 1
    assert main.count("answers from our help articles") == 1


@pytest.mark.django_db
@pytest.mark.parametrize("actor", ["seat_holder", "fedramp_user"])
def test_seat_holders_and_fedramp_users_go_straight_to_the_methods(
    client: Client, request: pytest.FixtureRequest, actor: str, surveys_area: ProductArea
) -> None:
    response = _as(client, request.getfixturevalue(actor)).get(
        AREA_URL.format(slug=surveys_area.slug)
    )
    assert response.status_code == 302
    assert response["Location"] == METHODS_URL.format(slug=surveys_area.slug)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "actor",
    [
        "standard_user",
        "brand_admin",
        "billing_contact",
        "seat_holder",
        "fedramp_user",
        "self_service_owner",
    ],
)
def test_xm_discover_explains_how_to_reach_the_discover_team_and_makes_no_ticket(
    client: Client,
    request: pytest.FixtureRequest,
    actor: str,
    product_areas: list[ProductArea],
) -> None:
    _as(client, request.getfixturevalue(actor))
    response = client.get(AREA_URL.format(slug="xm-discover"))
    main = _main(response)
    assert response.status_code == 200
    assert "<h1>Contact the XM Discover support team</h1>" in main
    assert "Sign in to your XM Discover account." in main
    assert "/contact/" not in main
    # The picker of Discover sends back to this page rather than offering methods.
    methods = client.get(METHODS_URL.format(slug="xm-discover"))
    assert methods.status_code == 302
    assert methods["Location"] == AREA_URL.format(slug="xm-discover")
    assert not Ticket.objects.exists()


# --- R-METHODS: the picker with routing's real offers ------------------------------------------


def _cards(main: str) -> dict[str, str]:
    """Each card's HTML by its method."""
    parts = re.split(r'<li class="method-card', main)[1:]
    return {re.search(r'id="method-(\w+)"', part).group(1): part for part in parts}  # type: ignore[union-attr]


@pytest.mark.django_db
def test_a_standard_user_sees_every_method_with_waits_and_links_to_the_forms(
    client: Client,
    standard_user: User,
    open_world: None,
    surveys_area: ProductArea,
    django_assert_num_queries: Callable[..., Any],
) -> None:
    _as(client, standard_user)
    # user, member facts; waiting callbacks and chats, the queue statistics and who is in
    # the chat console (one statement)
    with django_assert_num_queries(SESSION_QUERIES + 3):
        response = client.get(METHODS_URL.format(slug=surveys_area.slug))
    main = _main(response)
    cards = _cards(main)
    assert list(cards) == ["chat", "email", "phone", "conference"]
    assert "<h1>How would you like to contact us?</h1>" in main
    assert 'class="back-link" href="/hub/technical/areas/surveys-xm-directory/"' in _html(response)

    phone = cards["phone"]
    assert "Available now" in phone
    assert re.search(r"Estimated wait: about \d+ minutes?", phone)
    assert 'href="/hub/technical/areas/surveys-xm-directory/contact/phone/?language=en"' in phone
    assert (
        'href="/hub/technical/areas/surveys-xm-directory/contact/email/?language=en"'
        in (cards["email"])
    )
    # Nobody has switched chat on in the chat console: honest availability, no link
    # (tests/tickets/test_chat_start.py has the card of a free agent).
    assert "Not available now" in cards["chat"]
    assert "Temporarily unavailable: no agent is free right now." in cards["chat"]
    assert "href=" not in cards["chat"]
    assert 'role="link" aria-disabled="true"' in cards["chat"]
    conference = cards["conference"]
    assert "Not in your plan" in conference
    assert "Only for users with an Enterprise Success Package." in conference
    assert "contact your account team" in conference
    assert "href=" not in conference
    # A standard licence: no Enterprise label, no urgent recommendation.
    assert "Enterprise Support" not in main
    assert "Recommended for urgent problems" not in main


@pytest.mark.django_db
def test_the_support_language_changes_the_offers_and_the_form_links(
    client: Client, standard_user: User, open_world: None, surveys_area: ProductArea
) -> None:
    _as(client, standard_user)
    main = _main(client.get(METHODS_URL.format(slug="cx-dashboards"), {"language": "it"}))
    cards = _cards(main)
    assert '<option value="it" selected>' in main
    assert "Not offered in Italian for this product area." in cards["chat"]
    assert "For help in Italian, choose phone or email." in cards["chat"]
    assert "/contact/phone/?language=it" in cards["phone"]
    assert "/contact/email/?language=it" in cards["email"]


@pytest.mark.django_db
def test_in_an_italian_interface_language_names_inside_sentences_are_lower_case(
    client: Client, standard_user: User, open_world: None, surveys_area: ProductArea
) -> None:
    standard_user.preferred_language = "it"
    standard_user.save()
    main = _main(
        _as(client, standard_user).get(METHODS_URL.format(slug="cx-dashboards"), {"language": "it"})
    )
    assert "in italiano" in _cards(main)["chat"]
    assert '<option value="it" selected>Italiano</option>' in main


@pytest.mark.django_db
def test_an_unknown_support_language_falls_back_to_the_users_own(
    client: Client, standard_user: User, open_world: None, surveys_area: ProductArea
) -> None:
    standard_user.preferred_language = "it"
    standard_user.save()
    main = _main(_as(client, standard_user).get(METHODS_URL.format(slug="360"), {"language": "xx"}))
    assert '<option value="it" selected>' in main


@pytest.mark.django_db
def test_htmx_redraws_only_the_cards(
    client: Client, standard_user: User, open_world: None, surveys_area: ProductArea
) -> None:
    response = _as(client, standard_user).get(
        METHODS_URL.format(slug=surveys_area.slug), {"language": "it"}, HTTP_HX_REQUEST="true"
    )
    html = _html(response)
    assert "<html" not in html and "<h1" not in html
    assert html.count('class="method-card ') == 4
    assert "Ways to get help in Italian" in html


@pytest.mark.django_db
def test_a_seat_holder_sees_the_enterprise_label_and_phone_for_urgent_problems(
    client: Client, seat_holder: User, open_world: None, surveys_area: ProductArea
) -> None:
    response = _as(client, seat_holder).get(METHODS_URL.format(slug=surveys_area.slug))
    cards = _cards(_main(response))
    assert 'class="back-link" href="/hub/technical/areas/"' in _html(response)
    assert "Enterprise Support" in cards["email"]
    assert "Enterprise Support" in cards["phone"]
    assert "Recommended for urgent problems" in cards["phone"]
    assert "Enterprise Support" in cards["conference"]
    assert "/contact/conference/?language=en" in cards["conference"]


@pytest.mark.django_db
def test_a_seat_holder_cannot_book_a_conference_call_for_accessibility(
    client: Client, seat_holder: User, open_world: None, product_areas: list[ProductArea]
) -> None:
    cards = _cards(_main(_as(client, seat_holder).get(METHODS_URL.format(slug="accessibility"))))
    assert "Not offered for this product area." in cards["conference"]
    assert "href=" not in cards["conference"]


@pytest.mark.django_db
def test_a_seat_holders_accessibility_conference_card_blames_the_area_not_the_plan(
    client: Client, seat_holder: User, open_world: None, product_areas: list[ProductArea]
) -> None:
    cards = _cards(_main(_as(client, seat_holder).get(METHODS_URL.format(slug="accessibility"))))
    assert "Not for this product area" in cards["conference"]
    assert "Not in your plan" not in cards["conference"]
    assert "contact your account team" not in cards["conference"]


# Every status and reason routing gives, with the tag and the sentence the card shows: the two
# must name the same cause (a refusal for the area is never "Not in your plan").
TAG_AND_REASON: list[tuple[OfferStatus, Reason, bool, str, str]] = [
    (OfferStatus.AVAILABLE, Reason.OPEN, True, "Available now", ""),
    (
        OfferStatus.NOT_NOW,
        Reason.OUTSIDE_HOURS,
        False,
        "Not available now",
        "Closed at the moment.",
    ),
    (
        OfferStatus.NOT_NOW,
        Reason.OUTSIDE_HOURS,
        True,
        "Closed now, taking requests",
        "Closed at the moment.",
    ),
    (
        OfferStatus.NOT_NOW,
        Reason.OUTSIDE_LANGUAGE_HOURS,
        False,
        "Not available now",
        "Nobody who speaks English is on duty at the moment.",
    ),
    (
        OfferStatus.NOT_NOW,
        Reason.LANGUAGE_NOT_OFFERED,
        False,
        "Not in this language",
        "Not offered in English for this product area.",
    ),
    (
        OfferStatus.NOT_NOW,
        Reason.NOBODY_ON_SHIFT,
        False,
        "Not available now",
        "No agent is free at the moment.",
    ),
    (
        OfferStatus.NOT_NOW,
        Reason.NO_AGENT_FREE,
        False,
        "Not available now",
        "Temporarily unavailable: no agent is free right now.",
    ),
    (
        OfferStatus.NOT_NOW,
        Reason.QUEUE_TOO_LONG,
        False,
        "Not available now",
        "Temporarily unavailable: the queue is long right now.",
    ),
    (
        OfferStatus.NOT_IN_LICENCE,
        Reason.NOT_IN_LICENCE,
        False,
        "Not in your plan",
        "Not included in your organisation’s licence.",
    ),
    (
        OfferStatus.NOT_IN_LICENCE,
        Reason.NEEDS_SUCCESS_PACKAGE,
        False,
        "Not in your plan",
        "Only for users with an Enterprise Success Package.",
    ),
    (
        OfferStatus.NOT_IN_LICENCE,
        Reason.NOT_IN_ENVIRONMENT,
        False,
        "Not offered in FedRAMP",
        "Not offered in the FedRAMP environment.",
    ),
    (
        OfferStatus.NOT_IN_LICENCE,
        Reason.AREA_NOT_ELIGIBLE,
        False,
        "Not for this product area",
        "Not offered for this product area.",
    ),
    (
        OfferStatus.NOT_IN_LICENCE,
        Reason.DISCOVER_TEAM,
        False,
        "XM Discover support",
        "XM Discover has its own support team.",
    ),
]
CARD_TAGS = {tag for *_, tag, _sentence in TAG_AND_REASON}


def test_the_tag_table_covers_every_status_and_reason_routing_has() -> None:
    assert {row[0] for row in TAG_AND_REASON} == set(OfferStatus)
    assert {row[1] for row in TAG_AND_REASON} == set(Reason)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("status", "reason", "accepts_requests", "tag", "sentence"),
    TAG_AND_REASON,
    ids=[f"{row[0]}-{row[1]}{'-taking' if row[2] else ''}" for row in TAG_AND_REASON],
)
def test_each_cards_tag_agrees_with_its_reason(
    client: Client,
    seat_holder: User,
    surveys_area: ProductArea,
    crafted: Callable[[ContactOffers], None],
    status: OfferStatus,
    reason: Reason,
    accepts_requests: bool,
    tag: str,
    sentence: str,
) -> None:
    conference = MethodOffer(
        method=Method.CONFERENCE,
        status=status,
        reason=reason,
        team=RoutingTeam.ENTERPRISE if status != OfferStatus.NOT_IN_LICENCE else None,
        accepts_requests=accepts_requests,
    )
    crafted(_offers(conference=conference))
    card = _cards(_main(_as(client, seat_holder).get(METHODS_URL.format(slug=surveys_area.slug))))[
        "conference"
    ]
    tags = re.findall(r'<span class="tag tag--(?:on|later|off)">([^<]*)</span>', card)
    assert tags == [tag]
    assert not (CARD_TAGS - {tag}) & set(re.findall(r">([^<]+)<", card))
    if sentence:
        assert f'<p class="method-card__reason">{sentence}</p>' in card
    else:
        assert "method-card__reason" not in card


@pytest.mark.django_db
def test_a_fedramp_user_gets_email_and_phone_without_chat_or_an_upgrade_hint(
    client: Client, fedramp_user: User, open_world: None, surveys_area: ProductArea
) -> None:
    cards = _cards(_main(_as(client, fedramp_user).get(METHODS_URL.format(slug="360"))))
    assert "Not offered in the FedRAMP environment." in cards["chat"]
    assert "contact your account team" not in cards["chat"]
    assert "href=" in cards["email"] and "href=" in cards["phone"]
    assert "Enterprise Support" not in cards["email"]


@pytest.mark.django_db
def test_a_self_service_licence_offers_email_and_points_to_the_account_team_for_more(
    client: Client, self_service_owner: User, open_world: None, surveys_area: ProductArea
) -> None:
    cards = _cards(
        _main(_as(client, self_service_owner).get(METHODS_URL.format(slug=surveys_area.slug)))
    )
    assert "/contact/email/?language=en" in cards["email"]
    for method in ("chat", "phone"):
        assert "Not included in your organisation’s licence." in cards[method]
        assert "contact your account team" in cards[method]
        assert 'href="mailto:selfservice@hub.example"' in cards[method]
        assert "/contact/" not in cards[method]


# --- R-METHODS: every sentence of a card, from crafted offers ---------------------------------


def _offers(**overrides: MethodOffer) -> ContactOffers:
    def available(method: Method) -> MethodOffer:
        return MethodOffer(
            method=method,
            status=OfferStatus.AVAILABLE,
            reason=Reason.OPEN,
            team=RoutingTeam.GENERAL,
            accepts_requests=True,
        )

    offers = {method.value: available(method) for method in Method}
    offers.update(overrides)
    return ContactOffers(
        chat=offers["chat"],
        email=offers["email"],
        phone=offers["phone"],
        conference=offers["conference"],
        discover_redirect=False,
        shows_assistant=True,
        urgent_method=None,
    )


@pytest.fixture
def crafted(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[ContactOffers], None]]:
    def use(offers: ContactOffers) -> None:
        monkeypatch.setattr(steps, "flow_offers", lambda *args, **kwargs: offers)

    yield use


# Monday 2 March 2026, 07:00 UTC: 08:00 in Rome, 02:00 in New York.
OPENING = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)


@pytest.mark.django_db
def test_outside_language_hours_email_and_phone_take_requests_and_say_when_in_local_time(
    client: Client,
    self_service_owner: User,
    surveys_area: ProductArea,
    crafted: Callable[[ContactOffers], None],
) -> None:
    def later(method: Method) -> MethodOffer:
        return MethodOffer(
            method=method,
            status=OfferStatus.NOT_NOW,
            reason=Reason.OUTSIDE_LANGUAGE_HOURS,
            team=RoutingTeam.GENERAL,
            next_opening=OPENING,
            accepts_requests=True,
            english_now=True,
            english_wait=WaitEstimate(300, 200, 700, 0.4),
        )

    crafted(_offers(email=later(Method.EMAIL), phone=later(Method.PHONE)))
    _as(client, self_service_owner)  # New York
    cards = _cards(
        _main(client.get(METHODS_URL.format(slug=surveys_area.slug), {"language": "it"}))
    )
    email, phone = cards["email"], cards["phone"]
    assert "Nobody who speaks Italian is on duty at the moment." in email
    assert "Closed now, taking requests" in email
    assert "We will answer from Monday 2 March, 02:00, your time." in email
    assert "We will call you from Monday 2 March, 02:00, your time." in phone
    # Still choosable, in Italian; and English now, from the same card.
    assert '/contact/phone/?language=it">Request a callback in Italian</a>' in phone
    assert "Help in English is available now, with a wait of about 5 minutes." in phone
    assert "/contact/phone/?language=en" in phone
    assert "Request a callback in English" in phone


@pytest.mark.django_db
def test_the_drawn_cards_are_shared_only_while_what_they_show_is_the_same(
    client: Client,
    self_service_owner: User,
    acme_team: Organisation,
    make_member: Callable[..., User],
    surveys_area: ProductArea,
    crafted: Callable[[ContactOffers], None],
) -> None:
    """The cards are drawn once for everyone who would see them alike: a wait that reads the
    same is the same drawing, and anything a card shows that differs is drawn afresh."""
    closed = MethodOffer(
        method=Method.EMAIL,
        status=OfferStatus.NOT_NOW,
        reason=Reason.OUTSIDE_HOURS,
        team=RoutingTeam.GENERAL,
        next_opening=OPENING,
        accepts_requests=True,
    )
    refused = MethodOffer(
        method=Method.CONFERENCE,
        status=OfferStatus.NOT_IN_LICENCE,
        reason=Reason.NEEDS_SUCCESS_PACKAGE,
        upgrade_hint=True,
    )

    def phone(seconds: float) -> MethodOffer:
        return MethodOffer(
            method=Method.PHONE,
            status=OfferStatus.AVAILABLE,
            reason=Reason.OPEN,
            team=RoutingTeam.GENERAL,
            accepts_requests=True,
            wait=WaitEstimate(seconds, seconds / 2, seconds * 2, 1.0),
        )

    def cards_of(user: User, **query: str) -> dict[str, str]:
        return _cards(
            _main(_as(client, user).get(METHODS_URL.format(slug=surveys_area.slug), query))
        )

    rome = make_member("rome@acme.example", acme_team, time_zone="Europe/Rome")
    crafted(_offers(phone=phone(600), email=closed, conference=refused))
    first = cards_of(rome)
    assert "Estimated wait: about 10 minutes" in first["phone"]
    assert "We will answer from Monday 2 March, 08:00, your time." in first["email"]
    assert "Priya Raman" in first["conference"]

    # A few seconds more reads the same: the same cards.
    crafted(_offers(phone=phone(610), email=closed, conference=refused))
    assert cards_of(rome) == first
    # A wait that reads differently is drawn afresh.
    crafted(_offers(phone=phone(1500), email=closed, conference=refused))
    assert "Estimated wait: about 25 minutes" in cards_of(rome)["phone"]
    # Another organisation's account team, another time zone: their own cards.
    other = cards_of(self_service_owner)
    assert "We will answer from Monday 2 March, 02:00, your time." in other["email"]
    assert "Self-service desk" in other["conference"]
    assert "Priya Raman" not in other["conference"]
    # The account team renamed: seen at the next page.
    acme_team.account_team_name = "Sam Okafor"
    acme_team.save()
    assert "Sam Okafor" in cards_of(rome)["conference"]
    # Another support language, and another language of the pages.
    assert "/contact/phone/?language=it" in cards_of(rome, language="it")["phone"]
    rome.preferred_language = "it"
    rome.save()
    assert "Attesa stimata: circa 25 minuti" in cards_of(rome)["phone"]


@pytest.mark.django_db
def test_a_much_longer_wait_suggests_english_and_shows_both(
    client: Client,
    standard_user: User,
    surveys_area: ProductArea,
    crafted: Callable[[ContactOffers], None],
) -> None:
    phone = MethodOffer(
        method=Method.PHONE,
        status=OfferStatus.AVAILABLE,
        reason=Reason.OPEN,
        team=RoutingTeam.GENERAL,
        accepts_requests=True,
        wait=WaitEstimate(2400, 1800, 4200, 1.0),
        english_now=True,
        english_wait=WaitEstimate(360, 120, 900, 0.5),
        suggest_english=True,
    )
    crafted(_offers(phone=phone))
    card = _cards(
        _main(
            _as(client, standard_user).get(
                METHODS_URL.format(slug=surveys_area.slug), {"language": "it"}
            )
        )
    )["phone"]
    assert "Estimated wait: about 40 minutes" in card
    assert "Most people wait between 30 minutes and 1 hour 10 minutes." in card
    assert "Help in English is available now, with a wait of about 6 minutes." in card


@pytest.mark.django_db
def test_enterprise_handover_queue_too_long_and_unknown_waits_are_said_plainly(
    client: Client,
    seat_holder: User,
    surveys_area: ProductArea,
    crafted: Callable[[ContactOffers], None],
) -> None:
    email = MethodOffer(
        method=Method.EMAIL,
        status=OfferStatus.AVAILABLE,
        reason=Reason.OPEN,
        team=RoutingTeam.GENERAL,
        enterprise_label=True,
        handover_at=datetime(2026, 3, 2, 0, 0, tzinfo=UTC),  # Sunday 17:00 in Denver
        accepts_requests=True,
    )
    chat = MethodOffer(
        method=Method.CHAT,
        status=OfferStatus.NOT_NOW,
        reason=Reason.QUEUE_TOO_LONG,
        team=RoutingTeam.GENERAL,
        wait=WaitEstimate(1800, 900, 3600, 1.0),
    )
    phone = MethodOffer(
        method=Method.PHONE,
        status=OfferStatus.AVAILABLE,
        reason=Reason.OPEN,
        team=RoutingTeam.ENTERPRISE,
        enterprise_label=True,
        accepts_requests=True,
        wait=WaitEstimate(float("inf"), float("inf"), float("inf"), 1.0),
    )
    offers = _offers(email=email, chat=chat, phone=phone)
    crafted(
        ContactOffers(
            chat=offers.chat,
            email=offers.email,
            phone=offers.phone,
            conference=offers.conference,
            discover_redirect=False,
            shows_assistant=False,
            urgent_method=Method.PHONE,
        )
    )
    cards = _cards(_main(_as(client, seat_holder).get(METHODS_URL.format(slug=surveys_area.slug))))
    assert "Enterprise Support takes over from Sunday 1 March, 17:00." in cards["email"]
    assert "Temporarily unavailable: the queue is long right now." in cards["chat"]
    assert "href=" not in cards["chat"]
    assert "Estimated wait" not in cards["phone"]
    assert "Recommended for urgent problems" in cards["phone"]


@pytest.mark.django_db
def test_a_method_closed_with_no_requests_taken_says_when_it_opens_and_cannot_be_chosen(
    client: Client,
    standard_user: User,
    surveys_area: ProductArea,
    crafted: Callable[[ContactOffers], None],
) -> None:
    chat = MethodOffer(
        method=Method.CHAT,
        status=OfferStatus.NOT_NOW,
        reason=Reason.OUTSIDE_HOURS,
        team=RoutingTeam.GENERAL,
        next_opening=OPENING,
    )
    phone = MethodOffer(
        method=Method.PHONE,
        status=OfferStatus.NOT_NOW,
        reason=Reason.NOBODY_ON_SHIFT,
        team=RoutingTeam.GENERAL,
    )
    crafted(_offers(chat=chat, phone=phone))
    cards = _cards(
        _main(_as(client, standard_user).get(METHODS_URL.format(slug=surveys_area.slug)))
    )
    assert "Closed at the moment." in cards["chat"]
    assert "Opens Monday 2 March, 07:00, your time." in cards["chat"]  # London in winter
    assert "No agent is free at the moment." in cards["phone"]
    assert "Not available now" in cards["phone"]
    assert "href=" not in cards["phone"]
    assert 'aria-disabled="true">Request a callback' in cards["phone"]


# --- R-ACCT --------------------------------------------------------------------------------


FULL_TOPICS = [
    "Billing, payment or renewal",
    "Licence questions",
    "Vendor and security forms",
    "SMS onboarding material or SMS credit top-up",
    "Product or feature access",
]
SELF_SERVICE_TOPICS = ["A failed payment", "A refund", "Another specialised billing request"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("actor", "topics"),
    [
        ("brand_admin", FULL_TOPICS),
        ("billing_contact", FULL_TOPICS),
        ("self_service_owner", SELF_SERVICE_TOPICS),
    ],
)
def test_administrators_billing_and_primary_contacts_get_the_intake_with_their_topics(
    client: Client,
    request: pytest.FixtureRequest,
    actor: str,
    topics: list[str],
    django_assert_num_queries: Callable[..., Any],
) -> None:
    _as(client, request.getfixturevalue(actor))
    with django_assert_num_queries(SESSION_QUERIES + 2):  # user, member facts
        response = client.get("/hub/account-services/")
    main = _main(response)
    assert re.search(r"<legend[^>]*>.*<h1[^>]*>What is your request about\?</h1>", main, re.S)
    labels = re.findall(r'class="radio-option__label" for="id_topic_\d">([^<]+)</label>', main)
    assert labels == topics
    assert re.search(r'name="idempotency_key" value="[0-9a-f]{32}"', main)
    assert 'class="back-link" href="/hub/"' in _html(response)


@pytest.mark.django_db
@pytest.mark.parametrize("actor", ["standard_user", "seat_holder", "fedramp_user"])
def test_everyone_else_is_told_to_ask_their_brand_administrators(
    client: Client,
    request: pytest.FixtureRequest,
    actor: str,
    make_member: Callable[..., User],
    django_assert_num_queries: Callable[..., Any],
) -> None:
    user: User = request.getfixturevalue(actor)
    admin = make_member(
        f"boss@{user.email.split('@')[1]}",
        user.membership.organisation,
        brand_admin=True,
        first_name="Morgan",
        last_name="Lee",
    )
    _as(client, user)
    with django_assert_num_queries(SESSION_QUERIES + 3):  # user, member facts, admins
        response = client.get("/hub/account-services/")
    main = _main(response)
    assert "<h1>Ask someone who manages your account</h1>" in main
    assert "Morgan Lee" in main and f'href="mailto:{admin.email}"' in main
    assert "<form" not in main
    refused = client.post(
        "/hub/account-services/", {"topic": "billing", "description": "Please refund us."}
    )
    assert refused.status_code == 404
    assert not Ticket.objects.exists()


@pytest.mark.django_db
def test_the_refusal_names_every_brand_admin_billing_and_primary_contact_with_role_and_email(
    client: Client,
    standard_user: User,
    acme: Organisation,
    make_member: Callable[..., User],
    django_assert_num_queries: Callable[..., Any],
) -> None:
    make_member("ada@acme.example", acme, brand_admin=True, first_name="Ada", last_name="Ames")
    make_member("bill@acme.example", acme, billing=True, first_name="Bo", last_name="Bell")
    make_member(
        "pat@acme.example",
        acme,
        primary=True,
        billing=True,
        first_name="Pat",
        last_name="Cole",
    )
    make_member("other@acme.example", acme, first_name="Olly", last_name="Dunn")
    _as(client, standard_user)
    with django_assert_num_queries(SESSION_QUERIES + 3):  # user, member facts, the contacts
        main = _main(client.get("/hub/account-services/"))
    people = re.findall(r'<li class="person-list__item">(.*?)</li>', main, re.S)
    expected = [
        ("Ada Ames", "Brand administrator", "ada@acme.example"),
        ("Bo Bell", "Billing contact", "bill@acme.example"),
        ("Pat Cole", "Billing contact, Primary contact", "pat@acme.example"),
    ]
    assert len(people) == len(expected)
    for html, (name, roles, email) in zip(people, expected, strict=True):
        assert f'<span class="person-list__name">{name}</span>' in html
        assert f'<span class="person-list__role">{roles}</span>' in html
        assert f'<a href="mailto:{email}">{email}</a>' in html
    assert "Olly Dunn" not in main


@pytest.mark.django_db
def test_the_intake_makes_one_account_services_ticket_even_when_sent_twice(
    client: Client, brand_admin: User
) -> None:
    _as(client, brand_admin)
    data = {
        "topic": "vendor_security_forms",
        "description": "  Our security questionnaire is due on Friday.  ",
        "idempotency_key": "a" * 32,
    }
    first = client.post("/hub/account-services/", data)
    second = client.post("/hub/account-services/", data)
    ticket = Ticket.objects.get()
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == f"/hub/requests/{ticket.number}/"
    assert ticket.requester == brand_admin
    assert ticket.team == Team.ACCOUNT_SERVICES
    assert ticket.channel == Channel.WEB
    assert ticket.subject == "Vendor and security forms"
    assert ticket.description == "Our security questionnaire is due on Friday."
    assert ticket.idempotency_key == "a" * 32
    assert ticket.language == "en"


@pytest.mark.django_db
def test_a_mangled_idempotency_key_is_replaced_and_the_request_still_goes_through(
    client: Client, billing_contact: User
) -> None:
    response = _as(client, billing_contact).post(
        "/hub/account-services/",
        {"topic": "billing", "description": "Invoice 42 is wrong.", "idempotency_key": "<x>"},
    )
    assert response.status_code == 302
    assert re.fullmatch(r"[0-9a-f]{32}", Ticket.objects.get().idempotency_key or "")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ({}, ["Choose what your request is about", "Describe your request"]),
        ({"topic": "billing", "description": "   "}, ["Describe your request"]),
        ({"topic": "refund", "description": "Refund please"}, ["Select a valid choice"]),
        (
            {"topic": "billing", "description": "x" * 2001},
            ["Describe your request in 2000 characters or fewer"],
        ),
    ],
)
def test_bad_input_gets_an_error_summary_field_errors_and_keeps_what_was_typed(
    client: Client, brand_admin: User, data: dict[str, str], errors: list[str]
) -> None:
    response = _as(client, brand_admin).post("/hub/account-services/", data)
    html = _html(response)
    assert response.status_code == 200
    assert "<title>Error:" in html
    assert "There is a problem" in html
    for error in errors:
        assert error in html
    if "topic" in data and data["topic"] == "billing":
        assert 'value="billing" id="id_topic_0" checked' in html
    if data.get("description", "").strip():
        assert data["description"] in html
    assert not Ticket.objects.exists()


@pytest.mark.django_db
def test_a_self_service_owner_cannot_ask_about_topics_outside_their_licence(
    client: Client, self_service_owner: User
) -> None:
    response = _as(client, self_service_owner).post(
        "/hub/account-services/", {"topic": "licence", "description": "More seats please"}
    )
    assert response.status_code == 200
    assert "Select a valid choice" in _html(response)
    assert not Ticket.objects.exists()


@pytest.mark.django_db
def test_an_italian_request_is_a_ticket_in_italian(client: Client, brand_admin: User) -> None:
    brand_admin.preferred_language = "it"
    brand_admin.save()
    _as(client, brand_admin).post(
        "/hub/account-services/", {"topic": "billing", "description": "Fattura errata."}
    )
    ticket = Ticket.objects.get()
    assert ticket.language == "it"
    assert ticket.subject != "Billing, payment or renewal"  # the label the user chose, in Italian


# --- R-CONFIRM -----------------------------------------------------------------------------


def _ticket(user: User, **fields: Any) -> Ticket:
    fields.setdefault("channel", Channel.WEB)
    fields.setdefault("team", Team.ACCOUNT_SERVICES)
    fields.setdefault("subject", "Billing, payment or renewal")
    return ticket_create(requester=user, description="Invoice 42 is wrong.", **fields)


@pytest.mark.django_db
def test_the_requester_sees_the_number_the_email_and_what_happens_next(
    client: Client, brand_admin: User, django_assert_num_queries: Callable[..., Any]
) -> None:
    ticket = _ticket(brand_admin)
    _as(client, brand_admin)
    with django_assert_num_queries(SESSION_QUERIES + 2):  # user, the ticket with its booking
        response = client.get(f"/hub/requests/{ticket.number}/")
    main = _main(response)
    assert response.status_code == 200
    assert f'<strong class="confirmation-panel__number">{ticket.number}</strong>' in main
    assert "We have sent you a confirmation email to admin@acme.example." in main
    assert "What happens next" in main
    assert "The Account Services team will reply to you by email." in main
    assert "reply to the confirmation email" in main


@pytest.mark.django_db
@pytest.mark.parametrize("viewer", ["standard_user", "outsider", "agent", "admin_user"])
def test_nobody_but_the_requester_sees_the_confirmation(
    client: Client, request: pytest.FixtureRequest, brand_admin: User, viewer: str
) -> None:
    ticket = _ticket(brand_admin)
    _as(client, request.getfixturevalue(viewer))
    assert client.get(f"/hub/requests/{ticket.number}/").status_code == 404
    assert client.get("/hub/requests/CS-999999/").status_code == 404


@pytest.mark.django_db
def test_a_queued_callback_shows_its_place_and_wait_in_a_live_region(
    client: Client,
    standard_user: User,
    open_world: None,
    surveys_area: ProductArea,
    django_assert_num_queries: Callable[..., Any],
) -> None:
    tickets = [
        _ticket(
            standard_user,
            channel=Channel.PHONE,
            team=Team.TECHNICAL,
            subject=f"Callback {n}",
            product_area=surveys_area,
            language="en",
            phone_number="+442079460000",
        )
        for n in range(2)
    ]
    for n, ticket in enumerate(tickets):
        CallbackRequest.objects.create(
            ticket=ticket,
            language="en",
            product_area=surveys_area,
            team="general",
            enqueued_at=timezone.now() - timedelta(minutes=5 - n),
        )
    _as(client, standard_user)
    url = f"/hub/requests/{tickets[1].number}/"
    # user, the ticket, its area's names; queue_status: the callback, its position, the
    # handle times, the wait quoted on the form
    with django_assert_num_queries(SESSION_QUERIES + 7):
        response = client.get(url)
    main = _main(response)
    assert 'id="queue-status"' in main and 'aria-live="polite"' in main
    assert f'hx-get="{url}"' in main
    assert "You are number 2 in the queue for a callback." in main
    assert re.search(r"Estimated wait: about \d+ minutes?", main)
    assert "Surveys &amp; XM Directory" in main

    partial = client.get(url, HTTP_HX_REQUEST="true")
    assert partial.status_code == 200
    assert "<html" not in _html(partial)
    assert "You are number 2 in the queue" in _html(partial)

    CallbackRequest.objects.filter(ticket=tickets[1]).update(taken_at=timezone.now())
    stopped = client.get(url, HTTP_HX_REQUEST="true")
    assert stopped.status_code == steps.HTMX_STOP_POLLING
    assert "no longer waiting" in _html(stopped)


@pytest.mark.django_db
def test_a_callback_outside_language_hours_says_when_it_joins_the_queue(
    client: Client, standard_user: User, surveys_area: ProductArea
) -> None:
    due = timezone.now() + timedelta(days=2)
    ticket = _ticket(
        standard_user,
        channel=Channel.PHONE,
        team=Team.TECHNICAL,
        subject="Callback later",
        product_area=surveys_area,
        language="it",
        phone_number="+390612345678",
        callback_due_at=due,
    )
    main = _main(_as(client, standard_user).get(f"/hub/requests/{ticket.number}/"))
    when = timezone.localtime(due).strftime("%-d")
    assert "Your callback joins the queue on" in main
    assert f" {when} " in main


@pytest.mark.django_db
def test_an_email_left_outside_language_hours_says_when_it_will_be_answered(
    client: Client, self_service_owner: User, surveys_area: ProductArea
) -> None:
    ticket = _ticket(
        self_service_owner,
        channel=Channel.EMAIL,
        team=Team.TECHNICAL,
        subject="Survey logic",
        product_area=surveys_area,
        language="it",
        event_data={"answered_from": OPENING.isoformat()},
    )
    main = _main(_as(client, self_service_owner).get(f"/hub/requests/{ticket.number}/"))
    assert "We will answer from Monday 2 March, 02:00, your time." in main
