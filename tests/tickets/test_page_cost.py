"""Pages render cheaply: the history's rows are worked out once per page (labels, dates), its
requester filter is read as plain values, and the admin's ticket list neither counts nor scans
the whole tickets table to draw its page links and its product-area filter."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from django import forms
from django.contrib.admin.helpers import ActionForm
from django.core.cache import caches
from django.core.cache.utils import make_template_fragment_key
from django.db import connection
from django.forms.renderers import DjangoTemplates
from django.template import Context, Template
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape

from hub.accounts.models import Membership, Organisation, User
from routing.models import Agent, ProductArea, ProductAreaTranslation
from tests.tickets.history_world import tickets_bulk
from tickets import admin as ticket_admin
from tickets.forms import (
    PlainDateInput,
    PlainHiddenInput,
    PlainLabelRenderer,
    PlainTextarea,
    PlainTextInput,
    TemplateFreeSelect,
)
from tickets.labels import choice_label
from tickets.models import EventKind, Status, Ticket, TicketEvent
from tickets.selectors import changelist_filters_key

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("language", ["en", "it", "fr", "de", "ja"])
def test_the_list_writes_labels_and_dates_as_the_template_filters_do(
    client: Client, brand_admin: User, product_areas: list[ProductArea], language: str
) -> None:
    ticket = tickets_bulk([brand_admin], 1, start=datetime(2026, 3, 9, 22, 5, tzinfo=UTC))[0]
    brand_admin.preferred_language = language
    brand_admin.time_zone = "Europe/Rome"
    brand_admin.save(update_fields=["preferred_language", "time_zone"])
    client.force_login(brand_admin)
    html = client.get("/hub/tickets/").content.decode()
    with translation.override(language), timezone.override("Europe/Rome"):
        made = Template('{{ when|moment:"year short time" }}').render(
            Context({"when": ticket.created_at})
        )
        status = str(Status(ticket.status).label)
    assert "23:05" in made  # the time in Rome, not UTC
    assert f">{made}<" in html
    assert f">{status}</strong>" in html


def test_the_requester_filter_lists_every_member_by_name_or_address(
    client: Client,
    brand_admin: User,
    acme: Organisation,
    make_member: object,
) -> None:
    assert callable(make_member)
    named = make_member("ada@acme.example", acme)
    named.first_name, named.last_name = "Ada", "Lovelace"
    named.save(update_fields=["first_name", "last_name"])
    make_member("nameless@acme.example", acme)
    tickets_bulk([named], 1, start=timezone.now() - timedelta(days=1))
    client.force_login(brand_admin)
    html = client.get("/hub/tickets/").content.decode()
    assert f'<option value="{named.pk}">Ada Lovelace</option>' in html
    assert ">nameless@acme.example</option>" in html
    only_ada = client.get("/hub/tickets/", {"requester": str(named.pk)})
    assert only_ada.status_code == 200 and "There is a problem" not in only_ada.content.decode()


def _select_offers(
    client: Client, url: str, name: str, read_marker: str
) -> tuple[list[tuple[str, str]], list[str]]:
    """The (value, label) options of the page's select ``name``, and the queries of the page
    whose SQL holds ``read_marker`` (those that read the options)."""
    with CaptureQueriesContext(connection) as captured:
        html = client.get(url).content.decode()
    start = html.index(f'name="{name}"')
    select = html[start : html.index("</select>", start)]
    read = [q["sql"] for q in captured.captured_queries if read_marker in q["sql"]]
    return re.findall(r'<option value="(\d*)"[^>]*>([^<]*)</option>', select), read


def test_the_requester_filter_is_built_once_and_follows_every_change_to_the_members(
    client: Client,
    brand_admin: User,
    acme: Organisation,
    make_member: object,
) -> None:
    assert callable(make_member)
    grace = make_member("grace@acme.example", acme)
    tickets_bulk([grace], 1, start=timezone.now() - timedelta(days=1))
    client.force_login(brand_admin)

    def options() -> tuple[list[tuple[str, str]], list[str]]:
        return _select_offers(
            client, "/hub/tickets/", "requester", 'FROM "hub_user" INNER JOIN "hub_membership"'
        )

    first, read = options()
    assert (str(grace.pk), "grace@acme.example") in first and len(read) == 1
    again, read = options()
    assert again == first and not read  # built once per process

    grace.first_name, grace.last_name = "Grace", "Hopper"
    grace.save(update_fields=["first_name", "last_name"])
    renamed, read = options()
    assert (str(grace.pk), "Grace Hopper") in renamed and len(read) == 1

    newcomer = make_member("newcomer@acme.example", acme)
    joined, _ = options()
    assert (str(newcomer.pk), "newcomer@acme.example") in joined

    Membership.objects.filter(user=newcomer).delete()
    left, _ = options()
    assert str(newcomer.pk) not in dict(left)


def test_the_list_names_areas_from_routings_configuration_retired_and_renamed_ones_too(
    client: Client, brand_admin: User, product_areas: list[ProductArea]
) -> None:
    retired, renamed = product_areas[0], product_areas[1]
    tickets_bulk([brand_admin], 2, start=timezone.now() - timedelta(days=1))
    Ticket.objects.filter(organisation=brand_admin.membership.organisation).update(
        product_area=retired
    )
    Ticket.objects.filter(pk=Ticket.objects.order_by("pk").values("pk")[:1]).update(
        product_area=renamed
    )
    retired.is_active = False
    retired.save(update_fields=["is_active"])
    client.force_login(brand_admin)
    client.get("/hub/tickets/")
    with CaptureQueriesContext(connection) as queries:
        html = client.get("/hub/tickets/").content.decode()
    assert not [q for q in queries.captured_queries if "routing_productarea" in q["sql"]]
    # A retired area still names its old tickets, in the filter and in the rows.
    assert f">{escape(retired.name)}</td>" in html
    ProductAreaTranslation.objects.update_or_create(
        area=renamed, language="it", defaults={"name": "Area rinominata", "description": "-"}
    )
    brand_admin.preferred_language = "it"
    brand_admin.save(update_fields=["preferred_language"])
    assert ">Area rinominata</td>" in client.get("/hub/tickets/").content.decode()


@pytest.fixture
def agent_client(client: Client, agent: User) -> Client:
    Agent.objects.create(user=agent, team="general", languages=["en"])
    client.force_login(agent)
    return client


def test_the_admin_list_neither_scans_tickets_for_its_areas_nor_counts_a_large_table(
    agent_client: Client,
    standard_user: User,
    product_areas: list[ProductArea],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the estimate is PostgreSQL's")
    tickets_bulk(
        [standard_user], 120, start=timezone.now() - timedelta(days=30), areas=product_areas
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE tickets_ticket")
    # As if the table were past the size where counting it costs a scan.
    monkeypatch.setattr(ticket_admin.EstimatedCountPaginator, "ESTIMATE_FROM", 100)
    url = reverse("admin:tickets_ticket_changelist")
    with CaptureQueriesContext(connection) as captured:
        page = agent_client.get(url)
    assert page.status_code == 200
    sql = [query["sql"] for query in captured.captured_queries]
    counts = [q for q in sql if "COUNT(*)" in q and 'FROM "tickets_ticket"' in q]
    assert counts == [], counts
    assert not [q for q in sql if "DISTINCT" in q and "product_area" in q]
    html = page.content.decode()
    # Every area is offered in the filter, used or not.
    for area in product_areas[:3]:
        assert f"product_area__id__exact={area.pk}" in html
    # Filtered, the count is exact again.
    with CaptureQueriesContext(connection) as captured:
        assert agent_client.get(url, {"channel__exact": "phone"}).status_code == 200
    assert [q["sql"] for q in captured.captured_queries if "COUNT(*)" in q["sql"]]


def test_the_admin_list_reads_its_rows_organisation_by_name_and_counts_without_it(
    agent_client: Client, standard_user: User, product_areas: list[ProductArea]
) -> None:
    tickets_bulk([standard_user], 60, start=timezone.now() - timedelta(days=3), areas=product_areas)
    url = reverse("admin:tickets_ticket_changelist")
    agent_client.get(url)  # the permissions, read once
    with CaptureQueriesContext(connection) as captured:
        html = agent_client.get(url, {"channel__exact": "phone"}).content.decode()
    sql = [query["sql"] for query in captured.captured_queries]
    (page,) = [q for q in sql if 'FROM "tickets_ticket"' in q and "COUNT(" not in q]
    (count,) = [q for q in sql if 'FROM "tickets_ticket"' in q and "COUNT(" in q]
    # The page: the organisation's name and nothing else of it; nothing of the areas, which
    # routing's shared configuration names. The count: the tickets alone.
    assert '"hub_organisation"."name"' in page
    assert '"hub_organisation"."licence_tier"' not in page
    assert "routing_productarea" not in page
    assert "hub_organisation" not in count
    organisation = escape(standard_user.membership.organisation.name)
    assert html.count(f'<td class="field-organisation_name">{organisation}</td>') == 15
    assert escape(product_areas[1].name) in html
    # Sorted by organisation, as the column's header sorts it.
    with CaptureQueriesContext(connection) as captured:
        html = agent_client.get(url, {"o": "3"}).content.decode()
    assert html.count('class="field-organisation_name"') == 50
    assert [
        q for q in captured.captured_queries if 'ORDER BY "hub_organisation"."name"' in q["sql"]
    ]


def test_the_admin_area_filter_offers_every_area_in_the_agents_language_without_reading_them(
    agent_client: Client, agent: User, product_areas: list[ProductArea]
) -> None:
    retired = product_areas[0]
    retired.is_active = False
    retired.save()
    url = reverse("admin:tickets_ticket_changelist")
    agent_client.get(url)  # reads routing's configuration once
    with CaptureQueriesContext(connection) as captured:
        html = agent_client.get(url).content.decode()
    assert not [q for q in captured.captured_queries if 'FROM "routing_productarea"' in q["sql"]]
    offered = re.findall(r'<a href="\?product_area__id__exact=(\d+)">([^<]*)</a>', html)
    # What Django's own filter offered: every area, retired ones too, in the areas' order.
    assert offered == [(str(area.pk), escape(str(area))) for area in ProductArea.objects.all()]
    assert "product_area__isnull=True" in html
    agent.preferred_language = "de"
    agent.save(update_fields=["preferred_language"])
    html = agent_client.get(url).content.decode()
    with translation.override("de"):
        german = [
            escape(str(area)) for area in ProductArea.objects.prefetch_related("translations")
        ]
    assert re.findall(r'<a href="\?product_area__id__exact=\d+">([^<]*)</a>', html) == german
    narrowed = agent_client.get(url, {"product_area__id__exact": str(retired.pk)}).content
    chosen = rf'<li class="selected">\s*<a href="\?product_area__id__exact={retired.pk}">'
    assert re.search(chosen, narrowed.decode())


def test_the_admin_action_form_is_what_djangos_draws() -> None:
    choices = [("", "---------"), ("sweep_try_again", "Try <again> & again")]
    ours, django = ticket_admin.TicketActionForm(auto_id=None), ActionForm(auto_id=None)
    for form in (ours, django):
        form.fields["action"].choices = choices  # type: ignore[attr-defined]
    for name in ("action", "select_across"):
        assert str(ours[name]) == str(django[name])
    assert ticket_admin.TicketAdmin.action_form is ticket_admin.TicketActionForm


def test_the_admin_list_draws_one_checkbox_per_row_as_django_does(
    agent_client: Client, standard_user: User
) -> None:
    tickets = tickets_bulk([standard_user], 3, start=timezone.now() - timedelta(days=1))
    html = agent_client.get(reverse("admin:tickets_ticket_changelist")).content.decode()
    for ticket in tickets:
        assert (
            f'<input type="checkbox" name="_selected_action" value="{ticket.pk}" '
            f'class="action-select" aria-label="Select this object for an action - {ticket}">'
        ) in html
    assert Ticket.objects.count() == 3


def test_the_admin_ticket_page_reads_the_same_queries_however_long_the_timeline(
    agent_client: Client, standard_user: User, agent: User
) -> None:
    ticket = tickets_bulk([standard_user], 1, start=timezone.now() - timedelta(days=1))[0]
    url = reverse("admin:tickets_ticket_change", args=[ticket.pk])

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert agent_client.get(url).status_code == 200
        return len(captured)

    queries()  # the permissions, read once
    few = queries()
    for number in range(40):
        TicketEvent.objects.create(
            ticket=ticket,
            kind=EventKind.COMMENT,
            actor=agent if number % 2 else standard_user,
            message=f"Note {number}",
        )
    assert queries() == few


def test_the_admin_ticket_page_offers_the_agents_built_once_and_follows_every_change(
    agent_client: Client, standard_user: User, agent: User
) -> None:
    ticket = tickets_bulk([standard_user], 1, start=timezone.now() - timedelta(days=1))[0]
    url = reverse("admin:tickets_ticket_change", args=[ticket.pk])
    zoe = User.objects.create_user(
        username="zoe@hub.example", email="zoe@hub.example", is_staff=True,
        first_name="Zoe", last_name="Adams",
    )  # fmt: skip
    User.objects.create_user(
        username="gone@hub.example", email="gone@hub.example", is_staff=True, is_active=False
    )

    def offered() -> tuple[list[tuple[str, str]], list[str]]:
        return _select_offers(
            agent_client, url, "assigned_to", '"hub_user"."is_active" AND "hub_user"."is_staff"'
        )

    first, read = offered()
    # Active staff only, by last name, first name and address (the agent has no name);
    # customers and former agents are not offered.
    assert first[0][0] == ""
    assert first[1:] == [(str(agent.pk), agent.email), (str(zoe.pk), "Zoe Adams")]
    assert len(read) == 1
    again, read = offered()
    assert again == first and not read  # built once per process

    zoe.last_name = "Zimmer"
    zoe.save(update_fields=["last_name"])
    renamed, read = offered()
    assert (str(zoe.pk), "Zoe Zimmer") in renamed and len(read) == 1

    zoe.is_active = False
    zoe.save(update_fields=["is_active"])
    left, _ = offered()
    assert str(zoe.pk) not in dict(left)


def test_the_admin_ticket_page_reads_the_ticket_its_people_and_timeline_and_nothing_empty(
    agent_client: Client, standard_user: User, product_areas: list[ProductArea]
) -> None:
    area = product_areas[0]
    start = timezone.now() - timedelta(days=1)
    ticket = tickets_bulk([standard_user], 1, start=start, areas=[area])[0]
    assert ticket.channel != "conference" and ticket.product_area_id == area.pk
    url = reverse("admin:tickets_ticket_change", args=[ticket.pk])
    agent_client.get(url)  # the permissions and the agents, read once
    with CaptureQueriesContext(connection) as captured:
        html = agent_client.get(url).content.decode()
    tables = [re.findall(r'FROM "(\w+)"', q["sql"])[0] for q in captured.captured_queries]
    # Besides the signed-in agent and their permissions (read with each request here, where
    # no Redis holds their copy): the ticket, with its requester, organisation and product
    # area, and its timeline. No booking and no files, which it has none of.
    assert sorted(t for t in tables if t != "auth_permission") == [
        "hub_user",
        "tickets_ticket",
        "tickets_ticketevent",
    ]
    assert "conference-TOTAL_FORMS" not in html
    assert standard_user.get_full_name() in html and "Acme" in html
    assert escape(area.name) in html


@pytest.mark.parametrize("number", ["999999", "not-a-number"])
def test_the_admin_page_of_no_ticket_says_so(agent_client: Client, number: str) -> None:
    response = agent_client.get(f"/admin/tickets/ticket/{number}/change/", follow=True)
    assert response.redirect_chain[0][1] == 302
    assert "doesn’t exist" in response.content.decode()


# --- Widgets and labels drawn in Python write what Django's templates write -------------------


def _django_select(choices: list[tuple[str, str]], value: str, attrs: dict[str, object]) -> str:
    return str(forms.Select(attrs=attrs, choices=choices).render("pick", value, {"id": "id_pick"}))


@pytest.mark.parametrize("value", ["", "b", "<&>"])
def test_the_template_free_select_writes_what_the_select_template_writes(value: str) -> None:
    choices = [("", "— none —"), ("b", "Béatrice <b>"), ("<&>", 'Quote " and & amp')]
    attrs: dict[str, object] = {"data-context": "available-source", "disabled": True}
    drawn = TemplateFreeSelect(attrs=attrs, choices=choices).render(
        "pick", value, {"id": "id_pick"}
    )
    assert str(drawn) == _django_select(choices, value, attrs)


def test_the_template_free_select_leaves_grouped_choices_to_the_templates() -> None:
    choices = [("Group", [("a", "A"), ("b", "B")]), ("c", "C")]
    drawn = TemplateFreeSelect(choices=choices).render("pick", "b", {"id": "id_pick"})
    assert str(drawn) == str(forms.Select(choices=choices).render("pick", "b", {"id": "id_pick"}))
    assert "<optgroup" in str(drawn)


@pytest.mark.parametrize("value", [None, "", "plain", '<b>"quoted"</b> & more'])
def test_the_history_inputs_write_what_the_input_template_writes(value: str | None) -> None:
    attrs: dict[str, object] = {"type": "search", "autocomplete": "off", "maxlength": "200"}
    extra = {"id": "id_q", "aria-describedby": "id_q_helptext", "aria-invalid": "true"}
    assert str(PlainTextInput(attrs=attrs).render("q", value, extra)) == str(
        forms.TextInput(attrs=attrs).render("q", value, extra)
    )
    dates: dict[str, object] = {"type": "date"}
    day = None if value is None else date(2026, 11, 30)
    assert str(
        PlainDateInput(attrs=dates, format="%Y-%m-%d").render("from", day, {"id": "id_from"})
    ) == str(forms.DateInput(attrs=dates, format="%Y-%m-%d").render("from", day, {"id": "id_from"}))


@pytest.mark.parametrize("value", [None, "", "one line", "two\nlines <b>&</b>"])
def test_the_comment_widgets_write_what_their_templates_write(value: str | None) -> None:
    extra = {"id": "id_body", "required": True, "maxlength": "5000"}
    assert str(PlainTextarea(attrs={"rows": 4}).render("body", value, extra)) == str(
        forms.Textarea(attrs={"rows": 4}).render("body", value, extra)
    )
    assert str(PlainHiddenInput().render("key", value, {"id": "id_key"})) == str(
        forms.HiddenInput().render("key", value, {"id": "id_key"})
    )


class _LabelledForm(forms.Form):
    plain = forms.CharField(label="Reply to the customer")
    marked = forms.CharField(label='Quote " <b>and</b> & amp', required=False)
    asked = forms.CharField(label="Ready?")


@pytest.mark.parametrize("auto_id", ["id_%s", False])
@pytest.mark.parametrize("attrs", [None, {"class": "required", "data-x": True, "off": False}])
def test_the_plain_label_renderer_writes_what_the_label_template_writes(
    auto_id: str | bool, attrs: dict[str, object] | None
) -> None:
    ours = _LabelledForm(auto_id=auto_id, renderer=PlainLabelRenderer())
    django = _LabelledForm(auto_id=auto_id, renderer=DjangoTemplates())
    for name in ("plain", "marked", "asked"):
        for tag in (None, "legend"):
            drawn = ours[name].label_tag(attrs=attrs, label_suffix=":", tag=tag)
            assert drawn == django[name].label_tag(attrs=attrs, label_suffix=":", tag=tag)
    # Everything else is still drawn by the templates.
    assert str(ours["plain"]) == str(django["plain"])


@pytest.mark.parametrize("language", ["en", "de", "ja"])
def test_choice_labels_are_what_get_display_returns(standard_user: User, language: str) -> None:
    ticket = tickets_bulk([standard_user], 1, start=timezone.now() - timedelta(days=1))[0]
    with translation.override(language):
        for field in ("status", "channel", "team", "language"):
            for value, _label in Ticket._meta.get_field(field).flatchoices:  # type: ignore[union-attr]
                setattr(ticket, field, value)
                assert choice_label(ticket, field) == getattr(ticket, f"get_{field}_display")()


def test_the_lists_rows_escape_what_people_wrote(
    client: Client, brand_admin: User, standard_user: User
) -> None:
    ticket = tickets_bulk([standard_user], 1, start=timezone.now() - timedelta(days=1))[0]
    Ticket.objects.filter(pk=ticket.pk).update(subject='<script>alert("x")</script> & more')
    standard_user.first_name, standard_user.last_name = "<i>Sam</i>", "O'Hara"
    standard_user.save(update_fields=["first_name", "last_name"])
    client.force_login(brand_admin)
    html = client.get("/hub/tickets/").content.decode()
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; more" in html
    assert "<script>alert" not in html
    assert "&lt;i&gt;Sam&lt;/i&gt; O&#x27;Hara" in html


def _filter_sidebar(html: str) -> str:
    found = re.search(r'<search id="changelist-filter".*?</search>', html, re.S)
    assert found is not None
    return found.group(0)


def test_the_admin_filters_drawn_once_follow_the_language_the_areas_and_the_parameters(
    agent_client: Client, agent: User, standard_user: User, product_areas: list[ProductArea]
) -> None:
    tickets_bulk([standard_user], 2, start=timezone.now() - timedelta(days=1))
    url = reverse("admin:tickets_ticket_changelist")
    first = _filter_sidebar(agent_client.get(url).content.decode())
    # Kept drawn, and what is kept is what the next request shows.
    kept = caches["fragments"].get(
        make_template_fragment_key("ticket_filters", [changelist_filters_key("en", [])])
    )
    assert kept is not None and _filter_sidebar(kept) == first
    assert _filter_sidebar(agent_client.get(url).content.decode()) == first
    # A filter in force marks its choice, keeps the others' links and offers to clear it.
    narrowed = _filter_sidebar(agent_client.get(url, {"status__exact": "new"}).content.decode())
    assert re.search(r'<li class="selected">\s*<a href="\?status__exact=new">', narrowed)
    assert "?channel__exact=phone&amp;status__exact=new" in narrowed
    assert "Clear all filters" in narrowed and "Clear all filters" not in first
    # Another page of the same list draws the same sidebar (its links never carry the page).
    assert _filter_sidebar(agent_client.get(url, {"p": "2"}).content.decode()) == first
    # An area renamed is named so at once.
    area = product_areas[0]
    area.name = "Renamed area"
    area.save(update_fields=["name"])
    ProductAreaTranslation.objects.filter(area=area).delete()
    assert ">Renamed area</a>" in _filter_sidebar(agent_client.get(url).content.decode())
    # The agent's language.
    agent.preferred_language = "de"
    agent.save(update_fields=["preferred_language"])
    german = _filter_sidebar(agent_client.get(url).content.decode())
    with translation.override("de"):
        assert f">{escape(str(Status.NEW.label))}</a>" in german
        assert escape(str(Ticket._meta.get_field("channel").verbose_name)) in german


def test_the_admin_filters_counts_are_drawn_every_time(
    agent_client: Client, standard_user: User
) -> None:
    tickets_bulk([standard_user], 2, start=timezone.now() - timedelta(days=1))
    url = reverse("admin:tickets_ticket_changelist")

    def email_choice() -> str:
        sidebar = _filter_sidebar(agent_client.get(url, {"_facets": "True"}).content.decode())
        found = re.search(r'channel__exact=email">([^<]*)</a>', sidebar)
        assert found is not None
        return found.group(1).strip()

    assert email_choice() == "Email (1)"
    tickets_bulk([standard_user], 1, start=timezone.now())
    assert email_choice() == "Email (2)"


def test_the_admin_list_draws_every_column_with_the_same_queries_whatever_the_rows(
    agent_client: Client, agent: User, standard_user: User, product_areas: list[ProductArea]
) -> None:
    url = reverse("admin:tickets_ticket_changelist")
    start = timezone.now() - timedelta(days=1)

    def page() -> tuple[str, list[str]]:
        with CaptureQueriesContext(connection) as captured:
            html = agent_client.get(url).content.decode()
        return html, [query["sql"] for query in captured.captured_queries]

    tickets_bulk([standard_user], 2, start=start, areas=product_areas)
    page()  # the permissions, read once
    _, few = page()
    many = tickets_bulk([standard_user], 30, start=start, areas=product_areas)
    agent.first_name, agent.last_name = "Ada", "Agent"
    agent.save(update_fields=["first_name", "last_name"])
    Ticket.objects.filter(pk__in=[ticket.pk for ticket in many]).update(
        assigned_to=agent, sweep_failures=2
    )
    html, more = page()
    assert len(more) == len(few)
    # Every column shows what it reads: the organisation, the area, the agent's name, the
    # automatic work's trouble under the status and the checkbox's label.
    ticket = many[-1]
    row = re.search(rf'value="{ticket.pk}".*?</tr>', html, re.S)
    assert row is not None
    for shown in (
        escape(standard_user.membership.organisation.name),
        escape(str(ticket.product_area)),
        "Ada Agent",
        "Failed 2 times, trying again",
        escape(f"Select this object for an action - {ticket}"),
    ):
        assert shown in row.group(0), shown
