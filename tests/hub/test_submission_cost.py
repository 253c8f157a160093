"""A submission is a handful of indexed writes, however many tickets there are: the phone and
email forms write the ticket and its first event in one transaction, with no savepoint and no
search document (the worker writes it), and read each fact once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from chatbot.models import Surface
from chatbot.services import conversation_ask, conversation_start
from hub.accounts.models import User
from routing.models import Agent, ProductArea
from tests.conftest import SESSION_QUERIES
from tests.hub import contact_world
from tests.hub.test_contact_forms import email_data, phone_data, url
from tests.tickets.history_world import tickets_bulk
from tickets.models import Ticket
from tickets.services import outbox_sweep

pytestmark = pytest.mark.django_db

# Who is asking (user, membership), the offers (OFFERS: the queues, in one statement), the
# earlier submission with the same key; then the transaction: the ticket's number, the
# ticket, its first event (a callback also keeps the wait it was quoted: QUOTE). Before the
# transaction, the ticket's service-level target (TARGET). The areas, the roster and the
# hours (which a target in business hours needs) are read once per change, not per request.
OFFERS = 1
TARGET = 1
QUOTE = 1
PHONE_STATEMENTS = SESSION_QUERIES + 2 + OFFERS + 1 + TARGET + 3 + QUOTE
EMAIL_STATEMENTS = SESSION_QUERIES + 2 + OFFERS + 1 + TARGET + 3


@pytest.fixture
def signed_in(client: Client, standard_user: User, product_areas: list[ProductArea]) -> Client:
    agents: list[Agent] = contact_world.open_world()
    assert agents
    client.force_login(standard_user)
    return client


def _statements(client: Client, path: str, data: dict[str, Any]) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.post(path, data)
    assert response.status_code == 302, response.content[:500]
    assert response["Location"].startswith("/hub/requests/CS-")
    # The test's own transaction makes the service's a savepoint: not the service's doing.
    return [query["sql"] for query in captured.captured_queries if "SAVEPOINT" not in query["sql"]]


def _writes(statements: list[str]) -> list[str]:
    # A union of reads starts with "(SELECT".
    reads = ("SELECT", "(SELECT")
    return [sql.split("(")[0].strip() for sql in statements if not sql.startswith(reads)]


@pytest.mark.parametrize("form", ["phone", "email"])
def test_a_submission_writes_the_ticket_and_its_event_and_the_same_at_any_volume(
    signed_in: Client, surveys_area: ProductArea, standard_user: User, form: str
) -> None:
    path = url(surveys_area, form)
    data = phone_data if form == "phone" else (lambda _area: email_data())
    expected = PHONE_STATEMENTS if form == "phone" else EMAIL_STATEMENTS
    signed_in.get(path)
    few = _statements(signed_in, path, data(surveys_area))
    quote = ['INSERT INTO "tickets_waitquote"'] if form == "phone" else []
    assert _writes(few) == [
        'INSERT INTO "tickets_ticket"',
        'INSERT INTO "tickets_ticketevent"',
        *quote,
    ]
    assert not [sql for sql in few if "to_tsvector" in sql], "the worker indexes it"
    assert len(few) == expected, "\n".join(few)

    tickets_bulk(
        [standard_user], 1500, start=timezone.now() - timedelta(days=90), areas=[surveys_area]
    )
    many = _statements(signed_in, path, data(surveys_area))
    assert len(many) == len(few)


def test_a_new_ticket_is_found_by_its_words_once_the_worker_has_confirmed_it(
    signed_in: Client,
    surveys_area: ProductArea,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        signed_in.post(
            url(surveys_area, "phone"), phone_data(surveys_area, subject="Quarterly heatmap")
        )
    phone = Ticket.objects.get(subject="Quarterly heatmap")
    assert phone.search_document is not None or connection.vendor != "postgresql"
    found = signed_in.get("/hub/tickets/", {"q": "heatmap"}).content.decode()
    assert phone.number in found


def test_when_the_broker_lost_the_work_the_sweeper_indexes_the_ticket(
    signed_in: Client, surveys_area: ProductArea
) -> None:
    # No on-commit callbacks run here: as if the broker never got the task.
    signed_in.post(url(surveys_area, "email"), email_data(subject="Zeppelin export"))
    email = Ticket.objects.get(subject="Zeppelin export")
    assert email.search_document is None
    # Found by its number at once, by its words once the sweeper has confirmed it.
    assert email.number in signed_in.get("/hub/tickets/", {"q": email.number}).content.decode()
    outbox_sweep(now=timezone.now() + timedelta(minutes=5))
    assert email.number in signed_in.get("/hub/tickets/", {"q": "zeppelin"}).content.decode()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("form", ["phone", "email"])
def test_a_submission_the_assistant_led_to_is_one_transaction_with_no_savepoint(
    signed_in: Client, surveys_area: ProductArea, standard_user: User, form: str
) -> None:
    # Outside a test's own transaction, as in production: the ticket, its first event, a
    # callback's quoted wait and the conversation's link to the ticket are one transaction,
    # and nothing inside it costs a savepoint.
    conversation = conversation_start(
        user=standard_user, surface=Surface.HUB, language="en", product_area=surveys_area
    )
    conversation_ask(conversation=conversation, question="How do I export a heatmap?")
    path = url(surveys_area, form)
    data = phone_data(surveys_area) if form == "phone" else email_data()
    signed_in.get(path, {"conversation": conversation.public_id})
    with CaptureQueriesContext(connection) as captured:
        response = signed_in.post(path, {**data, "conversation": conversation.public_id})
    assert response.status_code == 302
    statements = [query["sql"] for query in captured.captured_queries]
    assert not [sql for sql in statements if "SAVEPOINT" in sql], "\n".join(statements)
    ticket = Ticket.objects.get()
    conversation.refresh_from_db()
    assert conversation.ticket == ticket
    quoted = [sql for sql in statements if sql.startswith('INSERT INTO "tickets_waitquote"')]
    assert len(quoted) == (1 if form == "phone" else 0)
