"""The customer's side of tickets: Verify & Confirm, and the ticket history (R-HISTORY).

Every ticket URL fetches through tickets.selectors.tickets_visible_to, so nobody reaches a
ticket they may not see: they get 404, never 403.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import datetime, timedelta
from html import escape
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import (
    FileResponse,
    Http404,
    HttpResponse,
    HttpResponseBase,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HTMX_STOP_POLLING, HttpResponseClientRedirect

from hub.accounts.http import AuthenticatedHttpRequest, HtmxHttpRequest
from hub.accounts.models import User
from hub.accounts.moments import moment_writer
from routing.languages import language_label
from tickets.forms import AccountAccessForm, CommentForm, HistoryFilterForm, VerifyForm
from tickets.labels import choice_label
from tickets.models import Channel, Status, Team, Ticket
from tickets.selectors import (
    Cursor,
    HistoryArea,
    HistoryRow,
    assistant_conversation,
    attachment_for_viewer,
    history_areas,
    history_export_rows,
    history_filters_key,
    history_membership,
    history_requesters,
    queue_status,
    sees_organisation_tickets,
    ticket_area_name,
    ticket_conference,
    ticket_files,
    ticket_for_viewer,
    ticket_history_page,
    ticket_timeline,
    wait_accuracy,
)
from tickets.services import ticket_account_access_set, ticket_comment, ticket_transition
from tickets.timeline import timeline_entries
from tickets.verification import LinkRefused, link_check, ticket_verify

# Attachments served with their own type; anything else is a plain download of bytes.
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
# The filters a list URL may carry; paging cursors are added separately.
FILTER_PARAMETERS = ("q", "status", "area", "channel", "requester", "created_from", "created_to")


@login_required
def verify(request: AuthenticatedHttpRequest, token: str) -> HttpResponse:
    """R-VERIFY: the customer confirms a request a TSM passed on, and decides about access."""
    user = request.user
    try:
        checked = link_check(token=token, user=user)
    except LinkRefused as refused:
        return render(
            request, "tickets/verify_refused.html", {"reason": refused.reason}, status=410
        )
    form = VerifyForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            ticket = ticket_verify(
                token=token,
                user=user,
                allow_account_access=form.cleaned_data["account_access"],
            )
        except LinkRefused as refused:
            return render(
                request, "tickets/verify_refused.html", {"reason": refused.reason}, status=410
            )
        messages.success(
            request,
            _("Thank you: ticket %(number)s is confirmed and Enterprise Support is on it.")
            % {"number": ticket.number},
        )
        return redirect("tickets:detail", number=ticket.number)
    return render(request, "tickets/verify.html", {"form": form, "ticket": checked.ticket})


# --- The list and its export ----------------------------------------------------------------


def _history_viewer(request: AuthenticatedHttpRequest) -> User:
    """The signed-in member; 404 for staff and anyone else without an organisation."""
    user = request.user
    if history_membership(user) is None:
        raise Http404
    return user


def _filter_form(
    request: AuthenticatedHttpRequest, user: User, areas: list[HistoryArea]
) -> HistoryFilterForm:
    administrator = sees_organisation_tickets(user)
    asked = any(request.GET.get(name) for name in (*FILTER_PARAMETERS, "sort"))
    return HistoryFilterForm(
        request.GET if asked else None,
        areas=areas,
        requesters=history_requesters(user) if administrator else None,
        own_user=user,
    )


def _history_areas() -> list[HistoryArea]:
    return history_areas(get_language() or settings.LANGUAGE_CODE)


# One row of the list, filled in Python: a template loop over 25 rows of eight cells cost
# more than the queries behind it. Every value is escaped as the template would escape it.
HISTORY_ROW = (
    '<tr><td data-label="{number_label}"><a class="history-table__number" href="{url}">'
    "{number}</a></td>"
    '<td class="history-table__subject" data-label="{subject_label}">{subject}</td>'
    '<td data-label="{area_label}">{area}</td>'
    '<td data-label="{channel_label}">{channel}</td>'
    '<td data-label="{status_label}"><strong class="tag tag--status tag--{status}">'
    "{status_text}</strong></td>"
    "{requester_cell}"
    '<td class="history-table__when" data-label="{made_label}">{made}</td>'
    '<td class="history-table__when" data-label="{update_label}">{updated}</td></tr>'
)
HISTORY_REQUESTER_CELL = '<td class="table__email" data-label="{requester_label}">{requester}</td>'


def _history_rows(
    tickets: list[HistoryRow], area_names: dict[int, str], *, sees_organisation: bool
) -> SafeString:
    """The rows as HTML, one string for the table's body. The labels are translated once per
    page, not once per row; dates are written as the reader's language writes them (CLDR),
    in their time zone. The labels of the cells are what each stacked cell shows on a
    phone."""
    statuses = {value: escape(str(label)) for value, label in Status.choices}
    channels = {value: escape(str(label)) for value, label in Channel.choices}
    areas = {pk: escape(name) for pk, name in area_names.items()}
    detail = reverse("tickets:detail", args=["CS-000000"])
    labels = {
        "number_label": escape(_("Number")),
        "subject_label": escape(_("Subject")),
        "area_label": escape(_("Product area")),
        "channel_label": escape(_("Contact method")),
        "status_label": escape(_("Status")),
        "made_label": escape(_("Made")),
        "update_label": escape(_("Last update")),
    }
    requester_label = escape(_("Requested by"))

    written = moment_writer("year short time")

    def when(moment: datetime) -> str:
        return escape(written(moment))

    def row(ticket: HistoryRow) -> str:
        requester = ""
        if sees_organisation:
            requester = HISTORY_REQUESTER_CELL.format(
                requester_label=requester_label, requester=escape(ticket.requester_name)
            )
        return HISTORY_ROW.format(
            **labels,
            url=escape(detail.replace("CS-000000", ticket.number)),
            number=escape(ticket.number),
            subject=escape(ticket.subject),
            area=areas.get(ticket.product_area_id or 0) or "—",
            channel=channels.get(ticket.channel) or escape(ticket.channel),
            status=escape(ticket.status),
            status_text=statuses.get(ticket.status) or escape(ticket.status),
            requester_cell=requester,
            made=when(ticket.created_at),
            updated=when(ticket.updated_at),
        )

    return mark_safe("".join(row(ticket) for ticket in tickets))  # noqa: S308 - escaped above


def _filter_query(form: HistoryFilterForm) -> dict[str, str]:
    """The valid filters as URL parameters, for paging links, the export and bookmarks."""
    if not form.is_bound:
        return {}
    return {
        name: str(form.data[name])
        for name in (*FILTER_PARAMETERS, "sort")
        if form.data.get(name) and name in form.fields and name not in form.errors
    }


@login_required
@never_cache
@require_GET
def ticket_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """My requests, or my organisation's for a brand administrator: filtered, searched, paged."""
    user = _history_viewer(request)
    administrator = sees_organisation_tickets(user)
    areas = _history_areas()
    form = _filter_form(request, user, areas)
    filters = form.filters()
    cursor = Cursor.decode(request.GET.get("after", "")) or Cursor.decode(
        request.GET.get("before", ""), before=True
    )
    page = ticket_history_page(user, filters, language=get_language() or "en", cursor=cursor)
    query = _filter_query(form)

    def page_url(target: Cursor | None) -> str:
        if target is None:
            return ""
        side = "before" if target.before else "after"
        return "?" + urlencode({**query, side: target.encode()})

    context: dict[str, Any] = {
        "form": form,
        "page": page,
        "rows": _history_rows(page.tickets, form.area_names, sees_organisation=administrator),
        "sees_organisation": administrator,
        "next_url": page_url(page.next_cursor),
        "previous_url": page_url(page.previous_cursor),
        "first_url": "?" + urlencode(query) if cursor is not None else "",
        "export_url": reverse("tickets:export") + ("?" + urlencode(query) if query else ""),
        "export_codes_url": reverse("tickets:export") + "?" + urlencode({**query, "codes": "1"}),
        "is_narrowed": form.is_narrowed,
        # A form with errors shows them and the values as typed: drawn every time.
        "filters_key": ""
        if form.errors
        else history_filters_key(user, get_language() or "", query.items()),
        "organisation": user.membership.organisation if administrator else None,
    }
    if request.htmx:
        return render(request, "tickets/ticket_list.html#results", context)
    return render(request, "tickets/ticket_list.html", context)


class _Echo:
    """A file-like object whose write returns the line, for csv.writer over a stream."""

    def write(self, value: str) -> str:
        return value


# A cell that a spreadsheet would run as a formula starts with one of these (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


@login_required
@never_cache
@require_GET
def ticket_export(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    """The filtered list as CSV for brand administrators, streamed row by row."""
    user = _history_viewer(request)
    if not sees_organisation_tickets(user):
        raise Http404
    areas = _history_areas()
    form = _filter_form(request, user, areas)
    if form.is_bound and not form.is_valid():
        # Never a file with different rows from those asked for: show the errors instead.
        return redirect(reverse("tickets:list") + "?" + request.GET.urlencode())
    rows = history_export_rows(user, form.filters(), language=get_language() or "en")
    # Labels in the reader's language by default; ?codes=1 keeps the stable codes for
    # spreadsheets that match on them, and the header says which columns hold codes.
    codes = request.GET.get("codes") == "1"
    zone = timezone.get_current_timezone()
    if codes:
        area_cells = {area.pk: area.slug for area in areas}
        channels: dict[str, str] = {}
        statuses: dict[str, str] = {}
        teams: dict[str, str] = {}
    else:
        area_cells = {area.pk: area.name for area in areas}
        channels = {value: str(label) for value, label in Channel.choices}
        statuses = {value: str(label) for value, label in Status.choices}
        teams = {value: str(label) for value, label in Team.choices}

    def coded(label: str) -> str:
        return _("%(column)s (code)") % {"column": label} if codes else label

    def language_cell(code: str) -> str:
        return code if codes else language_label(code)

    def local(moment: datetime) -> str:
        return moment.astimezone(zone).isoformat(timespec="seconds")

    def lines() -> Iterator[str]:
        writer = csv.writer(_Echo())
        # The byte-order mark makes spreadsheet programs read the file as UTF-8.
        yield "\ufeff" + writer.writerow(
            [
                _("Number"),
                _("Subject"),
                coded(_("Product area")),
                coded(_("Contact method")),
                coded(_("Status")),
                coded(_("Team")),
                coded(_("Language")),
                _("Requested by"),
                _("Made"),
                _("Last update"),
            ]
        )
        for number, subject, area_id, channel, status, team, language, email, made, updated in rows:
            yield writer.writerow(
                [
                    _cell(value)
                    for value in (
                        number,
                        subject,
                        area_cells.get(area_id or 0, ""),
                        channels.get(channel, channel),
                        statuses.get(status, status),
                        teams.get(team, team),
                        language_cell(language),
                        email,
                        local(made),
                        local(updated),
                    )
                ]
            )

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y-%m-%d")
    response["Content-Disposition"] = f'attachment; filename="requests-{stamp}.csv"'
    return response


# --- The ticket page ------------------------------------------------------------------------


def _ticket_context(
    request: AuthenticatedHttpRequest, ticket: Ticket, **extra: Any
) -> dict[str, Any]:
    is_requester = ticket.requester_id == request.user.pk
    events = ticket_timeline(ticket)
    context: dict[str, Any] = {
        "ticket": ticket,
        "labels": {
            name: choice_label(ticket, name) for name in ("status", "channel", "team", "language")
        },
        "area_name": ticket_area_name(ticket),
        "conference": ticket_conference(ticket),
        "queue": queue_status(ticket),
        "queue_poll_seconds": settings.TICKETS_QUEUE_POLL_SECONDS,
        "timeline": timeline_entries(ticket, events, viewer=request.user),
        "is_requester": is_requester,
        "can_comment": is_requester and ticket.status != Status.CLOSED,
        "can_close": is_requester and ticket.status != Status.CLOSED,
        "conversation": assistant_conversation(events),
        "attachments": ticket_files(ticket, events),
    }
    context.setdefault("comment_form", CommentForm())
    context.update(extra)
    return context


@login_required
@never_cache
@require_GET
def ticket_detail(request: AuthenticatedHttpRequest, number: str) -> HttpResponse:
    """A ticket's status, consents, the live queue place of a waiting callback, the timeline."""
    ticket = ticket_for_viewer(request.user, number)
    return render(request, "tickets/ticket_detail.html", _ticket_context(request, ticket))


@login_required
@never_cache
@require_GET
def ticket_queue(request: AuthenticatedHttpRequest, number: str) -> HttpResponse:
    """The place in the queue and the wait, for htmx polling; stops polling once taken."""
    ticket = ticket_for_viewer(request.user, number)
    status = queue_status(ticket)
    if not request.htmx:
        return redirect("tickets:detail", number=ticket.number)
    response = render(request, "tickets/_queue_status.html", {"queue": status, "ticket": ticket})
    if status is None:
        response.status_code = HTMX_STOP_POLLING
    return response


def _requester_ticket(request: AuthenticatedHttpRequest, number: str) -> Ticket:
    """The ticket, for its requester only: others who may read it still may not change it."""
    ticket = ticket_for_viewer(request.user, number)
    if ticket.requester_id != request.user.pk:
        raise Http404
    return ticket


@login_required
@require_POST
def ticket_comment_add(request: AuthenticatedHttpRequest, number: str) -> HttpResponse:
    ticket = _requester_ticket(request, number)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            ticket_comment(
                ticket=ticket,
                author=request.user,
                body=form.cleaned_data["body"],
                idempotency_key=form.cleaned_data["idempotency_key"],
            )
        except ValidationError as error:
            # Closed meanwhile (by another tab, or an agent): the page must say so, and the
            # form is gone from it.
            messages.error(request, " ".join(error.messages))
            return _back_to_ticket(request, ticket, anchor="activity")
        if not request.htmx:
            messages.success(request, _("Your comment was added to the request."))
            return _back_to_ticket(request, ticket, anchor="activity")
        ticket.refresh_from_db()
        form = CommentForm()
    context = _ticket_context(request, ticket, comment_form=form)
    if request.htmx:
        return render(request, "tickets/ticket_detail.html#activity", context)
    return render(request, "tickets/ticket_detail.html", context, status=200)


def _back_to_ticket(
    request: AuthenticatedHttpRequest, ticket: Ticket, *, anchor: str
) -> HttpResponse:
    url = reverse("tickets:detail", args=[ticket.number]) + f"#{anchor}"
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def ticket_close(request: AuthenticatedHttpRequest, number: str) -> HttpResponse:
    """A question page: close this request? Closing is final; a new request starts again."""
    ticket = _requester_ticket(request, number)
    if ticket.status == Status.CLOSED:
        messages.info(request, _("This request is already closed."))
        return redirect("tickets:detail", number=ticket.number)
    if request.method == "POST":
        try:
            ticket_transition(ticket=ticket, to=Status.CLOSED, actor=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Request %(number)s is closed.") % {"number": number})
        return redirect("tickets:detail", number=ticket.number)
    return render(request, "tickets/ticket_close.html", {"ticket": ticket})


@login_required
@require_POST
def ticket_account_access(request: AuthenticatedHttpRequest, number: str) -> HttpResponse:
    """The requester withdraws (or gives again) support's permission to log into the account."""
    ticket = _requester_ticket(request, number)
    form = AccountAccessForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose whether support may log into your account."))
    elif form.cleaned_data["allowed"] and not ticket.is_open:
        messages.error(request, _("This request is finished, so support needs no access now."))
    else:
        allowed = form.cleaned_data["allowed"]
        ticket_account_access_set(ticket=ticket, allowed=allowed, by=request.user)
        messages.success(
            request,
            _("Support may now log into your account for this request.")
            if allowed
            else _("Support may no longer log into your account for this request."),
        )
    return _back_to_ticket(request, ticket, anchor="permissions")


@never_cache
@require_GET
def attachment_download(request: HtmxHttpRequest, pk: int) -> FileResponse:
    """Always a download, never a page of our origin: sandboxed, no sniffing, known types."""
    attachment = attachment_for_viewer(request.user, pk)
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
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["Cache-Control"] = "private, no-store"
    return response


WAIT_REPORT_WEEKS = (4, 8, 13, 26)


@login_required
@never_cache
@require_GET
def wait_report(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Staff only: per callback queue and week, the waits quoted against the real ones."""
    if not request.user.is_staff:
        raise Http404
    try:
        weeks = int(request.GET.get("weeks", ""))
    except ValueError:
        weeks = WAIT_REPORT_WEEKS[1]
    if weeks not in WAIT_REPORT_WEEKS:
        weeks = WAIT_REPORT_WEEKS[1]
    until = timezone.now()
    context = {
        "rows": wait_accuracy(
            since=until - timedelta(weeks=weeks),
            until=until,
            zone=timezone.get_current_timezone(),
        ),
        "weeks": weeks,
        "week_choices": WAIT_REPORT_WEEKS,
    }
    return render(request, "tickets/wait_report.html", context)
