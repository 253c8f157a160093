"""R-VERIFY: passed on by a TSM, locked until the customer uses a signed, single-use link."""

from __future__ import annotations

import re
import time
from typing import Any
from unittest import mock

import pytest
from django.core import mail, signing
from django.test import Client

from hub.accounts.models import StaffRole, User
from hub.accounts.services import staff_groups_ensure
from tickets.models import EventKind, Status, VerificationLink
from tickets.services import TicketLocked, ticket_reply, ticket_transition
from tickets.verification import (
    LinkRefused,
    link_check,
    ticket_pass_to_enterprise,
    verification_token,
)


@pytest.fixture
def tsm(db: None) -> User:
    user = User.objects.create_user(
        username="tsm@hub.example",
        email="tsm@hub.example",
        is_staff=True,
        first_name="Tom",
        last_name="Meyer",
    )
    user.groups.add(staff_groups_ensure()[StaffRole.TSM])
    return user


@pytest.fixture
def passed_on(
    tsm: User, seat_holder: User, django_capture_on_commit_callbacks: Any
) -> VerificationLink:
    with django_capture_on_commit_callbacks(execute=True):
        ticket = ticket_pass_to_enterprise(
            tsm=tsm,
            customer=seat_holder,
            subject="Quota for the spring survey",
            question="Can our response quota be raised before 1 March?",
            thread_message_id="<conversation-77@mail.globex.example>",
        )
    return VerificationLink.objects.get(ticket=ticket)


@pytest.mark.django_db
def test_the_customer_is_emailed_a_link_in_the_tsms_thread_from_the_support_domain(
    passed_on: VerificationLink,
) -> None:
    (message,) = mail.outbox
    assert message.to == ["ent-user@globex.example"]
    assert message.from_email.endswith("@hub.example>")
    assert message.extra_headers["In-Reply-To"] == "<conversation-77@mail.globex.example>"
    assert "Check the sender first" in message.body
    assert "/hub/verify/" in message.body


@pytest.mark.django_db
def test_the_email_subject_answers_the_tsms_thread_as_its_headers_do(
    passed_on: VerificationLink,
) -> None:
    (message,) = mail.outbox
    assert message.extra_headers["References"] == "<conversation-77@mail.globex.example>"
    assert message.subject == "Re: Quota for the spring survey"


@pytest.mark.django_db
def test_a_subject_that_is_already_a_reply_gets_one_re(
    tsm: User, seat_holder: User, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        ticket_pass_to_enterprise(
            tsm=tsm,
            customer=seat_holder,
            subject="RE: re: Quota for the spring survey",
            question="Can our response quota be raised?",
            thread_message_id="<conversation-78@mail.globex.example>",
        )
    assert mail.outbox[0].subject == "Re: Quota for the spring survey"


@pytest.mark.django_db
def test_without_a_thread_the_email_keeps_its_own_subject(
    tsm: User, seat_holder: User, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        ticket = ticket_pass_to_enterprise(
            tsm=tsm, customer=seat_holder, subject="Quota", question="Can it be raised?"
        )
    assert mail.outbox[0].subject == f"[{ticket.number}] Please verify your request: Quota"


@pytest.mark.django_db
@pytest.mark.parametrize("viewer", ["seat_holder", "globex_admin"])
def test_the_timeline_names_the_tsm_who_made_the_request_not_the_customer(
    client: Client,
    passed_on: VerificationLink,
    seat_holder: User,
    make_member: Any,
    viewer: str,
) -> None:
    ticket_verify_url = f"/hub/verify/{verification_token(passed_on)}/"
    client.force_login(seat_holder)
    client.post(ticket_verify_url, {"account_access": "no"})
    if viewer == "globex_admin":
        admin = make_member(
            "admin@globex.example", seat_holder.membership.organisation, brand_admin=True
        )
        client.force_login(admin)
    html = client.get(f"/hub/tickets/{passed_on.ticket.number}/").content.decode()
    made = re.search(r'<strong class="timeline__title">Request made</strong>(.*?)</p>', html, re.S)
    assert made is not None
    assert "Tom Meyer (Technical Success Manager)" in made.group(1)
    assert "You" not in made.group(1)
    assert "Passed to Enterprise Support by a Technical Success Manager." in html
    assert passed_on.ticket.events.get(kind=EventKind.CREATED).actor_id == passed_on.created_by_id


@pytest.mark.django_db
def test_nothing_can_be_done_on_the_ticket_until_the_customer_verifies(
    passed_on: VerificationLink, agent: User
) -> None:
    ticket = passed_on.ticket
    with pytest.raises(TicketLocked):
        ticket_reply(ticket=ticket, agent=agent, body="Hello")
    with pytest.raises(TicketLocked):
        ticket_transition(ticket=ticket, to=Status.IN_PROGRESS, actor=agent)


@pytest.mark.django_db
def test_the_customer_verifies_chooses_about_access_and_the_ticket_unlocks(
    client: Client, passed_on: VerificationLink, seat_holder: User, agent: User
) -> None:
    client.force_login(seat_holder)
    url = f"/hub/verify/{verification_token(passed_on)}/"
    page = client.get(url)
    assert page.status_code == 200
    assert "May support log into your account" in page.content.decode()
    response = client.post(url, {"account_access": "no"})
    assert response.status_code == 302
    ticket = passed_on.ticket
    ticket.refresh_from_db()
    assert ticket.verified_at is not None and ticket.account_access_allowed is False
    assert ticket.events.filter(kind=EventKind.VERIFIED).count() == 1
    ticket_transition(ticket=ticket, to=Status.IN_PROGRESS, actor=agent)


@pytest.mark.django_db
def test_a_missing_choice_keeps_the_customer_on_the_page_with_an_error(
    client: Client, passed_on: VerificationLink, seat_holder: User
) -> None:
    client.force_login(seat_holder)
    response = client.post(f"/hub/verify/{verification_token(passed_on)}/", {})
    html = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in html and "Choose whether support" in html
    passed_on.refresh_from_db()
    assert passed_on.used_at is None


@pytest.mark.django_db
def test_a_used_link_is_refused_with_a_clear_page(
    client: Client, passed_on: VerificationLink, seat_holder: User
) -> None:
    client.force_login(seat_holder)
    url = f"/hub/verify/{verification_token(passed_on)}/"
    client.post(url, {"account_access": "yes"})
    again = client.get(url)
    assert again.status_code == 410
    assert "already been used" in again.content.decode()


@pytest.mark.django_db
def test_an_expired_link_is_refused(passed_on: VerificationLink, seat_holder: User) -> None:
    token = verification_token(passed_on)
    eight_days_later = time.time() + 8 * 24 * 3600
    with (
        mock.patch("django.core.signing.time.time", return_value=eight_days_later),
        pytest.raises(LinkRefused, match="expired"),
    ):
        link_check(token=token, user=seat_holder)


@pytest.mark.django_db
def test_a_tampered_link_or_another_users_login_is_refused(
    client: Client, passed_on: VerificationLink, standard_user: User, seat_holder: User
) -> None:
    token = verification_token(passed_on)
    with pytest.raises(LinkRefused, match="not valid"):
        link_check(token=re.sub(r".$", "x", token), user=seat_holder)
    with pytest.raises(LinkRefused, match="not valid"):
        link_check(token=signing.TimestampSigner(salt="other").sign("x"), user=seat_holder)
    client.force_login(standard_user)
    response = client.get(f"/hub/verify/{token}/")
    assert response.status_code == 410
    assert "another account" in response.content.decode()


@pytest.mark.django_db
def test_only_a_tsm_can_pass_a_question_on(agent: User, seat_holder: User) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        ticket_pass_to_enterprise(tsm=agent, customer=seat_holder, subject="x", question="y")
