"""The agents' queue board (staff only; anyone else gets 404): every queue at a glance, and
"Take the next callback" on the queues the agent has the skills for.

The page is whole without JavaScript (a Refresh link redraws it); htmx redraws its table
every few seconds from the same view, which then renders only the table's partial.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRefresh

from hub.accounts.http import AuthenticatedHttpRequest
from hub.accounts.models import User
from routing.configuration import QUEUE_TEAMS
from routing.languages import support_language_codes
from routing.models import ProductArea
from routing.policy import Method, Team
from routing.selectors import agent_skills
from tickets import services
from tickets.board import BoardShows, queue_board, takes_from
from tickets.chat.selectors import is_chat_staff
from tickets.chat_views import _poll as unrefreshed_session

BOARD_POLL_SECONDS = 5


def _board_user(request: AuthenticatedHttpRequest) -> User:
    """Support staff who work the queues; customers are not told the page exists."""
    user = request.user
    if not is_chat_staff(user):
        raise Http404
    return user


def _shows(request: AuthenticatedHttpRequest) -> BoardShows:
    try:
        return BoardShows(request.GET.get("show", ""))
    except ValueError:
        return BoardShows.EVERY_QUEUE


def _board_context(request: AuthenticatedHttpRequest, user: User) -> dict[str, object]:
    skills = agent_skills(user)
    now = timezone.now()
    shows = _shows(request)
    return {
        "rows": queue_board(skills=skills, now=now, shows=shows),
        "shows": shows,
        "show_choices": [
            (BoardShows.EVERY_QUEUE, _("Every queue")),
            (BoardShows.MINE, _("Queues I can take callbacks from")),
            (BoardShows.WAITING, _("Queues somebody waits in")),
        ],
        "on_roster": skills is not None,
        "updated_at": now,
        "poll_seconds": BOARD_POLL_SECONDS,
    }


@login_required
@never_cache
@require_GET
def queue_board_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = _board_user(request)
    return render(request, "tickets/queue_board.html", _board_context(request, user))


@unrefreshed_session  # an open board must not keep its agent signed in
@never_cache
@require_GET
def queue_board_rows(request: AuthenticatedHttpRequest) -> HttpResponse:
    """htmx, every few seconds: the board's table alone."""
    if not request.htmx:
        return redirect("tickets:queue_board")
    if not request.user.is_authenticated:
        # Signed out meanwhile: the whole page reloads (and goes to sign in), rather than
        # the sign-in page being drawn inside the table.
        return HttpResponseClientRefresh()
    user = _board_user(request)
    return render(request, "tickets/queue_board.html#board", _board_context(request, user))


def _queue_of(code: str) -> tuple[str, ProductArea, Team]:
    """A callback queue from its code on the board (``phone.en.<area>.general``); 404 for
    anything that is not one."""
    parts = code.split(".")
    if len(parts) != 4 or parts[0] != Method.PHONE.value:
        raise Http404
    _method, language, area_slug, team_value = parts
    if language not in support_language_codes() or team_value not in {
        team.value for team in QUEUE_TEAMS
    }:
        raise Http404
    area = get_object_or_404(ProductArea, slug=area_slug, is_active=True)
    return language, area, Team(team_value)


@login_required
@require_POST
def queue_take_next(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Take the oldest callback waiting in one queue, then open its ticket in the admin."""
    user = _board_user(request)
    language, area, team = _queue_of(request.POST.get("queue", ""))
    skills = agent_skills(user)
    if not takes_from(skills, language=language, area_id=area.pk, team=team):
        raise PermissionDenied(_("You do not have the skills for this queue."))
    callback = services.callback_take_next(
        agent=user, languages=[language], area_ids=[area.pk], teams=[team.value]
    )
    if callback is None:
        messages.info(request, _("No callback is waiting in this queue now."))
        return redirect("tickets:queue_board")
    messages.success(
        request,
        _("You took %(number)s: call the customer now.") % {"number": callback.ticket.number},
    )
    return redirect(reverse("admin:tickets_ticket_change", args=[callback.ticket_id]))
