"""The contact forms (issue 6, items 7 and 8): email, phone callback, conference call.

Each view asks routing for the offers of the member, area and language, refuses a method
that is not theirs (404: a hand-crafted POST changes nothing), validates the form, calls
one ticket service and redirects to the confirmation. Attachments are served back by
``attachment_download``, never inline from our own origin.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from chatbot.models import Conversation
from chatbot.selectors import conversation_transcript, latest_question
from chatbot.services import conversation_ticket_link
from hub.flow.common import (
    FlowMember,
    carried_conversation,
    flow_area,
    flow_member,
    flow_offers,
    support_language,
)
from hub.flow.contact_forms import (
    IDEMPOTENCY_KEY,
    SUBJECT_MAX,
    ConferenceRequestForm,
    EmailRequestForm,
    PhoneRequestForm,
    contact_areas,
    default_country,
    slot_value,
)
from routing.erlang import WaitEstimate
from routing.models import ProductArea
from routing.policy import ContactOffers, MethodOffer
from routing.policy import Team as RoutingTeam
from routing.selectors import conference_slots_for
from tickets.models import (
    Attachment,
    Channel,
    ChatEndReason,
    ChatSession,
    ConferenceBooking,
    Team,
    Ticket,
)
from tickets.selectors import tickets_visible_to
from tickets.services import (
    SlotTaken,
    conference_book,
    ticket_create,
    ticket_create_with_attachments,
)

CONFERENCE_HORIZON = timedelta(days=14)
# Served with their own type; anything else is a plain download of bytes.
DOWNLOAD_TYPES = frozenset(
    {
        "image/png",
        "image/jpeg",
        "image/gif",
        "application/pdf",
        "text/plain",
        "text/csv",
        "application/json",
    }
)


# --- What the pages show -----------------------------------------------------------------


@dataclass(frozen=True)
class WaitWords:
    """A wait estimate as durations the templates put in words (``|duration``)."""

    expected: timedelta
    low: timedelta
    high: timedelta

    @property
    def has_range(self) -> bool:
        """Worth saying “nine in ten within …”: it reads as more than the expected wait."""
        return round(self.high.total_seconds() / 60) > round(self.expected.total_seconds() / 60)


def wait_words(estimate: WaitEstimate | None) -> WaitWords | None:
    if estimate is None or not math.isfinite(estimate.high_seconds):
        return None
    return WaitWords(
        expected=timedelta(seconds=round(estimate.expected_seconds)),
        low=timedelta(seconds=round(estimate.low_seconds)),
        high=timedelta(seconds=round(estimate.high_seconds)),
    )


def language_name(code: str) -> str:
    return str(dict(settings.SUPPORT_LANGUAGES).get(code, code))


def ticket_team(offer: MethodOffer) -> Team:
    """Routing's team → the ticket's: Enterprise, else general (technical) support."""
    return Team.ENTERPRISE if offer.team == RoutingTeam.ENTERPRISE else Team.TECHNICAL


def is_usable(offer: MethodOffer) -> bool:
    """Open now, or taking requests for when it opens (R-LANG-HOURS)."""
    return offer.is_available or offer.accepts_requests


def offer_context(offer: MethodOffer, language: str) -> dict[str, Any]:
    return {
        "offer": offer,
        "usable": is_usable(offer),
        "language_code": language,
        "language_name": language_name(language),
        "wait": wait_words(offer.wait),
        "english_wait": wait_words(offer.english_wait),
    }


def back_url(area: ProductArea, conversation: Conversation | None = None) -> str:
    """The method picker of the area (part A's page), else the hub's home."""
    for name in ("hub:methods", "hub:contact_methods", "hub:area_methods"):
        try:
            url = reverse(name, kwargs={"slug": area.slug})
        except NoReverseMatch:
            continue
        if conversation is not None:
            url = f"{url}?{urlencode({'conversation': conversation.public_id})}"
        return url
    return reverse("hub:home")


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


def replayed_ticket(request: HttpRequest, member: FlowMember) -> Ticket | None:
    """The ticket an earlier submission of this very form made (same idempotency key).

    Answering a retry with the first result before anything else means a double click,
    a resent POST or a browser retry all end on the same confirmation, even when the
    hours or the free slots have changed in between (the services check the key too).
    """
    key = request.POST.get("idempotency_key", "")
    if not IDEMPOTENCY_KEY.match(key):
        return None
    return Ticket.objects.filter(requester=member.user, idempotency_key=key).only("number").first()


def _offered(offers: ContactOffers, method: str) -> MethodOffer:
    """The method's offer; 404 when it is not in the member's licence for this area."""
    offer = getattr(offers, method)
    assert isinstance(offer, MethodOffer)
    if not offer.is_offered:
        raise Http404
    return offer


def _member_and_area(request: HttpRequest, slug: str) -> tuple[FlowMember, ProductArea]:
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
        "subject": latest_question(conversation)[:SUBJECT_MAX],
    }


def conversation_event_data(conversation: Conversation | None) -> dict[str, Any]:
    """What the ticket keeps of the conversation: the agent reads it on the callback screen."""
    if conversation is None:
        return {}
    return {
        "assistant_conversation": conversation_transcript(conversation),
        "assistant_conversation_id": conversation.public_id,
    }


def link_conversation(conversation: Conversation | None, ticket: Ticket) -> None:
    if conversation is not None:
        conversation_ticket_link(conversation=conversation, ticket=ticket)


def _not_usable_message(language: str) -> ValidationError:
    return ValidationError(
        _("This is not available in %(language)s at the moment. Choose another language.")
        % {"language": language_name(language)},
        code="not_available",
    )


# --- Email -------------------------------------------------------------------------------


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def email(request: HttpRequest, slug: str) -> HttpResponse:
    member, area = _member_and_area(request, slug)
    language = support_language(request, member)
    now = timezone.now()
    offers = flow_offers(member, area, language=language, now=now)
    offer = _offered(offers, "email")
    conversation = carried_conversation(request, member)
    if request.method == "POST" and (replay := replayed_ticket(request, member)):
        return confirmation_redirect(replay)
    if request.method == "POST":
        form = EmailRequestForm(request.POST, request.FILES)
        if form.is_valid():
            if not is_usable(offer):
                form.add_error("language", _not_usable_message(language))
            else:
                data = form.cleaned_data
                try:
                    ticket = ticket_create_with_attachments(
                        requester=member.user,
                        attachments=data["attachments"],
                        channel=Channel.EMAIL,
                        team=ticket_team(offer),
                        subject=data["subject"],
                        description=data["description"],
                        product_area=area,
                        language=data["language"],
                        idempotency_key=data["idempotency_key"],
                        contact_email=member.user.email,
                        handover_due_at=offer.handover_at,
                        event_data={**_event_data(offer), **conversation_event_data(conversation)},
                    )
                except ValidationError as error:
                    form.add_error("attachments" if _is_file_error(error) else None, error)
                else:
                    link_conversation(conversation, ticket)
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
    if request.htmx and request.method == "GET":  # type: ignore[attr-defined]
        return render(request, "hub/flow/email.html#hours", context)
    return render(request, "hub/flow/email.html", context)


def _is_file_error(error: ValidationError) -> bool:
    from tickets.services import AttachmentRejected

    return isinstance(error, AttachmentRejected)


def _event_data(offer: MethodOffer) -> dict[str, Any]:
    data: dict[str, Any] = {"source": "hub", "offer_status": str(offer.status)}
    if offer.next_opening is not None and not offer.is_available:
        data["answered_from"] = offer.next_opening.isoformat()
    if offer.handover_at is not None:
        data["handover_at"] = offer.handover_at.isoformat()
    return data


# --- Phone callback ----------------------------------------------------------------------


def _phone_offer_for(
    member: FlowMember, area: ProductArea, language: str, now: datetime
) -> MethodOffer:
    return flow_offers(member, area, language=language, now=now).phone


def _chat_to_convert(request: HttpRequest, member: FlowMember) -> ChatSession | None:
    """The member's own chat that this phone form turns into a callback (``?chat=CS-…``,
    issue 9); 404 for anyone else's."""
    number = request.GET.get("chat") or request.POST.get("chat") or ""
    if not number:
        return None
    session = (
        ChatSession.objects.select_related("ticket")
        .filter(ticket__number=number, ticket__requester_id=member.user.pk)
        .first()
    )
    if session is None:
        raise Http404
    if session.has_ended and session.end_reason != ChatEndReason.SWITCHED_TO_PHONE:
        return None  # the chat is over: this callback is a request of its own
    return session


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def phone(request: HttpRequest, slug: str) -> HttpResponse:
    member, area = _member_and_area(request, slug)
    language = support_language(request, member)
    now = timezone.now()
    areas = contact_areas()
    converting = _chat_to_convert(request, member)
    conversation = carried_conversation(request, member)
    if request.method == "POST":
        # Refused first when phone is not the member's at all, then a retry is answered.
        _offered(flow_offers(member, area, language=language, now=now), "phone")
        if replay := replayed_ticket(request, member):
            return confirmation_redirect(replay)
        form = PhoneRequestForm(request.POST, areas=areas)
        if form.is_valid():
            data = form.cleaned_data
            area = data["area"]
            language = data["language"]
        offer = _offered(flow_offers(member, area, language=language, now=now), "phone")
        if form.is_valid():
            response = _phone_submit(
                request, member, area, language, offer, form, conversation, converting
            )
            if response is not None:
                return response
        form.show_number_back()
    else:
        offer = _offered(flow_offers(member, area, language=language, now=now), "phone")
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
        **offer_context(offer, language),
    }


def _phone_submit(
    request: HttpRequest,
    member: FlowMember,
    area: ProductArea,
    language: str,
    offer: MethodOffer,
    form: PhoneRequestForm,
    conversation: Conversation | None,
    converting: ChatSession | None = None,
) -> HttpResponse | None:
    """The ticket and the redirect; the English-or-wait page; or None (errors on the form).

    With ``converting``, the member's chat becomes this callback on the same ticket."""
    data = form.cleaned_data
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
    callback_due_at = None
    if not offer.is_available and offer.next_opening is not None:
        callback_due_at = offer.next_opening  # beat queues it when the language opens
    if converting is not None:
        from tickets.chat.services import chat_switch_to_phone

        try:
            ticket = chat_switch_to_phone(
                session=converting,
                by=member.user,
                phone_number=data["phone_e164"],
                phone_extension=data["extension"],
                contact_email=data["email"],
                subject=data["subject"],
                account_access_allowed=data["account_access"],
                recording_consent=data["recording_consent"],
                team=ticket_team(offer),
                language=language,
                callback_due_at=callback_due_at,
                handover_due_at=offer.handover_at,
            )
        except ValidationError as error:
            form.add_error(None, error)
            return None
        return confirmation_redirect(ticket)
    try:
        ticket = ticket_create(
            requester=member.user,
            channel=Channel.PHONE,
            team=ticket_team(offer),
            subject=data["subject"],
            # R-PHONE: the subject is what the history shows as the ticket's description.
            description=data["subject"],
            product_area=area,
            language=language,
            idempotency_key=data["idempotency_key"],
            phone_number=data["phone_e164"],
            phone_extension=data["extension"],
            contact_email=data["email"],
            account_access_allowed=data["account_access"],
            recording_consent=data["recording_consent"],
            callback_due_at=callback_due_at,
            handover_due_at=offer.handover_at,
            event_data={**_event_data(offer), **conversation_event_data(conversation)},
        )
    except ValidationError as error:
        form.add_error(None, error)
        return None
    link_conversation(conversation, ticket)
    return confirmation_redirect(ticket)


@login_required
@never_cache
@require_GET
def phone_wait(request: HttpRequest, slug: str) -> HttpResponse:
    """The estimated wait for the language and area chosen on the phone form (htmx)."""
    member, area = _member_and_area(request, slug)
    chosen = request.GET.get("area") or slug
    if chosen != slug:
        area = get_object_or_404(contact_areas(), slug=chosen)
    language = support_language(request, member)
    if not request.htmx:  # type: ignore[attr-defined]
        query = urlencode({"language": language})
        return redirect(f"{reverse('hub:contact_phone', kwargs={'slug': area.slug})}?{query}")
    offer = flow_offers(member, area, language=language, now=timezone.now()).phone
    context = {"area": area, **offer_context(offer, language)}
    wait = render_to_string("hub/flow/phone.html#wait", context, request=request)
    dialog = render_to_string(
        "hub/flow/phone.html#fallback-dialog", {**context, "oob": True}, request=request
    )
    return HttpResponse(wait + dialog)


# --- Conference call ---------------------------------------------------------------------


@dataclass(frozen=True)
class SlotChoice:
    value: str
    starts_at: datetime  # in the user's time zone


@dataclass(frozen=True)
class SlotDay:
    day: date
    slots: list[SlotChoice]


def conference_booked_starts(*, start: datetime, end: datetime) -> list[datetime]:
    """Starts of the calls already booked in [start, end)."""
    return list(
        ConferenceBooking.objects.filter(starts_at__gte=start, starts_at__lt=end).values_list(
            "starts_at", flat=True
        )
    )


def slot_days(slots: list[datetime]) -> list[SlotDay]:
    """Free slots grouped by day in the active (the user's) time zone."""
    days: dict[date, list[SlotChoice]] = {}
    for slot in slots:
        local = timezone.localtime(slot)
        days.setdefault(local.date(), []).append(SlotChoice(slot_value(slot), local))
    return [SlotDay(day, choices) for day, choices in days.items()]


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def conference(request: HttpRequest, slug: str) -> HttpResponse:
    member, area = _member_and_area(request, slug)
    language = support_language(request, member)
    now = timezone.now()
    offer = _offered(flow_offers(member, area, language=language, now=now), "conference")
    if not offer.is_available:
        raise Http404
    conversation = carried_conversation(request, member)
    if request.method == "POST" and (replay := replayed_ticket(request, member)):
        return confirmation_redirect(replay)
    if request.method == "POST":
        form = ConferenceRequestForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                ticket = conference_book(
                    requester=member.user,
                    product_area=area,
                    language=data["language"] or language,
                    starts_at=data["slot"],
                    screen_sharing=data["screen_sharing"],
                    subject=data["subject"],
                    description=data["description"],
                    idempotency_key=data["idempotency_key"],
                    event_data=conversation_event_data(conversation),
                    now=now,
                )
            except SlotTaken as error:
                form.add_error("slot", error)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                link_conversation(conversation, ticket)
                return confirmation_redirect(ticket)
    else:
        form = ConferenceRequestForm(
            initial={"language": language, **conversation_initial(conversation)}
        )
    end = now + CONFERENCE_HORIZON
    slots = conference_slots_for(
        start=now, end=end, booked=conference_booked_starts(start=now, end=end)
    )
    context = {
        "area": area,
        "form": form,
        "offer": offer,
        "days": slot_days(slots),
        "back_url": back_url(area, conversation),
        "chosen_slot": form["slot"].value() or "",
        "time_zone": timezone.get_current_timezone_name(),
    }
    return render(request, "hub/flow/conference.html", context)


# --- Attachments -------------------------------------------------------------------------


def get_attachment_for_viewer(request: HttpRequest, pk: int) -> Attachment:
    """The attachment, for staff and for whoever may see its ticket (tickets_visible_to: the
    requester, their brand administrators); 404 for anyone else."""
    user = request.user
    if not user.is_authenticated:
        raise Http404
    attachments = Attachment.objects.all()
    if not user.is_staff:
        attachments = attachments.filter(ticket__in=tickets_visible_to(user))
    return get_object_or_404(attachments, pk=pk)


@never_cache
@require_GET
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    """Always a download, never a page of our origin: sandboxed, no sniffing, known types."""
    attachment = get_attachment_for_viewer(request, pk)
    content_type = attachment.content_type
    if content_type not in DOWNLOAD_TYPES:
        content_type = "application/octet-stream"
    elif content_type.startswith("text/") or content_type == "application/json":
        content_type = f"{content_type}; charset=utf-8"
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.original_name,
        content_type=content_type,
    )
    headers: Mapping[str, str] = {
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "sandbox; default-src 'none'",
        "Cross-Origin-Resource-Policy": "same-origin",
        "Cache-Control": "private, no-store",
    }
    for name, value in headers.items():
        response[name] = value
    return response
