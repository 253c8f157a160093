"""The contact forms: chat, email, phone callback, conference call.

Each view asks routing once for the offers of the member, area and language, refuses a
method that is not theirs (404: a hand-crafted POST changes nothing), answers a retried
submission with its first result, validates the form, calls one service of
``hub.flow.services`` and redirects to the confirmation (or, for a chat, to the chat).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from chatbot.models import Conversation
from chatbot.selectors import latest_question
from chatbot.views import with_conversation
from hub.accounts.http import AuthenticatedHttpRequest
from hub.accounts.outbox import one_line
from hub.flow import services
from hub.flow.common import (
    FlowMember,
    carried_conversation,
    flow_area,
    flow_member,
    flow_offers,
    support_language,
)
from hub.flow.contact_forms import (
    CONFERENCE_HORIZON,
    SLOT_FORMAT,
    SUBJECT_MAX,
    CallbackChangeForm,
    ChatStartForm,
    ConferenceRequestForm,
    EmailRequestForm,
    PhoneRequestForm,
    contact_area,
    contact_areas,
    default_country,
    slot_value,
)
from hub.flow.shown_waits import shown_wait, shown_wait_token
from routing.languages import language_name
from routing.models import ProductArea
from routing.policy import ContactOffers, MethodOffer
from routing.selectors import conference_slots_for
from routing.waits import Wait
from tickets.chat.selectors import chat_to_switch
from tickets.idempotency import is_idempotency_key
from tickets.models import Channel, ChatSession, Ticket
from tickets.selectors import (
    callback_changeable,
    conference_booked_starts,
    ticket_of_requester,
    ticket_replayed,
)
from tickets.services import AttachmentRejected, CallbackTaken, SlotTaken

# --- What every form does ----------------------------------------------------------------


def is_usable(offer: MethodOffer) -> bool:
    """Open now, or taking requests for when it opens (R-LANG-HOURS)."""
    return offer.is_available or offer.accepts_requests


def offer_context(offer: MethodOffer, language: str) -> dict[str, Any]:
    return {
        "offer": offer,
        "usable": is_usable(offer),
        "language_code": language,
        "language_name": language_name(language),
        "wait": Wait.of(offer.wait),
        "english_wait": Wait.of(offer.english_wait),
    }


def back_url(area: ProductArea, conversation: Conversation | None) -> str:
    """The method picker of the area, still carrying the conversation."""
    return with_conversation(reverse("hub:methods", kwargs={"slug": area.slug}), conversation)


def live_update(field: forms.Field, *, url: str, target: str, include: str) -> None:
    """htmx: redraw a live region when this select changes (the page works without it)."""
    field.widget.attrs.update(
        {
            "hx-get": url,
            "hx-trigger": "change",
            "hx-target": target,
            "hx-include": include,
            "hx-indicator": f"{target}-indicator",
        }
    )


def confirmation_redirect(ticket: Ticket) -> HttpResponse:
    return redirect("hub:confirmation", number=ticket.number)


def replayed_ticket(request: AuthenticatedHttpRequest) -> Ticket | None:
    """The ticket an earlier submission of this very form made (same idempotency key).

    Answering a retry with the first result before anything else means a double click,
    a resent POST or a browser retry all end on the same confirmation, even when the
    hours or the free slots have changed in between (the services check the key too).
    """
    key = request.POST.get("idempotency_key", "")
    if not is_idempotency_key(key):
        return None
    return ticket_replayed(request.user, key)


def _offered(offers: ContactOffers, method: str) -> MethodOffer:
    """The method's offer; 404 when it is not in the member's licence for this area."""
    offer = getattr(offers, method)
    assert isinstance(offer, MethodOffer)
    if not offer.is_offered:
        raise Http404
    return offer


def _member_and_area(
    request: AuthenticatedHttpRequest, slug: str
) -> tuple[FlowMember, ProductArea]:
    member = flow_member(request)
    area = flow_area(slug)
    if area.redirects_to_discover:
        raise Http404
    return member, area


def conversation_initial(conversation: Conversation | None) -> dict[str, str]:
    """A form opened from the assistant starts with its question as the subject."""
    if conversation is None:
        return {}
    return {
        "conversation": conversation.public_id,
        "subject": one_line(latest_question(conversation))[:SUBJECT_MAX],
    }


def _not_usable_message(language: str) -> ValidationError:
    return ValidationError(
        _("This is not available in %(language)s at the moment. Choose another language.")
        % {"language": language_name(language)},
        code="not_available",
    )


# --- Chat --------------------------------------------------------------------------------


def _chat_unavailable(language: str) -> ValidationError:
    return ValidationError(
        _(
            "Chat in %(language)s is not available at the moment. Choose another language, "
            "or send an email or ask for a callback instead."
        )
        % {"language": language_name(language)},
        code="not_available",
    )


def _alternatives(slug: str, language: str) -> dict[str, str]:
    query = urlencode({"language": language})
    return {
        "email": f"{reverse('hub:contact_email', kwargs={'slug': slug})}?{query}",
        "phone": f"{reverse('hub:contact_phone', kwargs={'slug': slug})}?{query}",
    }


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def chat(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    """The short form behind the picker's chat card: language and first message.

    Opened from the assistant's Contact support (``?conversation=``), the question is the
    first message and the conversation goes with the ticket, as on the other contact forms.
    """
    member, area = _member_and_area(request, slug)
    conversation = carried_conversation(request, member)
    language = support_language(request)
    offer = _offered(flow_offers(member, area, language=language), "chat")
    if request.method == "POST" and (replay := replayed_ticket(request)):
        return redirect("tickets:chat", number=replay.number)
    if request.method == "POST":
        form = ChatStartForm(request.POST)
        if form.is_valid():
            if not offer.is_available:
                form.add_error("language", _chat_unavailable(language))
            else:
                try:
                    session = services.chat_request_start(
                        requester=member.user,
                        area=area,
                        offer=offer,
                        language=form.cleaned_data["language"],
                        message=form.cleaned_data["message"],
                        idempotency_key=form.cleaned_data["idempotency_key"],
                        conversation=conversation,
                    )
                except ValidationError as error:
                    form.add_error(None, error)
                else:
                    return redirect("tickets:chat", number=session.ticket.number)
    else:
        question = conversation_initial(conversation).get("subject", "")
        form = ChatStartForm(initial={"language": language, "message": question})
    live_update(
        form.fields["language"],
        url=reverse("hub:contact_chat", kwargs={"slug": area.slug}),
        target="#chat-availability",
        include="#id_language",
    )
    context = {
        "area": area,
        "form": form,
        "carry": {"conversation": conversation.public_id} if conversation else {},
        "back_url": back_url(area, None),
        "alternatives": _alternatives(area.slug, language),
        **offer_context(offer, language),
    }
    if request.htmx and request.method == "GET":
        return render(request, "hub/flow/chat.html#availability", context)
    return render(request, "hub/flow/chat.html", context)


# --- Email -------------------------------------------------------------------------------


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def email(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    member, area = _member_and_area(request, slug)
    language = support_language(request)
    offer = _offered(flow_offers(member, area, language=language), "email")
    conversation = carried_conversation(request, member)
    if request.method == "POST" and (replay := replayed_ticket(request)):
        return confirmation_redirect(replay)
    if request.method == "POST":
        form = EmailRequestForm(request.POST, request.FILES)
        if form.is_valid():
            if not is_usable(offer):
                form.add_error("language", _not_usable_message(language))
            else:
                data = form.cleaned_data
                try:
                    ticket = services.email_request_submit(
                        requester=member.user,
                        area=area,
                        offer=offer,
                        language=data["language"],
                        subject=data["subject"],
                        description=data["description"],
                        attachments=data["attachments"],
                        idempotency_key=data["idempotency_key"],
                        conversation=conversation,
                    )
                except ValidationError as error:
                    is_file_error = isinstance(error, AttachmentRejected)
                    form.add_error("attachments" if is_file_error else None, error)
                else:
                    return confirmation_redirect(ticket)
    else:
        form = EmailRequestForm(
            initial={"language": language, **conversation_initial(conversation)}
        )
    live_update(
        form.fields["language"],
        url=reverse("hub:contact_email", kwargs={"slug": area.slug}),
        target="#email-hours",
        include="#id_language",
    )
    context = {
        "area": area,
        "form": form,
        "back_url": back_url(area, conversation),
        **offer_context(offer, language),
    }
    if request.htmx and request.method == "GET":
        return render(request, "hub/flow/email.html#hours", context)
    return render(request, "hub/flow/email.html", context)


# --- Phone callback ----------------------------------------------------------------------


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def phone(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    member = flow_member(request)
    # The form's choices and the address's area, in one reading (Discover's areas have none).
    areas = contact_areas()
    area = contact_area(areas, slug)
    language = support_language(request)
    converting = chat_to_switch(member.user, request.GET.get("chat") or request.POST.get("chat"))
    conversation = carried_conversation(request, member)
    if request.method == "POST" and request.POST.get("update_wait"):
        form, area, language = _phone_form_redrawn(request, member, area, areas)
        offer = _offered(flow_offers(member, area, language=language), "phone")
    elif request.method == "POST":
        form = PhoneRequestForm(request.POST, areas=areas)
        if form.is_valid():
            # The offer for the area and language the form asks for, not the address's.
            area, language = form.cleaned_data["area"], form.cleaned_data["language"]
        # Refused first when phone is not the member's at all, then a retry is answered.
        offer = _offered(flow_offers(member, area, language=language), "phone")
        if replay := replayed_ticket(request):
            return confirmation_redirect(replay)
        if form.is_valid():
            response = _phone_submit(request, member, area, offer, form, conversation, converting)
            if response is not None:
                return response
        form.show_number_back()
    else:
        offer = _offered(flow_offers(member, area, language=language), "phone")
        form = PhoneRequestForm(
            areas=areas,
            initial={
                "area": area.slug,
                "language": language,
                "country": default_country(member.user),
                "email": member.user.email,
                "recording_consent": True,
                "subject": converting.ticket.subject if converting else "",
                **conversation_initial(conversation),
            },
        )
    context = _phone_context(area, form, offer, language, conversation)
    context["converting"] = converting
    return render(request, "hub/flow/phone.html", context)


def _phone_form_redrawn(
    request: AuthenticatedHttpRequest,
    member: FlowMember,
    area: ProductArea,
    areas: list[ProductArea],
) -> tuple[PhoneRequestForm, ProductArea, str]:
    """Without JavaScript, "Update the wait": the form again for the area and language
    chosen, with everything typed kept (the same idempotency key too) and nothing checked."""
    posted = PhoneRequestForm(request.POST, areas=areas)
    chosen = next((a for a in areas if a.slug == request.POST.get("area")), area)
    typed = {name: posted[name].value() for name in posted.fields}
    return (
        PhoneRequestForm(areas=areas, initial=typed),
        chosen,
        support_language(request),
    )


def _phone_context(
    area: ProductArea,
    form: PhoneRequestForm,
    offer: MethodOffer,
    language: str,
    conversation: Conversation | None = None,
) -> dict[str, Any]:
    url = reverse("hub:contact_phone_wait", kwargs={"slug": area.slug})
    for name in ("area", "language"):
        live_update(
            form.fields[name], url=url, target="#phone-wait", include="#id_area, #id_language"
        )
    return {
        "area": area,
        "form": form,
        "back_url": back_url(area, conversation),
        "shown_wait": shown_wait_token(offer),
        **offer_context(offer, language),
    }


def _phone_submit(
    request: AuthenticatedHttpRequest,
    member: FlowMember,
    area: ProductArea,
    offer: MethodOffer,
    form: PhoneRequestForm,
    conversation: Conversation | None,
    converting: ChatSession | None,
) -> HttpResponse | None:
    """The ticket and the redirect; the English-or-wait page; or None (errors on the form)."""
    data = form.cleaned_data
    language = data["language"]
    if not is_usable(offer):
        form.add_error("language", _not_usable_message(language))
        return None
    if offer.suggest_english and not data["english_choice_made"]:
        # R-FALLBACK without JavaScript: the same answers, and a choice of language.
        context = {
            "area": area,
            "form": form,
            "action": reverse("hub:contact_phone", kwargs={"slug": area.slug}),
            "carried": [
                field for field in form if field.name not in {"language", "english_choice_made"}
            ],
            "converting": converting,
            **offer_context(offer, language),
        }
        return render(request, "hub/flow/fallback.html", context)
    try:
        ticket = services.phone_request_submit(
            requester=member.user,
            area=area,
            offer=offer,
            language=language,
            phone_number=data["phone_e164"],
            phone_extension=data["extension"],
            contact_email=data["email"],
            subject=data["subject"],
            account_access_allowed=data["account_access"],
            recording_consent=data["recording_consent"],
            idempotency_key=data["idempotency_key"],
            conversation=conversation,
            converting=converting,
            # The figure the customer read; worked out afresh when the form carried none.
            quoted_wait=shown_wait(request.POST.get("shown_wait", ""), offer) or offer.wait,
        )
    except ValidationError as error:
        form.add_error(None, error)
        return None
    return confirmation_redirect(ticket)


@login_required
@never_cache
@require_GET
def phone_wait(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    """The estimated wait for the language and area chosen on the phone form (htmx)."""
    member = flow_member(request)
    areas = contact_areas()
    area = contact_area(areas, slug)
    chosen = request.GET.get("area") or slug
    if chosen != slug:
        area = contact_area(areas, chosen)
    language = support_language(request)
    if not request.htmx:
        query = urlencode({"language": language})
        return redirect(f"{reverse('hub:contact_phone', kwargs={'slug': area.slug})}?{query}")
    offer = flow_offers(member, area, language=language).phone
    context = {
        "area": area,
        "shown_wait": shown_wait_token(offer),
        **offer_context(offer, language),
    }
    wait = render_to_string("hub/flow/phone.html#wait", context, request=request)
    dialog = render_to_string(
        "hub/flow/phone.html#fallback-dialog", {**context, "oob": True}, request=request
    )
    return HttpResponse(wait + dialog)


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def callback_change(request: AuthenticatedHttpRequest, number: str) -> HttpResponse:
    """From the confirmation: another number or language for a callback that still waits.
    Once an agent has taken it, the page says so instead of the form."""
    member = flow_member(request)
    ticket = ticket_of_requester(request.user, number)
    if ticket.channel != Channel.PHONE or ticket.product_area is None:
        raise Http404
    confirmation_url = reverse("hub:confirmation", kwargs={"number": ticket.number})
    context: dict[str, Any] = {"ticket": ticket, "back_url": confirmation_url}
    if not callback_changeable(ticket):
        return render(request, "hub/flow/callback_change.html", context)
    if request.method == "POST":
        form = CallbackChangeForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            offer = _offered(
                flow_offers(member, ticket.product_area, language=data["language"]), "phone"
            )
            if not is_usable(offer):
                form.add_error("language", _not_usable_message(data["language"]))
            else:
                try:
                    services.phone_request_change(
                        ticket=ticket,
                        by=member.user,
                        offer=offer,
                        language=data["language"],
                        phone_number=data["phone_e164"],
                        phone_extension=data["extension"],
                    )
                except CallbackTaken:
                    return render(request, "hub/flow/callback_change.html", context)
                messages.success(request, _("Your callback has been changed."))
                return redirect(confirmation_url)
    else:
        form = CallbackChangeForm(
            initial=CallbackChangeForm.initial_for(
                phone_number=ticket.phone_number,
                phone_extension=ticket.phone_extension,
                language=ticket.language,
            )
        )
    return render(request, "hub/flow/callback_change.html", {**context, "form": form})


# --- Conference call ---------------------------------------------------------------------


@dataclass(frozen=True)
class SlotChoice:
    value: str
    starts_at: datetime  # in the user's time zone


@dataclass(frozen=True)
class SlotDay:
    day: date
    slots: list[SlotChoice]


def slot_days(slots: list[datetime]) -> list[SlotDay]:
    """Free slots grouped by day in the active (the user's) time zone."""
    days: dict[date, list[SlotChoice]] = {}
    for slot in slots:
        local = timezone.localtime(slot)
        days.setdefault(local.date(), []).append(SlotChoice(slot_value(slot), local))
    return [SlotDay(day, choices) for day, choices in days.items()]


def _open_day(days: list[SlotDay], chosen_slot: str) -> date | None:
    """The day the picker shows open: the chosen time's, even when that time has just been
    taken (its day's other times are the likeliest second choice); else the first day."""
    try:
        day = timezone.localtime(
            datetime.strptime(chosen_slot, SLOT_FORMAT).replace(tzinfo=UTC)
        ).date()
    except (ValueError, OverflowError):  # not a time, or one no calendar here can show
        day = None
    if day is not None and any(entry.day == day for entry in days):
        return day
    return days[0].day if days else None


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def conference(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    member, area = _member_and_area(request, slug)
    language = support_language(request)
    now = timezone.now()
    offer = _offered(flow_offers(member, area, language=language, now=now), "conference")
    if not offer.is_available:
        raise Http404
    conversation = carried_conversation(request, member)
    if request.method == "POST" and (replay := replayed_ticket(request)):
        return confirmation_redirect(replay)
    if request.method == "POST":
        form = ConferenceRequestForm(request.POST, now=now)
        if form.is_valid():
            data = form.cleaned_data
            try:
                ticket = services.conference_request_submit(
                    requester=member.user,
                    area=area,
                    language=data["language"] or language,
                    starts_at=data["slot"],
                    screen_sharing=data["screen_sharing"],
                    subject=data["subject"],
                    description=data["description"],
                    idempotency_key=data["idempotency_key"],
                    conversation=conversation,
                    now=now,
                )
            except SlotTaken as error:
                form.add_error("slot", error)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                return confirmation_redirect(ticket)
    else:
        form = ConferenceRequestForm(
            initial={"language": language, **conversation_initial(conversation)}, now=now
        )
    end = now + CONFERENCE_HORIZON
    slots = conference_slots_for(
        start=now, end=end, booked=conference_booked_starts(start=now, end=end)
    )
    days = slot_days(slots)
    chosen_slot = form["slot"].value() or ""
    context = {
        "area": area,
        "form": form,
        "offer": offer,
        "days": days,
        "open_day": _open_day(days, chosen_slot),
        "back_url": back_url(area, conversation),
        "chosen_slot": chosen_slot,
        "time_zone": timezone.get_current_timezone_name(),
    }
    return render(request, "hub/flow/conference.html", context)
