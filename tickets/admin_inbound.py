"""The agents' view of inbound mail (R-CONFIRM): what was kept aside, and attaching it.

Registered on import (`from tickets import admin_inbound` in tickets/admin.py).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from hub.accounts.http import signed_in_user
from tickets.inbound import inbound_email_attach
from tickets.models import InboundEmail, Status, Ticket

# The admin shows this much of a raw message; the rest stays in the database.
RAW_SHOWN = 100_000


class InboundEmailAdminForm(forms.ModelForm[InboundEmail]):
    attach_to = forms.CharField(
        label=_("Attach to ticket"),
        required=False,
        max_length=16,
        help_text=_(
            "A ticket number, e.g. CS-000123. The new text joins that ticket’s timeline as "
            "the requester’s reply."
        ),
    )

    class Meta:
        model = InboundEmail
        fields: list[str] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.ticket_id and self.instance.is_kept_aside:
            self.fields["attach_to"].initial = self.instance.ticket.number  # type: ignore[union-attr]

    def clean_attach_to(self) -> Ticket | None:
        number = (self.cleaned_data.get("attach_to") or "").strip().upper()
        if not number or number == "-":
            return None
        if not self.instance.is_kept_aside:
            raise ValidationError(_("This message is already on a ticket’s timeline."))
        if not self.instance.body.strip():
            raise ValidationError(_("This message has no text to add to a ticket."))
        if not number.startswith("CS-"):
            number = f"CS-{number}"
        ticket = Ticket.objects.filter(number=number).first()
        if ticket is None:
            raise ValidationError(_("There is no ticket %(number)s.") % {"number": number})
        if ticket.status == Status.CLOSED:
            raise ValidationError(
                _("%(number)s is closed: its timeline takes no more messages.")
                % {"number": ticket.number}
            )
        return ticket


@admin.register(InboundEmail)
class InboundEmailAdmin(admin.ModelAdmin[InboundEmail]):
    form = InboundEmailAdminForm
    list_display = ["received_at", "sender", "subject", "status", "reason", "ticket_link"]
    list_filter = ["status", "reason", "received_at"]
    search_fields = ["sender", "subject", "message_id", "ticket__number"]
    list_select_related = ["ticket"]
    list_per_page = 50
    show_full_result_count = False
    actions = ["attach_to_named_ticket"]
    readonly_fields = [
        "received_at",
        "sender",
        "recipients",
        "subject",
        "message_id",
        "status",
        "reason",
        "ticket_link",
        "event",
        "attached_by",
        "attached_at",
        "new_text",
        "raw_message",
    ]

    def get_fieldsets(self, request: HttpRequest, obj: InboundEmail | None = None) -> Any:
        fieldsets: list[tuple[Any, dict[str, list[str]]]] = [
            (None, {"fields": ["received_at", "sender", "recipients", "subject", "message_id"]}),
            (
                _("Where it went"),
                {
                    "fields": [
                        "status",
                        "reason",
                        "ticket_link",
                        "event",
                        "attached_by",
                        "attached_at",
                    ]
                },
            ),
            (_("Message"), {"fields": ["new_text", "raw_message"]}),
        ]
        if obj is not None and obj.is_kept_aside and self.has_change_permission(request, obj):
            fieldsets.insert(1, (_("Attach"), {"fields": ["attach_to"]}))
        return fieldsets

    def get_queryset(self, request: HttpRequest) -> QuerySet[InboundEmail]:
        return super().get_queryset(request).select_related("ticket", "event", "attached_by")

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Mail comes from the SMTP server only.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Kept-aside mail is a record of what arrived: only a superuser may remove it.
        return bool(getattr(request.user, "is_superuser", False))

    @admin.display(description=_("ticket"), ordering="ticket__number")
    def ticket_link(self, obj: InboundEmail) -> SafeString | str:
        if obj.ticket is None:
            return self.get_empty_value_display()
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:tickets_ticket_change", args=[obj.ticket_id]),
            obj.ticket.number,
        )

    @admin.display(description=_("new text"))
    def new_text(self, obj: InboundEmail) -> SafeString:
        return format_html("<pre>{}</pre>", obj.body or _("(none)"))

    @admin.display(description=_("raw message"))
    def raw_message(self, obj: InboundEmail) -> SafeString:
        shown = obj.raw[:RAW_SHOWN]
        if len(obj.raw) > RAW_SHOWN:
            shown += "\n…"
        return format_html("<pre>{}</pre>", shown)

    def save_model(self, request: HttpRequest, obj: InboundEmail, form: Any, change: bool) -> None:
        """Nothing is edited directly: attaching goes through tickets.inbound."""
        ticket = form.cleaned_data.get("attach_to")
        if ticket is None:
            return
        agent = signed_in_user(request)
        try:
            inbound_email_attach(inbound=obj, ticket=ticket, by=agent)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                _("The message was added to %(number)s’s timeline.") % {"number": ticket.number},
            )

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """No related objects are edited here."""

    @admin.action(
        description=_("Attach to the ticket their reply address names"),
        permissions=["change"],
    )
    def attach_to_named_ticket(
        self, request: HttpRequest, queryset: QuerySet[InboundEmail]
    ) -> None:
        agent = signed_in_user(request)
        attached, refused = 0, []
        for inbound in queryset.select_related("ticket"):
            if not inbound.is_kept_aside:
                continue
            if inbound.ticket is None:
                refused.append(
                    _("%(sender)s: no ticket is named; attach it from its page.")
                    % {"sender": inbound.sender or inbound.pk}
                )
                continue
            try:
                inbound_email_attach(inbound=inbound, ticket=inbound.ticket, by=agent)
            except ValidationError as error:
                refused.append(f"{inbound.sender or inbound.pk}: {' '.join(error.messages)}")
            else:
                attached += 1
        if attached:
            messages.success(
                request,
                ngettext_lazy(
                    "%(count)d message attached.", "%(count)d messages attached.", "count"
                )
                % {"count": attached},
            )
        for line in refused:
            messages.warning(request, line)
        if not attached and not refused:
            messages.info(request, _("Nothing to attach: the selected mail is on a timeline."))
