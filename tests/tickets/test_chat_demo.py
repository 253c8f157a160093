"""`make run` shows chat end to end: the demo agent takes English chats."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from hub.accounts.models import User
from routing.models import ProductArea
from routing.selectors import agent_skills
from tests.routing.helpers import DENVER, at
from tests.routing.measured import offers_for
from tickets.chat.services import chat_accept, chat_presence_set, chat_start

TUESDAY_MORNING = at(DENVER, 2026, 7, 14, 10)


@pytest.mark.smoke
@pytest.mark.django_db
def test_the_demo_agent_takes_english_chats_once_switched_on_in_the_console() -> None:
    out = io.StringIO()
    call_command("seed_demo", "--allow-production", stdout=out)
    assert "/hub/agents/chats/" in out.getvalue()
    ana = User.objects.get(email="agent@hub.example")
    skills = agent_skills(ana)
    assert skills is not None and skills.takes_chats and "en" in skills.languages
    customer = User.objects.get(email="standard@acme.example")
    area = ProductArea.objects.get(slug="surveys-xm-directory")
    chat_presence_set(agent=ana, available=True, now=TUESDAY_MORNING)
    offers = offers_for(customer, area=area, language="en", now=TUESDAY_MORNING)
    assert offers.chat.is_available
    session = chat_start(
        requester=customer, product_area=area, language="en", message="Demo question"
    )
    chat_accept(session_id=session.pk, agent=ana)
    session.refresh_from_db()
    assert session.agent == ana
