"""The question pages of the contact flow: the team choice, the redirect question, the
product areas, the step after the area, the Discover page, the method picker, the Account
Services intake and the confirmation.

Every page works with JavaScript off; htmx only redraws the picker's cards when the support
language changes and refreshes the confirmation's queue position.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.functional import Promise
from django.utils.http import urlencode
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HTMX_STOP_POLLING

from chatbot.models import Conversation, Surface
from chatbot.selectors import reader_language
from chatbot.views import (
    AssistantPlace,
    assistant_ask,
    assistant_context,
    assistant_feedback_set,
    conversation_query,
    with_conversation,
)
from hub.accounts.http import AuthenticatedHttpRequest
from hub.accounts.models import Organisation
from hub.accounts.selectors import (
    account_services_contacts_of,
    brand_admins_of,
    membership_and_services_of,
)
from hub.addresses import address
from hub.flow.common import (
    FlowMember,
    carried_conversation,
    flow_area,
    flow_member,
    flow_offers,
    support_language,
)
from hub.flow.forms import AccountServicesForm, TeamChoiceForm
from routing.languages import language_name, reading_language
from routing.models import ProductArea
from routing.policy import ContactOffers, Method, MethodOffer, OfferStatus, Reason
from routing.policy import RedirectQuestion as Question
from routing.selectors import product_areas_active
from routing.waits import Wait
from tickets.models import Channel, Team
from tickets.phones import phone_number_display
from tickets.selectors import queue_status, ticket_created_data, ticket_of_requester
from tickets.services import ticket_create

# --- The method picker's cards -------------------------------------------------------------

METHOD_TITLES: Mapping[Method, Promise] = {
    Method.CHAT: _("Chat"),
    Method.EMAIL: _("Email"),
    Method.PHONE: _("Phone callback"),
    Method.CONFERENCE: _("Scheduled conference call"),
}
METHOD_SUMMARIES: Mapping[Method, Promise] = {
    Method.CHAT: _("Write to an agent in your browser, on weekdays."),
    Method.EMAIL: _("Describe the problem in a form and we answer by email."),
    Method.PHONE: _("Leave your number and we call you back, so you never wait on hold."),
    Method.CONFERENCE: _(
        "Book a call with an Enterprise specialist at a time that suits you; screen "
        "sharing on request."
    ),
}
METHOD_ACTIONS: Mapping[Method, Promise] = {
    Method.CHAT: _("Start a chat"),
    Method.EMAIL: _("Send an email request"),
    Method.PHONE: _("Request a callback"),
    Method.CONFERENCE: _("Book a conference call"),
}
# The form each card leads to.
CONTACT_URL_NAMES: Mapping[Method, str] = {
    Method.CHAT: "hub:contact_chat",
    Method.EMAIL: "hub:contact_email",
    Method.PHONE: "hub:contact_phone",
    Method.CONFERENCE: "hub:contact_conference",
}
REASON_SENTENCES: Mapping[Reason, Promise] = {
    Reason.OUTSIDE_HOURS: _("Closed at the moment."),
    Reason.OUTSIDE_LANGUAGE_HOURS: _("Nobody who speaks %(language)s is on duty at the moment."),
    Reason.LANGUAGE_NOT_OFFERED: _("Not offered in %(language)s for this product area."),
    Reason.NOBODY_ON_SHIFT: _("No agent is free at the moment."),
    Reason.QUEUE_TOO_LONG: _("Temporarily unavailable: the queue is long right now."),
    Reason.NO_AGENT_FREE: _("Temporarily unavailable: no agent is free right now."),
    Reason.NOT_IN_LICENCE: _("Not included in your organisation’s licence."),
    Reason.NEEDS_SUCCESS_PACKAGE: _("Only for users with an Enterprise Success Package."),
    Reason.NOT_IN_ENVIRONMENT: _("Not offered in the FedRAMP environment."),
    Reason.AREA_NOT_ELIGIBLE: _("Not offered for this product area."),
    Reason.DISCOVER_TEAM: _("XM Discover has its own support team."),
}


# The card's tag when routing refuses a method outright (OfferStatus.NOT_IN_LICENCE): it names
# the same cause as the reason sentence beneath it, so the two never disagree.
REFUSAL_TAGS: Mapping[Reason, Promise] = {
    Reason.NOT_IN_LICENCE: _("Not in your plan"),
    Reason.NEEDS_SUCCESS_PACKAGE: _("Not in your plan"),
    Reason.NOT_IN_ENVIRONMENT: _("Not offered in FedRAMP"),
    Reason.AREA_NOT_ELIGIBLE: _("Not for this product area"),
    Reason.DISCOVER_TEAM: _("XM Discover support"),
}


@dataclass(frozen=True)
class CardTag:
    text: str
    tone: str  # the tag's modifier class: on, later or off


def status_tag(offer: MethodOffer) -> CardTag:
    """The one tag saying whether the method can be used, agreeing with the reason shown."""
    if offer.is_available:
        return CardTag(str(_("Available now")), "on")
    if offer.status == OfferStatus.NOT_IN_LICENCE:
        return CardTag(str(REFUSAL_TAGS.get(offer.reason, _("Not offered"))), "off")
    if offer.accepts_requests:
        return CardTag(str(_("Closed now, taking requests")), "later")
    if offer.reason == Reason.LANGUAGE_NOT_OFFERED:
        return CardTag(str(_("Not in this language")), "off")
    return CardTag(str(_("Not available now")), "off")


@dataclass(frozen=True)
class MethodCard:
    """One contact method on the picker, with everything the card says about it."""

    offer: MethodOffer
    title: str
    summary: str
    action: str
    reason: str  # why it is not available, as a sentence; "" when it is
    url: str  # where choosing it leads; "" when it cannot be chosen here
    english_url: str  # the same form in English, when English is open and better
    wait: Wait | None
    english_wait: Wait | None
    recommended_for_urgent: bool
    others_speak_language: bool  # chat is not in this language, phone or email are

    @property
    def method(self) -> str:
        return self.offer.method.value

    @property
    def is_chat(self) -> bool:
        return self.offer.method == Method.CHAT

    @property
    def tag(self) -> CardTag:
        return status_tag(self.offer)


def _contact_url(
    method: Method, area: ProductArea, language: str, conversation: Conversation | None
) -> str:
    url = reverse(CONTACT_URL_NAMES[method], kwargs={"slug": area.slug})
    return with_conversation(f"{url}?{urlencode({'language': language})}", conversation)


def method_cards(
    offers: ContactOffers,
    area: ProductArea,
    language: str,
    *,
    conversation: Conversation | None = None,
) -> list[MethodCard]:
    """The picker's cards; with an assistant conversation, each form opens carrying it."""
    cards = []
    for offer in offers:
        method = offer.method
        choosable = method in CONTACT_URL_NAMES and (offer.is_available or offer.accepts_requests)
        english_better = offer.english_now and (offer.suggest_english or not offer.is_available)
        reason = ""
        if not offer.is_available:
            reason = str(REASON_SENTENCES.get(offer.reason, "")) % {
                "language": language_name(language)
            }
        cards.append(
            MethodCard(
                offer=offer,
                title=str(METHOD_TITLES[method]),
                summary=str(METHOD_SUMMARIES[method]),
                action=str(METHOD_ACTIONS[method]),
                reason=reason,
                url=_contact_url(method, area, language, conversation) if choosable else "",
                english_url=(
                    _contact_url(method, area, "en", conversation)
                    if english_better and method in CONTACT_URL_NAMES
                    else ""
                ),
                wait=Wait.of(offer.wait) if offer.is_available else None,
                english_wait=Wait.of(offer.english_wait) if english_better else None,
                recommended_for_urgent=offers.urgent_method == method,
                others_speak_language=(
                    method == Method.CHAT
                    and offer.reason == Reason.LANGUAGE_NOT_OFFERED
                    and (offers.email.is_offered or offers.phone.is_offered)
                ),
            )
        )
    return cards


def method_cards_key(cards: Sequence[MethodCard], organisation: Organisation, language: str) -> str:
    """Everything the picker's cards show, as the key of their drawn fragment: two requests
    with the same key draw the same cards. The cards show their waits in whole minutes and
    never an offer's raw estimates, which move a little with every request."""
    shown = [
        (
            replace(
                card,
                offer=replace(card.offer, wait=None, english_wait=None),
                wait=None,
                english_wait=None,
            ),
            card.wait and card.wait.minutes_shown,
            card.english_wait and card.english_wait.minutes_shown,
        )
        for card in cards
    ]
    return repr(
        (
            get_language(),
            timezone.get_current_timezone_name(),
            language,
            organisation.account_team_email,
            organisation.account_team_name,
            shown,
        )
    )


# --- The steps ----------------------------------------------------------------------------


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    """R-TEAM: technical support or account services; ticket history is one click away, and
    for a Success Package seat holder, their services."""
    membership, has_services = membership_and_services_of(request.user)
    if membership is None:
        if request.method == "POST":
            raise Http404
        # Staff land here after signing in: a page that points them to the admin.
        return render(request, "hub/flow/team.html", {"membership": None})
    form = TeamChoiceForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        if form.cleaned_data["team"] == Team.ACCOUNT_SERVICES:
            return redirect("hub:account_services")
        return redirect("hub:redirect")
    return render(
        request,
        "hub/flow/team.html",
        {"membership": membership, "form": form, "has_services": has_services},
    )


@login_required
@never_cache
@require_GET
def redirect_question(request: AuthenticatedHttpRequest) -> HttpResponse:
    """R-REDIRECT: could the brand administrator, or the account team, help instead?"""
    member = flow_member(request)
    question = member.access.redirect_question
    if question is None:
        return redirect("hub:areas")
    admins = []
    if question == Question.BRAND_ADMIN:
        admins = list(brand_admins_of(member.membership))
    return render(
        request,
        "hub/flow/redirect.html",
        {
            "question": question.value,
            "organisation": member.membership.organisation,
            "admins": admins,
        },
    )


def _areas_back_url(member: FlowMember) -> str:
    return reverse("hub:redirect" if member.access.redirect_question else "hub:home")


@login_required
@never_cache
@require_GET
def areas(request: AuthenticatedHttpRequest) -> HttpResponse:
    """R-AREA: the product areas, each with its picture and description."""
    member = flow_member(request)
    conversation = carried_conversation(request, member)
    return render(
        request,
        "hub/flow/areas.html",
        {
            "areas": list(product_areas_active()),
            "back_url": _areas_back_url(member),
            "conversation_query": conversation_query(conversation),
        },
    )


# --- The assistant step (R-BOT) --------------------------------------------------------------


def _hub_place(chosen: ProductArea) -> Callable[[Conversation | None], AssistantPlace]:
    def place_for(conversation: Conversation | None) -> AssistantPlace:
        slug = {"slug": chosen.slug}
        page = address("hub:area", kwargs=slug)
        methods_url = address("hub:methods", kwargs=slug)
        return AssistantPlace(
            ask_url=page,
            feedback_url=address("hub:assistant_feedback", kwargs=slug),
            contact_url=with_conversation(methods_url, conversation),
            page_url=page,
        )

    return place_for


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def area(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    """After the area: the Discover page, the assistant, or the methods (R-BOT-OFF).

    The assistant's conversation is named in the address (``?conversation=``), so that it
    survives the redirect after each question and can be carried to a contact form."""
    member = flow_member(request)
    chosen = flow_area(slug)
    if chosen.redirects_to_discover:
        if request.method == "POST":
            raise Http404
        return render(request, "hub/flow/discover.html", {"area": chosen})
    conversation = carried_conversation(request, member)
    if not member.access.shows_assistant:
        if request.method == "POST":
            raise Http404
        methods_url = reverse("hub:methods", kwargs={"slug": chosen.slug})
        return redirect(with_conversation(methods_url, conversation))
    if conversation is not None and conversation.product_area_id is None:
        conversation.product_area = chosen
        conversation.save(update_fields=["product_area", "updated_at"])
    place_for = _hub_place(chosen)
    page_context = {"area": chosen}
    if request.method == "POST":
        response, _conversation = assistant_ask(
            request,
            conversation=conversation,
            start={"surface": Surface.HUB, "language": reader_language(), "product_area": chosen},
            place_for=place_for,
            template="hub/flow/area.html",
            page_context=page_context,
        )
        return response
    context = {
        **page_context,
        **assistant_context(conversation, place=place_for(conversation), form=None),
    }
    return render(request, "hub/flow/area.html", context)


@login_required
@never_cache
@require_POST
def assistant_feedback(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    """Did this answer your question? Yes or No, in the hub flow."""
    member = flow_member(request)
    chosen = flow_area(slug)
    if not member.access.shows_assistant or chosen.redirects_to_discover:
        raise Http404
    return assistant_feedback_set(request, surface=Surface.HUB, place_for=_hub_place(chosen))


@login_required
@never_cache
@require_GET
def methods(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    """R-METHODS: every contact method, available or not, in the chosen support language."""
    member = flow_member(request)
    chosen = flow_area(slug)
    if chosen.redirects_to_discover:
        return redirect("hub:area", slug=chosen.slug)
    language = support_language(request)
    offers = flow_offers(member, chosen, language=language)
    conversation = carried_conversation(request, member)
    area_url = with_conversation(reverse("hub:area", kwargs={"slug": chosen.slug}), conversation)
    organisation = member.membership.organisation
    cards = method_cards(offers, chosen, language, conversation=conversation)
    context = {
        "area": chosen,
        "organisation": organisation,
        "cards": cards,
        "cards_key": method_cards_key(cards, organisation, language),
        "conversation": conversation,
        "language": language,
        "language_name": language_name(language),
        "support_languages": settings.SUPPORT_LANGUAGES,
        "back_url": area_url if member.access.shows_assistant else reverse("hub:areas"),
    }
    if request.htmx:
        return render(request, "hub/flow/methods.html#cards", context)
    return render(request, "hub/flow/methods.html", context)


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def account_services(request: AuthenticatedHttpRequest) -> HttpResponse:
    """R-ACCT: the intake form for those who may use it; whom to ask for everyone else."""
    member = flow_member(request)
    access = member.access.account_services
    if not access.eligible:
        if request.method == "POST":
            raise Http404
        return render(
            request,
            "hub/flow/account_services.html",
            {"eligible": False, "contacts": list(account_services_contacts_of(member.membership))},
        )
    form = AccountServicesForm(
        request.POST if request.method == "POST" else None, topics=access.topics
    )
    if form.is_valid():
        try:
            ticket = ticket_create(
                requester=member.user,
                channel=Channel.WEB,
                team=Team.ACCOUNT_SERVICES,
                subject=form.topic_label,
                description=form.cleaned_data["description"],
                language=reading_language(),
                idempotency_key=form.cleaned_data["idempotency_key"],
                event_data={"source": "hub", "topic": form.cleaned_data["topic"]},
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return redirect("hub:confirmation", number=ticket.number)
    return render(request, "hub/flow/account_services.html", {"eligible": True, "form": form})


@login_required
@never_cache
@require_GET
def confirmation(request: AuthenticatedHttpRequest, number: str) -> HttpResponse:
    """R-CONFIRM: the ticket number, the place in the queue, and what happens next."""
    ticket = ticket_of_requester(request.user, number)
    status = queue_status(ticket)
    context: dict[str, object] = {"ticket": ticket, "queue": status}
    if request.htmx:
        response = render(request, "hub/flow/confirmation.html#queue", context)
        if status is None:
            response.status_code = HTMX_STOP_POLLING
        return response
    answered_from: datetime | None = None
    if ticket.channel == Channel.EMAIL:
        value = ticket_created_data(ticket).get("answered_from")
        answered_from = parse_datetime(value) if isinstance(value, str) else None
    is_phone = ticket.channel == Channel.PHONE
    context.update(
        {
            "answered_from": answered_from,
            "is_phone": is_phone,
            "conference": getattr(ticket, "conference", None),
        }
    )
    if is_phone:
        context["phone_display"] = phone_number_display(ticket.phone_number)
        context["call_language"] = language_name(ticket.language)
        # The queue status already says whether the callback still waits.
        context["can_change"] = status is not None
    return render(request, "hub/flow/confirmation.html", context)
