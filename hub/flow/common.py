"""What every step of the contact flow needs: the member, the area, routing's offers and
the assistant conversation carried along. Views call these; nothing here renders.

A request reads each of these once and passes it down: the member's facts (one query), the
area, and the offers with the queues they were computed from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from chatbot.models import Conversation
from chatbot.selectors import conversation_owned
from hub.accounts.http import AuthenticatedHttpRequest
from hub.accounts.models import Membership, User
from routing.languages import reading_language
from routing.models import ProductArea
from routing.policy import ContactOffers
from routing.selectors import (
    HubAccess,
    MemberFacts,
    contact_offers_for,
    hub_access_for,
    member_facts,
    offer_languages,
    product_area_active,
)
from tickets.queues import queue_facts


@dataclass(frozen=True)
class FlowMember:
    user: User
    facts: MemberFacts
    access: HubAccess

    @property
    def membership(self) -> Membership:
        return self.facts.membership


def flow_member(request: AuthenticatedHttpRequest) -> FlowMember:
    """The signed-in member walking the flow; 404 for staff and strangers (no organisation)."""
    try:
        facts = member_facts(request.user)
    except PermissionDenied:
        raise Http404 from None
    # What the services read of the requester's membership, this request has already read.
    User.membership.related.set_cached_value(request.user, facts.membership)
    return FlowMember(user=request.user, facts=facts, access=hub_access_for(facts))


def flow_area(slug: str) -> ProductArea:
    """An active product area, with its translations for the current language."""
    area = product_area_active(slug)
    if area is None:
        raise Http404
    return area


def flow_offers(
    member: FlowMember, area: ProductArea, *, language: str, now: datetime | None = None
) -> ContactOffers:
    """Every contact method's offer for the member in this area and language, measured from
    the queues now. A view asks once per request and passes the offers down."""
    now = now or timezone.now()
    queues = queue_facts(area_id=area.pk, languages=offer_languages(language), now=now)
    return contact_offers_for(member.facts, area=area, language=language, now=now, queues=queues)


def support_language(request: AuthenticatedHttpRequest) -> str:
    """The support language to start from: the one asked for, else the language the pages
    are in (the customer is reading it)."""
    codes = {code for code, _ in settings.SUPPORT_LANGUAGES}
    asked = request.GET.get("language") or request.POST.get("language")
    if asked in codes:
        return str(asked)
    return reading_language()


def carried_conversation(
    request: AuthenticatedHttpRequest, member: FlowMember
) -> Conversation | None:
    """The assistant conversation the form was opened with (``?conversation=``), or that its
    hidden field names. Only the member's own: opening a form with someone else's answers
    404; a posted id that is not theirs is ignored (nothing of it reaches the ticket)."""
    if request.method == "POST":
        return conversation_owned(member.user, request.POST.get("conversation") or "")
    public_id = request.GET.get("conversation") or ""
    if not public_id:
        return None
    conversation = conversation_owned(member.user, public_id)
    if conversation is None:
        raise Http404
    return conversation
