"""shared/RELIABILITY.md 7: a form sent twice at once makes one request, through the real stack.

A double click sends the same form (the same idempotency key) twice while the first is still
being written. Here gunicorn serves the hub on a Redis of the test's own, a worker sends what
it queues, and the customer, signed in over HTTP, posts the phone or the email form twice from
two connections. To be sure the two overlap, the test holds the customer's row locked: each
ticket's insert checks its requester, so both posts have read that nothing was sent before
and both wait at the insert; the lock is let go once the database shows both waiting. Both
answers must lead to the one confirmation page; the database must hold one ticket, one quoted
wait and one callback, and the outbox one confirmation, sent once.
"""

from __future__ import annotations

import re
import subprocess
import threading
import time
from collections.abc import Callable

import pytest
from django.db import transaction

from hub.accounts.models import OutboundEmail, User
from routing.models import ProductArea
from tests.conftest import PASSWORD, connections_waiting_on_a_lock
from tests.hub import contact_world
from tickets.models import CallbackRequest, Channel, EventKind, Ticket, WaitQuote

from .conftest import (
    EMAIL_FORM,
    PHONE_FORM,
    Browser,
    LiveHub,
    Reply,
    SpareRedis,
    post_email,
    post_phone,
    production_password,
    wait_for,
)
from .test_callback_queue_faults import fast_env

pytestmark = pytest.mark.integration

FORMS: dict[str, tuple[str, Callable[[Browser, str, str], Reply]]] = {
    "phone": (PHONE_FORM, post_phone),
    "email": (EMAIL_FORM, post_email),
}


def _key_of_the_drawn_form(html: str) -> str:
    found = re.search(r'name="idempotency_key" value="([0-9a-f]+)"', html)
    assert found, "the form carries its idempotency key"
    return found.group(1)


@pytest.mark.parametrize("form", ["phone", "email"])
def test_a_form_sent_twice_at_once_over_http_makes_one_request_confirmed_once(
    start_gunicorn: Callable[..., LiveHub],
    start_worker: Callable[..., subprocess.Popen[bytes]],
    worker_env: dict[str, str],
    spare_redis: SpareRedis,
    product_areas: list[ProductArea],
    standard_user: User,
    form: str,
) -> None:
    production_password(standard_user)
    assert contact_world.open_world()
    env = fast_env(worker_env, spare_redis)
    hub = start_gunicorn(env=env)
    start_worker(env=env)
    path, post = FORMS[form]
    subject = f"Sent twice by {form}"

    browser = hub.browser()
    assert browser.sign_in(standard_user.email, PASSWORD).status == 302
    drawn = browser.get(path)
    assert drawn.status == 200
    key = _key_of_the_drawn_form(drawn.text)
    # The same tab's second click: the same session and the same form, on its own connection.
    twin = hub.browser()
    twin.cookies = dict(browser.cookies)

    replies: dict[str, Reply | BaseException] = {}

    def send(name: str, sender: Browser) -> None:
        try:
            replies[name] = post(sender, subject, key)
        except BaseException as error:  # noqa: BLE001 - reported by the assertions below
            replies[name] = error

    senders = [
        threading.Thread(target=send, args=("first", browser)),
        threading.Thread(target=send, args=("second", twin)),
    ]
    with transaction.atomic():
        User.objects.select_for_update().get(pk=standard_user.pk)
        for sender in senders:
            sender.start()
        deadline = time.monotonic() + 30
        while connections_waiting_on_a_lock() < 2:
            assert time.monotonic() < deadline, f"the two posts never met: {replies}"
            time.sleep(0.02)
    for sender in senders:
        sender.join(40)

    first, second = replies["first"], replies["second"]
    assert isinstance(first, Reply) and isinstance(second, Reply), replies
    assert (first.status, second.status) == (302, 302), (first.text[:500], second.text[:500])
    ticket = Ticket.objects.get(subject=subject)
    assert first.headers["Location"] == second.headers["Location"]
    assert first.headers["Location"] == f"/hub/requests/{ticket.number}/"
    assert browser.get(first.headers["Location"]).status == 200
    assert ticket.events.filter(kind=EventKind.CREATED).count() == 1

    wait_for(
        lambda: Ticket.objects.filter(pk=ticket.pk, confirmation_sent_at__isnull=False).exists(),
        timeout=60,
        what="the worker to send the confirmation",
    )
    time.sleep(2)  # room for a second confirmation or callback, were one on its way
    confirmations = OutboundEmail.objects.filter(purpose="confirmation")
    assert confirmations.count() == 1
    assert confirmations.filter(sent_at__isnull=False, subject__contains=ticket.number).count() == 1
    assert ticket.events.filter(kind=EventKind.EMAIL_SENT).count() == 1
    phone = ticket.channel == Channel.PHONE
    assert WaitQuote.objects.filter(ticket=ticket).count() == (1 if phone else 0)
    assert CallbackRequest.objects.filter(ticket=ticket).count() == (1 if phone else 0)
    assert ticket.events.filter(kind=EventKind.QUEUED).count() == (1 if phone else 0)
