"""What every step of the contact flow needs. Views call these; nothing here renders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone

from chatbot.models import Conversation
from chatbot.selectors import conversation_owned
from hub.models import Membership, User
from routing.models import ProductArea
from routing.policy import ContactOffers
from routing.selectors import (
    HubAccess,
    contact_offers_for,
    hub_access_for,
    product_areas_active,
)


@dataclass(frozen=True)
class FlowMember:
    user: User
    membership: Membership
    access: HubAccess


def flow_member(request: HttpRequest) -> FlowMember:
    """The signed-in member walking the flow; 404 for staff and strangers (no organisation)."""
    user = request.user
    if not user.is_authenticated:
        raise Http404
    membership = Membership.objects.select_related("organisation").filter(user_id=user.pk).first()
    if membership is None:
        raise Http404
    return FlowMember(user=user, membership=membership, access=hub_access_for(user))


def flow_area(slug: str) -> ProductArea:
    """An active product area, with its translations for the current language."""
    return get_object_or_404(product_areas_active(), slug=slug)


def flow_offers(
    member: FlowMember, area: ProductArea, *, language: str, now: datetime | None = None
) -> ContactOffers:
    return contact_offers_for(member.user, area=area, language=language, now=now or timezone.now())


def support_language(request: HttpRequest, member: FlowMember) -> str:
    """The support language to start from: the one asked for, else the user's, else English."""
    from django.conf import settings

    codes = {code for code, _ in settings.SUPPORT_LANGUAGES}
    asked = request.GET.get("language") or request.POST.get("language")
    if asked in codes:
        return str(asked)
    preferred = member.user.preferred_language
    return preferred if preferred in codes else "en"


def carried_conversation(request: HttpRequest, member: FlowMember) -> Conversation | None:
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
