"""Tickets and their timelines (R-QUEUE, R-HISTORY)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from hub.models import Organisation
from routing.models import ProductArea


class Team(models.TextChoices):
    TECHNICAL = "technical", _("Technical support")
    ACCOUNT_SERVICES = "account_services", _("Account Services")
    ENTERPRISE = "enterprise", _("Enterprise Support")


class Channel(models.TextChoices):
    CHAT = "chat", _("Chat")
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone callback")
    CONFERENCE = "conference", _("Scheduled conference call")
    WEB = "web", _("Web form")


class Status(models.TextChoices):
    NEW = "new", _("New")
    QUEUED = "queued", _("Queued")
    IN_PROGRESS = "in_progress", _("In progress")
    WAITING_ON_CUSTOMER = "waiting_on_customer", _("Waiting on you")
    SOLVED = "solved", _("Solved")
    CLOSED = "closed", _("Closed")


OPEN_STATUSES = (Status.NEW, Status.QUEUED, Status.IN_PROGRESS, Status.WAITING_ON_CUSTOMER)


class TicketNumberAllocation(models.Model):
    """Issues ticket numbers on SQLite, which has no sequences (PostgreSQL uses one)."""

    class Meta:
        verbose_name = _("ticket number allocation")

    def __str__(self) -> str:
        return str(self.pk)


class Ticket(models.Model):
    number = models.CharField(_("number"), max_length=16, unique=True, editable=False)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="tickets",
        verbose_name=_("requester"),
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="tickets",
        verbose_name=_("organisation"),
    )
    team = models.CharField(_("team"), max_length=20, choices=Team.choices)
    product_area = models.ForeignKey(
        ProductArea,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("product area"),
    )
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    language = models.CharField(_("language"), max_length=8, choices=settings.SUPPORT_LANGUAGES)
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(
        _("status"), max_length=24, choices=Status.choices, default=Status.NEW
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("last update"), auto_now=True)
    confirmation_sent_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["organisation", "-created_at", "-id"], name="ticket_org_recent"),
            models.Index(
                fields=["requester", "-created_at", "-id"], name="ticket_requester_recent"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=Status.values), name="ticket_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(channel__in=Channel.values), name="ticket_channel_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(team__in=Team.values), name="ticket_team_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(number__regex=r"^CS-[0-9]{6,}$"), name="ticket_number_format"
            ),
            models.CheckConstraint(
                condition=~models.Q(subject=""), name="ticket_subject_not_empty"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number}: {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class EventKind(models.TextChoices):
    CREATED = "created", _("Created")
    QUEUED = "queued", _("Queued")
    POSITION_CHANGED = "position_changed", _("Queue position changed")
    CALLED_BACK = "called_back", _("Called back")
    EMAIL_SENT = "email_sent", _("Email sent")
    EMAIL_REPLY = "email_reply", _("Email reply")
    COMMENT = "comment", _("Comment")
    STATUS_CHANGED = "status_changed", _("Status changed")
    HANDOVER = "handover", _("Handed over")
    VERIFIED = "verified", _("Verified")


class TicketEvent(models.Model):
    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="events", verbose_name=_("ticket")
    )
    kind = models.CharField(_("kind"), max_length=24, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    message = models.TextField(_("message"), blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        verbose_name = _("timeline event")
        verbose_name_plural = _("timeline")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at", "id"], name="event_ticket_time")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=EventKind.values), name="event_kind_valid"
            )
        ]

    def __str__(self) -> str:
        return f"{self.ticket.number} {self.kind}"
