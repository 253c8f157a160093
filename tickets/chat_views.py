"""Live chat pages: the customer's chat page, its fragments, and the agents' chat console.
(A chat starts from the flow's contact form, ``hub:contact_chat``.)

Transport: htmx polls "messages after id N" about once a second (``CHAT_POLL_SECONDS``)
under the ordinary WSGI server. The page renders every message; a poll asks only for ids
above the last one shown; a send carries a key made when its form was drawn. So a reload or
a dropped connection loses and repeats nothing. Without JavaScript every page still works:
the forms post and redirect back, and a Refresh link redraws the chat.

Every chat URL answers 404 to anyone but the chat's customer and support staff.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HTMX_STOP_POLLING

from hub.accounts.http import AuthenticatedHttpRequest
from hub.accounts.models import User
from routing.policy import MethodOffer
from routing.selectors import agent_skills, contact_offers_for, member_facts, offer_languages
from tickets.chat import selectors, services
from tickets.chat.forms import ChatMessageForm, TranscriptForm
from tickets.models import ChatSession, Team
from tickets.queues import queue_facts

CONSOLE_POLL_SECONDS = 5
WAITING_POLL_SECONDS = 10
# Ended chats stay on the console this long, so the agent sees how they ended.
CONSOLE_KEEPS_ENDED = timedelta(minutes=15)


class _UnrefreshedSession:
    """The session as a poll sees it: read as usual, saved only if the view changed it.

    A chat left open asks for messages every second. That is the page, not the person: it
    must neither keep the session alive past its idle timeout (``SESSION_COOKIE_AGE``, which
    other requests push back when it is due) nor cost a session write.
    """

    def __init__(self, session: Any) -> None:
        self.__dict__["_session"] = session

    def __getattr__(self, name: str) -> Any:
        return getattr(self._session, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._session, name, value)

    def __getitem__(self, key: str) -> Any:
        return self._session[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self._session[key] = value

    def __delitem__(self, key: str) -> None:
        del self._session[key]

    def __contains__(self, key: str) -> bool:
        return key in self._session

    def refresh_due(self) -> bool:
        return False


def _poll(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapped(request: AuthenticatedHttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        request.session = _UnrefreshedSession(request.session)  # type: ignore[assignment]
        return view(request, *args, **kwargs)

    return wrapped


def _poll_seconds() -> float:
    return float(getattr(settings, "CHAT_POLL_SECONDS", 1.0))


def _customer_chat(request: AuthenticatedHttpRequest, number: str) -> ChatSession:
    """The chat, for its customer only: the agents who may read it may not act for them."""
    session = selectors.chat_for_viewer(request.user, number)
    if session.ticket.requester_id != request.user.pk:
        raise Http404
    return session


def _after(request: AuthenticatedHttpRequest) -> int:
    raw = request.GET.get("after") or request.POST.get("after") or ""
    return int(raw) if raw.isdigit() else 0


def chat_url(session: ChatSession) -> str:
    return reverse("tickets:chat", kwargs={"number": session.ticket.number})


def _alternatives(slug: str, language: str, chat: ChatSession) -> dict[str, str]:
    """The email and callback forms, each turning this chat into that request."""
    query = {"language": language, "chat": chat.ticket.number}
    return {
        "email": f"{reverse('hub:contact_email', kwargs={'slug': slug})}?{urlencode(query)}",
        "phone": f"{reverse('hub:contact_phone', kwargs={'slug': slug})}?{urlencode(query)}",
    }


# --- What a chat pane needs --------------------------------------------------------------


def _pane_context(
    request: AuthenticatedHttpRequest,
    session: ChatSession,
    *,
    messages: list[Any] | None = None,
    form: ChatMessageForm | None = None,
    console: bool = False,
) -> dict[str, Any]:
    user = request.user
    is_customer = user.pk == session.ticket.requester_id
    shown = messages if messages is not None else selectors.chat_messages(session)
    prefix = f"chat-{session.pk}"
    return {
        "session": session,
        "ticket": session.ticket,
        "prefix": prefix,
        # Not "messages": that name is the flash messages' in every page's context.
        "lines": shown,
        "after": selectors.chat_last_message_id(shown),
        "viewer_is_staff": not is_customer,
        "can_write": session.ended_at is None and (is_customer or session.agent_id == user.pk),
        "can_accept": not is_customer and session.is_waiting,
        "form": form or ChatMessageForm(prefix_id=prefix),
        "transcript_form": TranscriptForm(),
        "poll_seconds": _poll_seconds(),
        "waiting_poll_seconds": WAITING_POLL_SECONDS,
        "console": console,
        "chat_url": chat_url(session),
        "poll_url": reverse("tickets:chat_messages", kwargs={"number": session.ticket.number}),
    }


def _status_context(session: ChatSession) -> dict[str, Any]:
    status = selectors.chat_queue_status(session)
    area_slug = session.ticket.product_area.slug if session.ticket.product_area else ""
    return {
        "queue": status,
        "alternatives": (
            _alternatives(area_slug, session.ticket.language, session) if area_slug else {}
        ),
    }


# --- The customer's chat page and its fragments ------------------------------------------


@login_required
@never_cache
@require_GET
def chat_page(request: AuthenticatedHttpRequest, number: str) -> HttpResponse:
    """The chat: every message so far, the place in the queue while waiting, the composer."""
    session = selectors.chat_for_viewer(request.user, number)
    is_customer = request.user.pk == session.ticket.requester_id
    if is_customer:
        services.chat_customer_seen(session=session)
    if request.htmx and request.GET.get("part") == "status":
        request.session = _UnrefreshedSession(request.session)  # type: ignore[assignment]
        context = {**_pane_context(request, session, messages=[]), **_status_context(session)}
        response = render(request, "tickets/chat/_pane.html#status", context)
        if not session.is_waiting:
            response.status_code = HTMX_STOP_POLLING
        return response
    context = {**_pane_context(request, session), **_status_context(session)}
    context["is_customer"] = is_customer
    return render(request, "tickets/chat/chat.html", context)


@_poll
@login_required
@never_cache
@require_GET
def chat_messages(request: AuthenticatedHttpRequest, number: str) -> HttpResponse:
    """htmx: the messages after ``after``, and the chat's state when it has changed."""
    session = selectors.chat_for_viewer(request.user, number, for_poll=True)
    if not request.htmx:
        return redirect(f"{chat_url(session)}#chat-{session.pk}")
    if request.user.pk == session.ticket.requester_id:
        services.chat_customer_seen(session=session)
    after = _after(request)
    return _poll_answer(request, session, after=after, shown_state=request.GET.get("state", ""))


def _poll_answer(
    request: AuthenticatedHttpRequest,
    session: ChatSession,
    *,
    after: int,
    shown_state: str,
    form: ChatMessageForm | None = None,
    composer: bool = False,
) -> HttpResponse:
    """New messages (appended out of band), the cursor, and the parts whose state changed."""
    new = selectors.chat_messages(session, after=after)
    changed = shown_state != session.state
    if composer or changed:
        context = _pane_context(request, session, messages=new, form=form)
    else:
        # The answer to nearly every poll: nothing new, or a few lines. Draw only those.
        context = {"session": session, "prefix": f"chat-{session.pk}", "lines": new}
        context["viewer_is_staff"] = request.user.pk != session.ticket.requester_id
    context["after"] = selectors.chat_last_message_id(new, after)
    context["composer_sent"] = composer
    parts = []
    if composer:
        parts.append(render_to_string("tickets/chat/_pane.html#composer", context, request))
    parts.append(render_to_string("tickets/chat/_pane.html#poll", context, request))
    if changed:
        context.update(_status_context(session))
        parts.append(
            render_to_string("tickets/chat/_pane.html#changed", {**context, "oob": True}, request)
        )
    response = HttpResponse("".join(parts))
    if session.has_ended and not composer:
        response.status_code = HTMX_STOP_POLLING
    return response


@login_required
@never_cache
@require_POST
def chat_send(request: AuthenticatedHttpRequest, number: str) -> HttpResponse:
    """A message from the customer or the chat's agent, once per client key."""
    session = selectors.chat_for_viewer(request.user, number)
    prefix = f"chat-{session.pk}"
    form = ChatMessageForm(request.POST, prefix_id=prefix)
    sent = False
    if form.is_valid():
        try:
            services.chat_message_send(
                session=session,
                author=request.user,
                body=form.cleaned_data["body"],
                client_key=form.cleaned_data["client_key"] or "",
                repeat_confirmed=form.cleaned_data["repeat"],
            )
        except services.ChatRepeat:
            form.asks_to_repeat = True
        except ValidationError as error:
            form.add_error("body" if error.code in {"empty", "too_long"} else None, error)
        else:
            sent = True
    if not request.htmx:
        if sent:
            return redirect(f"{chat_url(session)}#{prefix}-composer")
        context = {**_pane_context(request, session, form=form), **_status_context(session)}
        context["is_customer"] = request.user.pk == session.ticket.requester_id
        return render(request, "tickets/chat/chat.html", context)
    if sent:
        form = ChatMessageForm(prefix_id=prefix)
    session.refresh_from_db(fields=["ended_at", "accepted_at", "end_reason"])
    return _poll_answer(
        request,
        session,
        after=_after(request),
        shown_state=request.POST.get("state", session.state),
        form=form,
        composer=True,
    )


def _next_url(request: AuthenticatedHttpRequest, fallback: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


@login_required
@never_cache
@require_POST
def chat_end(request: AuthenticatedHttpRequest, number: str) -> HttpResponse:
    """Either side ends the chat; the transcript goes to the ticket's timeline."""
    user = request.user
    session = selectors.chat_for_viewer(user, number)
    is_customer = user.pk == session.ticket.requester_id
    if not is_customer and session.agent_id != user.pk:
        flash.error(request, _("Only the agent who took this chat can end it."))
        return redirect(_next_url(request, chat_url(session)))
    services.chat_end(session=session, by=user)
    if request.htmx and request.POST.get("pane"):
        session = selectors.chat_for_viewer(user, number)
        context = _pane_context(request, session, console=True)
        return render(request, "tickets/chat/_pane.html#pane", context)
    return redirect(_next_url(request, chat_url(session)))


@login_required
@never_cache
@require_POST
def chat_transcript(request: AuthenticatedHttpRequest, number: str) -> HttpResponse:
    """The customer asks for the transcript by email (once per form)."""
    user = request.user
    session = _customer_chat(request, number)
    form = TranscriptForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("This form has expired. Send it again."))
        services.chat_transcript_request(session=session, by=user, key=form.cleaned_data["key"])
    except ValidationError as error:
        flash.error(request, " ".join(error.messages))
    else:
        flash.success(
            request,
            _("We are emailing the transcript to %(email)s.")
            % {"email": session.ticket.contact_email or user.email},
        )
    return redirect(chat_url(session))


@login_required
@never_cache
@require_POST
def chat_switch_email(request: AuthenticatedHttpRequest, number: str) -> HttpResponse:
    """The customer turns the chat into an email request; everything written is kept."""
    user = request.user
    session = _customer_chat(request, number)
    offer = _email_offer(request, session)
    try:
        ticket = services.chat_switch_to_email(
            session=session,
            by=user,
            team=Team.of_queue(offer.team) if offer is not None else session.ticket.team,
            handover_due_at=offer.handover_at if offer is not None else None,
        )
    except ValidationError as error:
        flash.error(request, " ".join(error.messages))
        return redirect(chat_url(session))
    return redirect("hub:confirmation", number=ticket.number)


def _email_offer(request: AuthenticatedHttpRequest, session: ChatSession) -> MethodOffer | None:
    area = session.ticket.product_area
    if area is None:
        return None
    language, now = session.ticket.language, timezone.now()
    queues = queue_facts(area_id=area.pk, languages=offer_languages(language), now=now)
    offers = contact_offers_for(
        member_facts(request.user), area=area, language=language, now=now, queues=queues
    )
    return offers.email if offers.email.is_offered else None


# --- The agents' console -----------------------------------------------------------------


def _console_user(request: AuthenticatedHttpRequest) -> User:
    user = request.user
    if not selectors.is_chat_staff(user):
        raise Http404
    return user


def _console_context(request: AuthenticatedHttpRequest, user: User) -> dict[str, Any]:
    skills = agent_skills(user)
    return {
        "status": selectors.console_status(user, skills=skills),
        "waiting": selectors.chats_waiting_for(user, skills=skills),
        "console_poll_seconds": CONSOLE_POLL_SECONDS,
    }


@login_required
@never_cache
@require_GET
def chat_console(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Staff only: the switch, the waiting chats that match the agent's skills, and the
    agent's chats side by side, each live."""
    user = _console_user(request)
    services.chat_presence_heartbeat(agent=user)
    held = selectors.chats_held_by(user, ended_since=timezone.now() - CONSOLE_KEEPS_ENDED)
    panes = [
        _pane_context(request, session, messages=session.all_messages, console=True)  # type: ignore[attr-defined]
        for session in held
    ]
    for pane, session in zip(panes, held, strict=True):
        pane["conversation"] = selectors.assistant_conversation(session)
    context = {
        **_console_context(request, user),
        "panes": [
            render_to_string("tickets/chat/_pane.html#pane", pane, request) for pane in panes
        ],
    }
    return render(request, "tickets/chat/console.html", context)


@_poll
@login_required
@never_cache
@require_GET
def chat_console_waiting(request: AuthenticatedHttpRequest) -> HttpResponse:
    """htmx, every few seconds: the console is open (the heartbeat) and what waits now."""
    user = _console_user(request)
    if not request.htmx:
        return redirect("tickets:chat_console")
    services.chat_presence_heartbeat(agent=user)
    return render(request, "tickets/chat/console.html#live", _console_context(request, user))


@login_required
@never_cache
@require_POST
def chat_availability(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = _console_user(request)
    status = selectors.console_status(user)
    if not status.takes_chats:
        flash.error(request, _("You are not set up to take chats: ask an administrator."))
    else:
        services.chat_presence_set(agent=user, available=request.POST.get("available") == "on")
    if request.htmx:
        return render(request, "tickets/chat/console.html#live", _console_context(request, user))
    return redirect("tickets:chat_console")


@login_required
@never_cache
@require_POST
def chat_accept(request: AuthenticatedHttpRequest, number: str) -> HttpResponse:
    """Take a waiting chat. When another agent was quicker, say so plainly."""
    user = _console_user(request)
    session = selectors.chat_for_viewer(user, number)
    try:
        services.chat_accept(session_id=session.pk, agent=user)
    except ValidationError as error:
        problem = " ".join(error.messages)
        if not request.htmx:
            flash.error(request, problem)
            return redirect("tickets:chat_console")
        context = {**_console_context(request, user), "problem": problem, "oob": True}
        response = HttpResponse(
            render_to_string("tickets/chat/console.html#problem", context, request)
            + render_to_string("tickets/chat/console.html#live", context, request)
        )
        response["HX-Reswap"] = "none"
        return response
    if not request.htmx:
        return redirect(f"{reverse('tickets:chat_console')}#chat-{session.pk}")
    taken = next(held for held in selectors.chats_held_by(user) if held.ticket.number == number)
    pane = _pane_context(request, taken, messages=taken.all_messages, console=True)  # type: ignore[attr-defined]
    pane["conversation"] = selectors.assistant_conversation(taken)
    context = {**_console_context(request, user), "oob": True}
    live = render_to_string("tickets/chat/console.html#live", context, request)
    problem = render_to_string("tickets/chat/console.html#problem", context, request)
    return HttpResponse(
        render_to_string("tickets/chat/_pane.html#pane", pane, request) + live + problem
    )
