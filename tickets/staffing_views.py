"""The staffing planner: supervisors only (anyone else who is not staff gets a 404, staff
who are not supervisors a 403). A GET form: the page works without JavaScript, and htmx
only redraws the plan in place."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from hub.accounts.http import AuthenticatedHttpRequest
from hub.accounts.models import User
from hub.accounts.selectors import is_supervisor
from routing.languages import language_label
from routing.models import SupportTeam
from routing.staffing import HALF_HOURS_PER_DAY, StaffingCell, StaffingQueue
from tickets.staffing.forms import StaffingPlanForm
from tickets.staffing.selectors import (
    MEASURED_WEEKS,
    QueuePlan,
    StaffingPlan,
    staffing_plan_for,
    staffing_queues,
)


def _supervisor(request: AuthenticatedHttpRequest) -> User:
    user = request.user
    if not user.is_staff:
        raise Http404
    if not is_supervisor(user):
        raise PermissionDenied
    return user


def queue_code(queue: StaffingQueue) -> str:
    return f"{queue.language}-{queue.team.value}"


def queue_label(queue: StaffingQueue) -> str:
    return f"{language_label(queue.language)} · {SupportTeam(queue.team.value).label}"


def _zone() -> ZoneInfo:
    zone = timezone.get_current_timezone()
    return zone if isinstance(zone, ZoneInfo) else ZoneInfo("UTC")


def _form(request: AuthenticatedHttpRequest, zone: ZoneInfo) -> StaffingPlanForm:
    queues = [(queue_code(queue), queue_label(queue)) for queue in staffing_queues()]
    return StaffingPlanForm(
        request.GET, queues=queues, today=timezone.now().astimezone(zone).date()
    )


def _plan(form: StaffingPlanForm, zone: ZoneInfo) -> StaffingPlan:
    return staffing_plan_for(
        monday=form.cleaned_data["week"], zone=zone, target=form.target(), now=timezone.now()
    )


@dataclass(frozen=True, slots=True)
class PlanDay:
    """One local day of a queue's plan: 48 half-hours, or 46 or 50 when the clocks change."""

    date: date
    cells: list[StaffingCell]

    @property
    def hours(self) -> float:
        return len(self.cells) / 2

    @property
    def clocks_change(self) -> bool:
        return len(self.cells) != HALF_HOURS_PER_DAY


def _days(plan: QueuePlan) -> list[PlanDay]:
    """The queue's half-hours grouped by the local day they start on."""
    days: list[PlanDay] = []
    for cell in plan.cells:
        day = cell.half_hour.local_start.date()
        if not days or days[-1].date != day:
            days.append(PlanDay(day, []))
        days[-1].cells.append(cell)
    return days


def _week_url(form: StaffingPlanForm, weeks: int, *, route: str = "tickets:staffing") -> str:
    """The plan of the same choices ``weeks`` later (or earlier), or its CSV."""
    query = {
        "week": (form.cleaned_data["week"] + timedelta(weeks=weeks)).isoformat(),
        "service_level": form.cleaned_data["service_level"],
        "answer_within": form.cleaned_data["answer_within"],
        "queue": form.cleaned_data["queue"],
    }
    return reverse(route) + "?" + urlencode(query)


@login_required
@never_cache
@require_GET
def staffing_planner(request: AuthenticatedHttpRequest) -> HttpResponse:
    _supervisor(request)
    zone = _zone()
    form = _form(request, zone)
    context: dict[str, Any] = {"form": form, "zone": zone, "measured_weeks": MEASURED_WEEKS}
    if form.is_valid():
        plan = _plan(form, zone)
        shown = next(
            queue_plan
            for queue_plan in plan.queues
            if queue_code(queue_plan.queue) == form.cleaned_data["queue"]
        )
        context.update(
            plan=plan,
            summaries=[
                {
                    "plan": queue_plan,
                    "label": queue_label(queue_plan.queue),
                    "url": _queue_url(request, queue_plan.queue),
                    "shown": queue_plan is shown,
                }
                for queue_plan in plan.queues
            ],
            shown=shown,
            shown_label=queue_label(shown.queue),
            days=_days(shown),
            week_end=form.cleaned_data["week"] + timedelta(days=6),
            percent=form.cleaned_data["service_level"],
            minutes=form.cleaned_data["answer_within"],
            previous_week_url=_week_url(form, -1),
            next_week_url=_week_url(form, 1),
            # The file of exactly this plan, even when the page took its week by default.
            csv_url=_week_url(form, 0, route="tickets:staffing_csv"),
        )
    template = "tickets/staffing/planner.html"
    if request.htmx and not request.htmx.boosted:
        template += "#planner"
    return render(request, template, context)


def _queue_url(request: AuthenticatedHttpRequest, queue: StaffingQueue) -> str:
    query = request.GET.copy()
    query["queue"] = queue_code(queue)
    return reverse("tickets:staffing") + "?" + query.urlencode() + "#queue-detail"


def _csv_row(cell: StaffingCell) -> list[str]:
    return [
        cell.queue.language,
        cell.queue.team.value,
        cell.half_hour.local_start.isoformat(timespec="minutes"),
        cell.half_hour.start.isoformat(timespec="minutes"),
        f"{cell.arrivals_per_hour:.2f}",
        f"{cell.handle_seconds / 60:.1f}",
        f"{cell.traffic:.2f}",
        str(cell.needed),
        str(cell.rostered),
        str(cell.shortfall),
    ]


@login_required
@never_cache
@require_GET
def staffing_planner_csv(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Every queue's half-hours with the numbers the page shows, one row each."""
    _supervisor(request)
    zone = _zone()
    form = _form(request, zone)
    if not form.is_valid():
        # Never a file for other choices than those asked for: show the errors instead.
        return redirect(reverse("tickets:staffing") + "?" + request.GET.urlencode())
    plan = _plan(form, zone)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        [
            _("Language (code)"),
            _("Team (code)"),
            _("Half-hour starts (%(zone)s)") % {"zone": zone.key},
            _("Half-hour starts (UTC)"),
            _("Callbacks per hour"),
            _("Handle time (minutes)"),
            _("Traffic (erlangs)"),
            _("Agents needed"),
            _("Agents on shift"),
            _("Agents short"),
        ]
    )
    for queue_plan in plan.queues:
        writer.writerows(_csv_row(cell) for cell in queue_plan.cells)
    # The byte-order mark makes spreadsheet programs read the file as UTF-8.
    response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="staffing-{plan.monday.isoformat()}.csv"'
    )
    return response
