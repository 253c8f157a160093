"""The agents' admin (R-ADMIN): every change goes through tickets.services and its state machine."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from html import escape
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.options import InlineModelAdmin
from django.contrib.admin.views.main import ERROR_FLAG, PAGE_VAR, ChangeList
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import F, Field, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.formats import localize
from django.utils.functional import cached_property
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from hub.accounts.http import signed_in_user
from hub.accounts.models import LicenceTier, User
from hub.accounts.moments import moment_writer
from hub.accounts.selectors import active_agents, is_supervisor
from routing.models import ProductArea
from routing.selectors import agent_skills, product_area_names, product_areas_every
from routing.waits import duration_words
from tickets import (
    admin_inbound,  # noqa: F401  (registers the inbound-mail admin)
    services,
    states,
)
from tickets.forms import (
    ChoicePairs,
    PlainHiddenInput,
    PlainLabelRenderer,
    PlainTextarea,
    TemplateFreeSelect,
)
from tickets.labels import choice_labeller
from tickets.models import (
    CallbackRequest,
    Channel,
    ConferenceBooking,
    ServiceLevelTarget,
    Status,
    Team,
    Ticket,
)
from tickets.selectors import (
    QueueLine,
    breaches_by_queue_and_day,
    callback_queue_summary,
    callback_screen_context,
    changelist_filters_key,
    first_response_missed,
    resolution_missed,
    rows_estimated,
    service_level_due_soon,
    ticket_files,
    ticket_timeline,
)
from tickets.service_levels import ServiceLevelState, service_level_state
from tickets.sweeping import sweep_retry
from tickets.templatetags.admin_rows import page_writer
from tickets.timeline import timeline_entries
from tickets.verification import is_tsm, ticket_pass_to_enterprise

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise


class EstimatedCountPaginator(Paginator[Ticket]):
    """The planner's row estimate instead of counting a large table that is not filtered.

    The changelist counts its rows to draw the page links; on the whole tickets table that
    is a full scan on every page. Once the table is past ESTIMATE_FROM rows, the last page
    number is approximate, which the admin's page links tolerate."""

    ESTIMATE_FROM = 10_000

    @cached_property
    def count(self) -> int:
        rows = self.object_list
        if isinstance(rows, QuerySet) and not rows.query.where:
            estimate = rows_estimated(rows.model)
            if estimate is not None and estimate >= self.ESTIMATE_FROM:
                return estimate
        return super().count


def queue_summary_rows(lines: Sequence[QueueLine]) -> list[SafeString]:
    """The waiting callbacks' queues as table rows, written as the template's filters wrote
    them: when the oldest was queued, in the agent's words and zone (``moment``), and how
    long it has waited, in whole minutes as the customers' waits are written. Through the
    filters, a dozen lines cost about half a millisecond."""
    written = moment_writer("weekday short time")
    now = timezone.now()
    # The brackets are the translation's: Japanese writes them full width.
    since_and_wait = _("%(since)s (%(waited)s)")

    def oldest_cell(line: QueueLine) -> str:
        waited = duration_words(now - line.oldest)
        return since_and_wait % {"since": written(line.oldest), "waited": waited}

    return [
        mark_safe(
            f"<tr><td>{escape(line.language_label)}</td><td>{escape(line.area or '—')}</td>"
            f"<td>{escape(line.team_label)}</td><td>{escape(str(localize(line.waiting)))}</td>"
            f"<td>{escape(oldest_cell(line))}</td></tr>"
        )
        for line in lines
    ]


# The ticket list's columns, each written by a writer made once per page (``page_writer``):
# a page translates its words and looks up the agent's zone once, not on each of its 50 rows.
# The admin's methods of the same names write a single cell with them.


def action_checkbox_writer() -> Callable[[Ticket], SafeString]:
    """The row's checkbox, as Django draws it, without a widget template per row (a third of
    the page's time) and without format_html, which cost more than the rest of the cell."""
    label = _("Select this object for an action - {}")

    def action_checkbox(ticket: Ticket) -> SafeString:
        return mark_safe(
            f'<input type="checkbox" name="{helpers.ACTION_CHECKBOX_NAME}" '
            f'value="{ticket.pk}" class="action-select" '
            f'aria-label="{label.format(escape(str(ticket)))}">'
        )

    return action_checkbox


def service_level_writer(now: datetime) -> Callable[[Ticket], str]:
    """The due column at ``now``: the next target still to meet (or the resolution, once
    closed), in the agent's time zone, marked when it is near or missed."""
    first_response, resolution_due = _("First response"), _("Resolution")
    missed, due_soon = _("Target missed"), _("Due soon")
    write_moment = moment_writer("short time")

    def service_level(ticket: Ticket) -> str:
        first = service_level_state(
            due_at=ticket.first_response_due_at, done_at=ticket.first_responded_at, now=now
        )
        # As the filter counts it: an open ticket is timed now (a reopened one too), a
        # finished one by its solution, and one closed unsolved not at all.
        resolution = (
            service_level_state(
                due_at=ticket.resolution_due_at,
                done_at=None if ticket.is_open else ticket.solved_at,
                now=now,
            )
            if ticket.is_open or ticket.solved_at is not None
            else None
        )
        if ticket.is_open and ticket.first_responded_at is None and first is not None:
            label, due, state = first_response, ticket.first_response_due_at, first
        elif resolution is not None:
            label, due, state = resolution_due, ticket.resolution_due_at, resolution
        elif first is not None:
            label, due, state = first_response, ticket.first_response_due_at, first
        else:
            return "—"
        if ServiceLevelState.BREACHED in (first, resolution):
            state = ServiceLevelState.BREACHED
        # Written with the standard library's escape() (what Django's does, without its
        # check for lazy text) rather than format_html.
        when = (
            f'{escape(label)}<br><time datetime="{due.isoformat() if due else ""}">'
            f"{escape(write_moment(due))}</time>"
        )
        if state == ServiceLevelState.BREACHED:
            tag = missed
        elif state == ServiceLevelState.DUE_SOON:
            tag = due_soon
        else:
            return mark_safe(when)
        return mark_safe(
            f'{when}<br><strong class="service-level service-level-{state}">{escape(tag)}</strong>'
        )

    return service_level


def sweep_trouble(ticket: Ticket) -> str:
    """What went wrong with the ticket's automatic work, if anything."""
    if ticket.is_parked:
        return _("Parked as failed")
    if ticket.sweep_failures:
        return ngettext(
            "Failed %(count)d time, trying again",
            "Failed %(count)d times, trying again",
            ticket.sweep_failures,
        ) % {"count": ticket.sweep_failures}
    return ""


def status_and_work_writer() -> Callable[[Ticket], str]:
    """The ticket's status, with the automatic work's trouble under it."""
    status_label = choice_labeller(Ticket, "status")

    def status_and_work(ticket: Ticket) -> str:
        status = status_label(ticket)
        trouble = sweep_trouble(ticket)
        if not trouble:
            return status
        return mark_safe(
            f'{escape(status)}<br><span class="ticket-trouble">{escape(trouble)}</span>'
        )

    return status_and_work


def request_route_writer() -> Callable[[Ticket], str]:
    """The channel and language, and the product area under them."""
    channel_label = choice_labeller(Ticket, "channel")
    language_label = choice_labeller(Ticket, "language")
    area_names = product_area_names()

    def request_route(ticket: Ticket) -> str:
        route = f"{channel_label(ticket)} · {language_label(ticket)}"
        if ticket.product_area_id is None:
            return route
        area = area_names.get(ticket.product_area_id)
        if area is None:  # an area made since the shared configuration was read
            area = str(ticket.product_area)
        return mark_safe(f"{escape(route)}<br>{escape(area)}")

    return request_route


def created_writer() -> Callable[[Ticket], str]:
    """When the ticket was made, as the due column beside it writes its times (CLDR, the
    agent's zone). Django's own date format cost 20 µs a row, a third of the rows' drawing."""
    write_moment = moment_writer("year short time")

    def created(ticket: Ticket) -> str:
        return write_moment(ticket.created_at)

    return created


class ProductAreaFilter(admin.RelatedFieldListFilter):
    """Django's filter by area, its choices from routing's shared configuration: every area,
    in the areas' own order and named in the agent's language, with no query per page."""

    def field_choices(
        self, field: Field[Any, Any], request: HttpRequest, model_admin: Any
    ) -> list[tuple[str, str | _StrPromise]]:
        return [(str(area.pk), str(area)) for area in product_areas_every()]


class EnterpriseFilter(admin.SimpleListFilter):
    title = gettext_lazy("enterprise")
    parameter_name = "enterprise"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [
            ("yes", str(gettext_lazy("Enterprise"))),
            ("no", str(gettext_lazy("Not Enterprise"))),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Ticket]) -> QuerySet[Ticket]:
        enterprise = Q(team=Team.ENTERPRISE) | Q(organisation__licence_tier=LicenceTier.ENTERPRISE)
        if self.value() == "yes":
            return queryset.filter(enterprise)
        if self.value() == "no":
            return queryset.exclude(enterprise)
        return queryset


class VerifiedFilter(admin.SimpleListFilter):
    title = gettext_lazy("verification")
    parameter_name = "verified"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [
            ("waiting", str(gettext_lazy("Waiting for the customer"))),
            ("verified", str(gettext_lazy("Verified"))),
            ("not_needed", str(gettext_lazy("Not needed"))),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Ticket]) -> QuerySet[Ticket]:
        if self.value() == "waiting":
            return queryset.filter(verification_required=True, verified_at__isnull=True)
        if self.value() == "verified":
            return queryset.filter(verified_at__isnull=False)
        if self.value() == "not_needed":
            return queryset.filter(verification_required=False)
        return queryset


class SweepFilter(admin.SimpleListFilter):
    """Tickets whose automatic work (queueing, confirmation, handover) keeps failing."""

    title = gettext_lazy("automatic work")
    parameter_name = "sweep"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [
            ("parked", str(gettext_lazy("Parked as failed"))),
            ("retrying", str(gettext_lazy("Failed, trying again"))),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Ticket]) -> QuerySet[Ticket]:
        if self.value() == "parked":
            return queryset.filter(sweep_parked_at__isnull=False)
        if self.value() == "retrying":
            return queryset.filter(sweep_parked_at__isnull=True, sweep_failures__gt=0)
        return queryset


class ServiceLevelFilter(admin.SimpleListFilter):
    """Tickets that missed a target, or will within the hour."""

    title = gettext_lazy("service level")
    parameter_name = "service_level"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [
            ("breached", str(gettext_lazy("Target missed"))),
            ("due_soon", str(gettext_lazy("Due soon"))),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Ticket]) -> QuerySet[Ticket]:
        now = timezone.now()
        if self.value() == "breached":
            return queryset.filter(first_response_missed(now) | resolution_missed(now))
        if self.value() == "due_soon":
            return queryset.filter(service_level_due_soon(now))
        return queryset


class TicketAdminForm(forms.ModelForm[Ticket]):
    move_to = forms.ChoiceField(
        label=gettext_lazy("Change status to"), required=False, widget=TemplateFreeSelect
    )
    reply = forms.CharField(
        label=gettext_lazy("Reply to the customer"),
        required=False,
        widget=PlainTextarea(attrs={"rows": 5}),
        help_text=gettext_lazy("Emailed to the customer and added to the timeline."),
    )
    default_renderer = PlainLabelRenderer()

    class Meta:
        model = Ticket
        fields = ["assigned_to"]
        widgets = {"assigned_to": TemplateFreeSelect}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        current = self.instance.status if self.instance.pk else Status.NEW
        move_to: forms.ChoiceField = self.fields["move_to"]  # type: ignore[assignment]
        move_to.choices = [("", _("— keep “%s” —") % Status(current).label)] + [
            (value, label) for value, label in Status.choices if states.can_move(current, value)
        ]
        assigned_to: forms.ModelChoiceField[User] = self.fields["assigned_to"]  # type: ignore[assignment]
        # Validated against the queryset; offered from the list every process keeps built,
        # not by reading every agent's whole row with each page.
        assigned_to.queryset = User.objects.filter(is_staff=True, is_active=True)
        assigned_to.choices = ChoicePairs([("", assigned_to.empty_label), *active_agents()])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        ticket = self.instance
        changing = (
            cleaned.get("move_to")
            or (cleaned.get("reply") or "").strip()
            or "assigned_to" in self.changed_data
        )
        if ticket.pk and ticket.awaits_verification and changing:
            raise ValidationError(
                _("This ticket waits for the customer to verify it: no action can be taken yet.")
            )
        return cleaned


class TicketActionForm(helpers.ActionForm):
    """Django's action form, its two widgets drawn in Python (the same HTML): the changelist
    draws it on every page, and the stock select renders two templates per action."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Before the admin sets the actions as the select's choices, which reach its widget.
        self.fields["action"].widget = TemplateFreeSelect()
        hidden = self.fields["select_across"].widget
        self.fields["select_across"].widget = PlainHiddenInput(hidden.attrs)


class ConferenceBookingInline(admin.StackedInline[ConferenceBooking, Ticket]):
    model = ConferenceBooking
    extra = 0
    can_delete = False
    fields = ("starts_at", "host", "screen_sharing", "created_at")
    readonly_fields = fields
    verbose_name_plural = gettext_lazy("Conference call")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class TicketChangeList(ChangeList):
    """Django's list, each row with its organisation's name (``organisation_name``) rather
    than a whole organisation: the list shows nothing else of it, and building a model for
    each of the 50 rows' organisations and areas was about a third of reading them. Only
    the page's rows are read with it: counting them needs no organisation."""

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        rows: QuerySet[Ticket] = self.result_list
        self.result_list = rows.annotate(organisation_name=F("organisation__name"))


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin[Ticket]):
    form = TicketAdminForm
    change_list_template = "admin/tickets/ticket/change_list.html"
    change_form_template = "admin/tickets/ticket/change_form.html"
    # Nine columns that wrap, so the list fits 1280 px beside the filters: the channel,
    # language and area share one column, the automatic work's trouble sits under the status,
    # the next due time and its mark share the due column.
    list_display = [
        "number",
        "subject",
        "organisation_name",
        "status_and_work",
        "team",
        "request_route",
        "assigned_to",
        "service_level",
        "created",
    ]
    list_filter = [
        ServiceLevelFilter,
        SweepFilter,
        "status",
        "team",
        # Every area (a short table), not only those tickets use: that asked the whole
        # tickets table for its distinct areas on every page.
        ("product_area", ProductAreaFilter),
        "channel",
        "language",
        EnterpriseFilter,
        VerifiedFilter,
    ]
    search_fields = ["number", "requester__email", "contact_email", "subject"]
    # The area's name comes from routing's shared configuration (``request_route_writer``)
    # and the organisation's from the list's own query (``TicketChangeList``).
    list_select_related = ["assigned_to"]
    list_per_page = 50
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    # The timeline and the attachments are drawn by the change form's template, in sentences
    # and as a list (tickets/_timeline.html), not as inline tables of raw rows.
    inlines = [ConferenceBookingInline]
    readonly_fields = [
        "number",
        "status",
        "requester",
        "organisation",
        "team",
        "product_area",
        "channel",
        "language",
        "subject",
        "description",
        "number_to_call",
        "phone_extension",
        "contact_email",
        "account_access_allowed",
        "recording_consent",
        "queued_at",
        "callback_due_at",
        "handover_due_at",
        "handed_over_at",
        "verification_required",
        "verified_at",
        "first_response_due_at",
        "first_responded_at",
        "resolution_due_at",
        "solved_at",
        "created_at",
        "updated_at",
        "sweep_failures",
        "sweep_retry_at",
        "sweep_parked_at",
        "sweep_error",
    ]
    actions = ["sweep_try_again"]
    action_form = TicketActionForm
    fieldsets = [
        (None, {"fields": ["number", "status", "subject", "description"]}),
        (
            gettext_lazy("Customer"),
            {
                "fields": [
                    "requester",
                    "organisation",
                    "contact_email",
                    "number_to_call",
                    "phone_extension",
                ]
            },
        ),
        (
            gettext_lazy("Routing"),
            {
                "fields": [
                    "team",
                    "product_area",
                    "channel",
                    "language",
                    "queued_at",
                    "callback_due_at",
                    "handover_due_at",
                    "handed_over_at",
                ]
            },
        ),
        (
            gettext_lazy("Consents and verification"),
            {
                "fields": [
                    "account_access_allowed",
                    "recording_consent",
                    "verification_required",
                    "verified_at",
                ]
            },
        ),
        (
            gettext_lazy("Service level"),
            {
                "fields": [
                    "first_response_due_at",
                    "first_responded_at",
                    "resolution_due_at",
                    "solved_at",
                ]
            },
        ),
        (gettext_lazy("Work on it"), {"fields": ["assigned_to", "move_to", "reply"]}),
        (
            gettext_lazy("Automatic work"),
            {"fields": ["sweep_failures", "sweep_retry_at", "sweep_parked_at", "sweep_error"]},
        ),
        (None, {"fields": ["created_at", "updated_at"]}),
    ]

    @admin.display(description=gettext_lazy("phone number"))
    def number_to_call(self, ticket: Ticket) -> str:
        # The admin's dash, as its own fields show when empty (it leaves a method's "" blank).
        return ticket.phone_number_display or self.get_empty_value_display()

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return TicketChangeList

    @admin.display(
        description=Ticket._meta.get_field("organisation").verbose_name, ordering="organisation"
    )
    def organisation_name(self, ticket: Ticket) -> str:
        return str(ticket.organisation_name)  # type: ignore[attr-defined]  # TicketChangeList

    @admin.display(description=mark_safe('<input type="checkbox" id="action-toggle">'))
    @page_writer(action_checkbox_writer)
    def action_checkbox(self, obj: Ticket) -> SafeString:
        return action_checkbox_writer()(obj)

    @admin.display(description=gettext_lazy("status"), ordering="status")
    @page_writer(status_and_work_writer)
    def status_and_work(self, ticket: Ticket) -> str:
        return status_and_work_writer()(ticket)

    @admin.display(description=gettext_lazy("due"), ordering="resolution_due_at")
    @page_writer(lambda: service_level_writer(timezone.now()))
    def service_level(self, ticket: Ticket) -> str:
        return service_level_writer(timezone.now())(ticket)

    @admin.display(
        description=Ticket._meta.get_field("created_at").verbose_name, ordering="created_at"
    )
    @page_writer(created_writer)
    def created(self, ticket: Ticket) -> str:
        return created_writer()(ticket)

    @admin.display(description=gettext_lazy("channel, language and area"), ordering="channel")
    @page_writer(request_route_writer)
    def request_route(self, ticket: Ticket) -> str:
        return request_route_writer()(ticket)

    @admin.action(
        description=gettext_lazy("Try the failed automatic work again"), permissions=["change"]
    )
    def sweep_try_again(self, request: HttpRequest, queryset: QuerySet[Ticket]) -> None:
        count = sweep_retry(rows=queryset)
        messages.success(
            request,
            ngettext(
                "%(count)d ticket will be tried again at the next sweep.",
                "%(count)d tickets will be tried again at the next sweep.",
                count,
            )
            % {"count": count},
        )

    def get_object(
        self, request: HttpRequest, object_id: str, from_field: str | None = None
    ) -> Ticket | None:
        """Django's lookup, with the requester, the organisation and the product area the
        change page shows read in the same query rather than one query each.
        (``get_queryset`` is the list's too, which must not join the requester.)"""
        field = Ticket._meta.pk if from_field is None else Ticket._meta.get_field(from_field)
        if not isinstance(field, Field):
            return None
        queryset = self.get_queryset(request).select_related(
            "requester", "organisation", "product_area"
        )
        try:
            return queryset.get(**{field.name: field.to_python(object_id)})
        except (Ticket.DoesNotExist, ValidationError, ValueError):
            return None

    def get_inline_instances(
        self, request: HttpRequest, obj: Ticket | None = None
    ) -> list[InlineModelAdmin[Any, Any]]:
        # Only a conference ticket is ever booked (services.conference_book), and no ticket
        # becomes or stops being one later: any other would draw, and read, an empty inline.
        if obj is None or obj.channel != Channel.CONFERENCE:
            return []
        return super().get_inline_instances(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Tickets come from customers' forms, or from a TSM through "Pass to Enterprise".
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser

    def save_model(self, request: HttpRequest, obj: Ticket, form: Any, change: bool) -> None:
        """Nothing is written directly: assignment, replies and status go through services."""
        agent = signed_in_user(request)
        fresh = Ticket.objects.get(pk=obj.pk)
        try:
            if "assigned_to" in form.changed_data:
                services.ticket_assign(
                    ticket=fresh, agent=form.cleaned_data["assigned_to"], by=agent
                )
            reply = (form.cleaned_data.get("reply") or "").strip()
            target = form.cleaned_data.get("move_to") or None
            if reply:
                # One action, one email: the reply says where the ticket now stands.
                services.ticket_reply(ticket=fresh, agent=agent, body=reply, move_to=target)
            elif target:
                services.ticket_transition(ticket=fresh, to=target, actor=agent)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Ticket | None = None,
    ) -> HttpResponse:
        if obj is not None:
            # The timeline as the customer reads it, in the agent's language, with what only
            # the customer sees on their own ticket (a chat's messages) besides.
            events = ticket_timeline(obj)
            context["timeline"] = timeline_entries(
                obj, events, viewer=signed_in_user(request), private=True
            )
            context["attachments"] = ticket_files(obj, events)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_urls(self) -> list[URLPattern]:
        custom = [
            path(
                "take-next-callback/",
                self.admin_site.admin_view(self.take_next_callback),
                name="tickets_ticket_take_next_callback",
            ),
            path(
                "pass-to-enterprise/",
                self.admin_site.admin_view(self.pass_to_enterprise),
                name="tickets_ticket_pass_to_enterprise",
            ),
            path(
                "missed-targets/",
                self.admin_site.admin_view(self.service_level_report),
                name="tickets_ticket_missed_targets",
            ),
            path(
                "<int:ticket_id>/callback/",
                self.admin_site.admin_view(self.callback_screen),
                name="tickets_ticket_callback",
            ),
        ]
        return custom + super().get_urls()

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        extra_context = {
            **(extra_context or {}),
            "queue_rows": queue_summary_rows(callback_queue_summary()),
            # The page number aside: Django's filter links leave it out.
            "filters_key": changelist_filters_key(
                get_language(),
                (
                    (name, request.GET[name])
                    for name in request.GET
                    if name not in (PAGE_VAR, ERROR_FLAG)
                ),
            ),
            "can_pass_on": is_tsm(signed_in_user(request)),
            "can_plan_staffing": is_supervisor(signed_in_user(request)),
        }
        return super().changelist_view(request, extra_context)

    def take_next_callback(self, request: HttpRequest) -> HttpResponse:
        if request.method != "POST":
            return redirect("admin:tickets_ticket_changelist")
        return _take_next_callback(request)

    def callback_screen(self, request: HttpRequest, ticket_id: int) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        ticket = get_object_or_404(Ticket, pk=ticket_id)
        context = {
            **self.admin_site.each_context(request),
            **callback_screen_context(ticket),
            "opts": self.model._meta,
            "title": _("Callback for %(number)s") % {"number": ticket.number},
        }
        return TemplateResponse(request, "admin/tickets/ticket/callback.html", context)

    def service_level_report(self, request: HttpRequest) -> HttpResponse:
        """Missed targets per queue and day, in the agent's time zone."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        zone = ZoneInfo(timezone.get_current_timezone_name())
        now = timezone.now()
        form = MissedTargetsForm(request.GET or None, today=timezone.localdate(now, zone))
        start, end = form.days()
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "lines": breaches_by_queue_and_day(start=start, end=end, zone=zone, now=now),
            "start": start,
            "end": end,
            "opts": self.model._meta,
            "title": _("Missed service-level targets"),
        }
        return TemplateResponse(request, "admin/tickets/ticket/missed_targets.html", context)

    def pass_to_enterprise(self, request: HttpRequest) -> HttpResponse:
        if not is_tsm(signed_in_user(request)):
            raise PermissionDenied
        form = PassToEnterpriseForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                ticket = ticket_pass_to_enterprise(
                    tsm=signed_in_user(request),
                    customer=form.cleaned_data["customer"],
                    subject=form.cleaned_data["subject"],
                    question=form.cleaned_data["question"],
                    product_area=form.cleaned_data["product_area"],
                    thread_message_id=form.cleaned_data["thread_message_id"],
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(
                    request,
                    _(
                        "%(number)s was made. The customer has been emailed a Verify & Confirm "
                        "link; nothing can be done on the ticket until they use it."
                    )
                    % {"number": ticket.number},
                )
                return HttpResponseRedirect(
                    reverse("admin:tickets_ticket_change", args=[ticket.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "opts": self.model._meta,
            "title": _("Pass a customer’s question to Enterprise Support"),
        }
        return TemplateResponse(request, "admin/tickets/ticket/pass_to_enterprise.html", context)


class PassToEnterpriseForm(forms.Form):
    customer = forms.ModelChoiceField(
        label=gettext_lazy("Customer"),
        queryset=User.objects.filter(membership__isnull=False).order_by("email"),
        help_text=gettext_lazy("The member of a customer organisation who asked the question."),
    )
    subject = forms.CharField(
        label=gettext_lazy("Subject"),
        max_length=200,
        help_text=gettext_lazy(
            "The subject of your conversation with the customer: with its Message-ID, the "
            "Verify & Confirm email answers it as “Re: …”."
        ),
    )
    question = forms.CharField(label=gettext_lazy("The customer’s question"), widget=forms.Textarea)
    product_area = forms.ModelChoiceField(
        label=gettext_lazy("Product area"), queryset=ProductArea.objects.all(), required=False
    )
    thread_message_id = forms.CharField(
        label=gettext_lazy("Message-ID of your conversation"),
        required=False,
        max_length=250,
        help_text=gettext_lazy(
            "So the Verify & Confirm email arrives in the same thread, e.g. <abc@mail.example>."
        ),
    )


class MissedTargetsForm(forms.Form):
    """The days the report covers; the last fortnight unless the agent picks others."""

    DEFAULT_DAYS = 14
    MAX_DAYS = 366

    start = forms.DateField(
        label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=gettext_lazy("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        # The boxes show the days the report covers before the agent picks any.
        self.fields["start"].initial = today - timedelta(days=self.DEFAULT_DAYS - 1)
        self.fields["end"].initial = today

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and start > end:
            raise ValidationError(_("The first day must not be after the last."))
        if start and end and (end - start).days >= self.MAX_DAYS:
            raise ValidationError(_("Choose at most a year."))
        return cleaned

    def days(self) -> tuple[date, date]:
        """The chosen days, or the default fortnight when the choice is empty or invalid."""
        end = self.today
        start = end - timedelta(days=self.DEFAULT_DAYS - 1)
        if self.is_bound and self.is_valid():
            end = self.cleaned_data.get("end") or end
            start = self.cleaned_data.get("start") or end - timedelta(days=self.DEFAULT_DAYS - 1)
        return start, end


@require_POST
def _take_next_callback(request: HttpRequest) -> HttpResponse:
    agent = signed_in_user(request)
    skills = agent_skills(agent)
    if skills is None:
        messages.error(request, _("You are not on the support roster: ask an administrator."))
        return redirect("admin:tickets_ticket_changelist")
    callback = services.callback_take_next(
        agent=agent, languages=skills.languages, area_ids=skills.area_ids, teams=skills.teams
    )
    if callback is None:
        messages.info(request, _("No callback is waiting in your languages and areas."))
        return redirect("admin:tickets_ticket_changelist")
    return redirect("admin:tickets_ticket_callback", ticket_id=callback.ticket_id)


@admin.register(CallbackRequest)
class CallbackRequestAdmin(admin.ModelAdmin[CallbackRequest]):
    list_display = [
        "ticket",
        "language",
        "product_area",
        "team",
        "enqueued_at",
        "taken_at",
        "taken_by",
    ]
    list_filter = ["language", "team", ("product_area", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["ticket", "product_area", "taken_by"]
    readonly_fields = [
        "ticket",
        "language",
        "product_area",
        "team",
        "enqueued_at",
        "taken_at",
        "taken_by",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ServiceLevelTarget)
class ServiceLevelTargetAdmin(admin.ModelAdmin[ServiceLevelTarget]):
    list_display = [
        "licence_tier",
        "channel",
        "first_response_minutes",
        "resolution_minutes",
        "business_hours_only",
    ]
    list_editable = ["first_response_minutes", "resolution_minutes", "business_hours_only"]
    list_filter = ["licence_tier", "channel", "business_hours_only"]
