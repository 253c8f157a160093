"""Tickets and their timelines (R-QUEUE, R-HISTORY)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import PurePath

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from hub.accounts.models import LicenceTier, Organisation
from routing.erlang import WaitEstimate, WaitInputs
from routing.models import ProductArea
from routing.policy import Team as QueueTeam
from routing.waits import Wait
from tickets.phones import phone_number_display
from tickets.service_levels import TargetTerms


class Team(models.TextChoices):
    """The team a ticket is for. The flow's first question offers the first two; routing's
    queues (``routing.policy.Team``) call technical support "general"."""

    TECHNICAL = "technical", _("Technical support")
    ACCOUNT_SERVICES = "account_services", _("Account Services")
    ENTERPRISE = "enterprise", _("Enterprise Support")
    SUCCESS = "success", _("Technical Success")

    @classmethod
    def of_queue(cls, queue_team: QueueTeam | str | None) -> Team:
        """The ticket's team for a routing queue team (an offer's, an agent's). An offer
        names no team only when it cannot be taken; its request would be general support's."""
        if queue_team is None:
            return cls.TECHNICAL
        return _TEAM_OF_QUEUE[QueueTeam(queue_team)]

    @property
    def queue_team(self) -> QueueTeam:
        """The routing queue team that serves this team's tickets."""
        return _QUEUE_OF_TEAM[self]


# The one mapping between the two vocabularies: the names differ only for technical support.
_QUEUE_OF_TEAM: dict[Team, QueueTeam] = {
    Team.TECHNICAL: QueueTeam.GENERAL,
    Team.ENTERPRISE: QueueTeam.ENTERPRISE,
    Team.ACCOUNT_SERVICES: QueueTeam.ACCOUNT_SERVICES,
    Team.SUCCESS: QueueTeam.SUCCESS,
}
_TEAM_OF_QUEUE: dict[QueueTeam, Team] = {queue: team for team, queue in _QUEUE_OF_TEAM.items()}
# The teams whose callbacks and chats wait in routing's queues.
QUEUED_TEAMS = (Team.TECHNICAL, Team.ENTERPRISE)


class Channel(models.TextChoices):
    CHAT = "chat", _("Chat")
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone callback")
    CONFERENCE = "conference", _("Scheduled conference call")
    WEB = "web", _("Web form")


class SuccessCheckTime(models.TextChoices):
    """When in the day a customer would like their Success Check, in their time zone."""

    MORNING = "morning", _("Mornings")
    AFTERNOON = "afternoon", _("Afternoons")
    ANY = "any", _("Any time of day")


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


class SweptRow(models.Model):
    """A row whose work a beat sweep does (send, queue, hand over, end), one row at a time.

    A failure is counted on the row and tried again later, further apart each time; after
    ``SWEEP_MAX_FAILURES`` the row is parked with its error for an agent to look at, and
    the sweeps pass it by. One bad row never holds up the others.
    """

    sweep_failures = models.PositiveSmallIntegerField(
        _("failed attempts"), default=0, editable=False
    )
    sweep_retry_at = models.DateTimeField(_("next attempt"), null=True, blank=True, editable=False)
    sweep_parked_at = models.DateTimeField(
        _("parked as failed"), null=True, blank=True, editable=False
    )
    sweep_error = models.TextField(_("last error"), blank=True, editable=False)

    class Meta:
        abstract = True

    @property
    def is_parked(self) -> bool:
        return self.sweep_parked_at is not None


class Ticket(SweptRow):
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
    # One key per form render: a retried or double-clicked submit returns the first ticket.
    idempotency_key = models.CharField(max_length=64, null=True, blank=True, editable=False)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_tickets",
        verbose_name=_("assigned to"),
        limit_choices_to={"is_staff": True},
    )
    # Phone callbacks (R-PHONE).
    phone_number = models.CharField(_("phone number"), max_length=20, blank=True)
    phone_extension = models.CharField(_("extension"), max_length=10, blank=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
    account_access_allowed = models.BooleanField(_("may log into the account"), default=False)
    account_access_changed_at = models.DateTimeField(null=True, blank=True)
    recording_consent = models.BooleanField(_("call may be recorded"), null=True, blank=True)
    recording_consent_at = models.DateTimeField(null=True, blank=True)
    # Work for later is a row that beat sweeps (never a long countdown on the broker).
    callback_due_at = models.DateTimeField(
        _("callback due"),
        null=True,
        blank=True,
        help_text=_("A callback in a language outside its hours joins the queue at this time."),
    )
    queued_at = models.DateTimeField(_("queued"), null=True, blank=True)
    handover_due_at = models.DateTimeField(_("handover due"), null=True, blank=True)
    handed_over_at = models.DateTimeField(_("handed over"), null=True, blank=True)
    # R-VERIFY: a ticket a TSM passed on waits for the customer's Verify & Confirm.
    verification_required = models.BooleanField(
        _("needs the customer's verification"), default=False
    )
    verified_at = models.DateTimeField(_("verified"), null=True, blank=True)
    solved_at = models.DateTimeField(_("solved"), null=True, blank=True)
    # Service levels: due times worked out from the targets when the ticket is made
    # (tickets.service_levels), and the moment an agent first answered or took it.
    first_response_due_at = models.DateTimeField(
        _("first response due"), null=True, blank=True, editable=False
    )
    resolution_due_at = models.DateTimeField(
        _("resolution due"), null=True, blank=True, editable=False
    )
    first_responded_at = models.DateTimeField(
        _("first response"), null=True, blank=True, editable=False
    )
    # R-HISTORY search: subject, description and the timeline's messages, kept current by
    # tickets.search on PostgreSQL (GIN-indexed there); unused on SQLite.
    search_document = SearchVectorField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["-created_at", "-id"]
        # The history list pages by keyset on (created_at, id) or (updated_at, id), within an
        # organisation (brand administrators) or a requester (everyone else).
        indexes = [
            models.Index(fields=["organisation", "-created_at", "-id"], name="ticket_org_recent"),
            models.Index(
                fields=["requester", "-created_at", "-id"], name="ticket_requester_recent"
            ),
            models.Index(fields=["organisation", "-updated_at", "-id"], name="ticket_org_updated"),
            models.Index(
                fields=["requester", "-updated_at", "-id"], name="ticket_requester_updated"
            ),
            # The history counts what its filters find (up to HISTORY_COUNT_CAP) from this
            # index alone, never the table: every column a filter or the visibility rule
            # reads is in it.
            models.Index(
                fields=[
                    "organisation",
                    "status",
                    "channel",
                    "product_area",
                    "created_at",
                    "requester",
                    "verification_required",
                    "verified_at",
                ],
                name="ticket_org_filters",
            ),
            # /healthz counts parked rows on every probe; the admin filters on them.
            models.Index(
                fields=["sweep_parked_at"],
                condition=models.Q(sweep_parked_at__isnull=False),
                name="ticket_parked",
            ),
            # A worker that is behind queues the phone tickets still waiting for their place
            # (tickets.services.callback_enqueue): a handful of rows, whatever the table's size.
            # The outbox sweep looks for the same rows, and for QUEUED ones never queued (a
            # chat switched to a later callback).
            models.Index(
                fields=["created_at", "id"],
                condition=models.Q(
                    channel="phone", status__in=["new", "queued"], queued_at__isnull=True
                ),
                name="ticket_phone_not_queued",
            ),
            # Requests whose confirmation is still to write: the worker's emailed ones
            # (tickets.services.waiting_confirmations_send) and every channel's for the
            # outbox sweep every half minute (tickets.services.outbox_sweep). Chats are never
            # confirmed by email, so they stay out of it. A handful of rows, whatever the
            # table's size.
            models.Index(
                fields=["created_at", "id"],
                condition=models.Q(confirmation_sent_at__isnull=True) & ~models.Q(channel="chat"),
                name="ticket_unconfirmed",
            ),
            # The outbox sweep's Enterprise handovers not yet made.
            models.Index(
                fields=["handover_due_at"],
                condition=models.Q(handover_due_at__isnull=False, handed_over_at__isnull=True),
                name="ticket_handover_due",
            ),
            # The queue statistics count the chats opened in the arrival window every few
            # seconds: read by channel, the window's other requests are never read.
            models.Index(fields=["channel", "created_at"], name="ticket_channel_created"),
            # The queue statistics read the latest solved callbacks and chats.
            models.Index(
                fields=["channel", "-solved_at"],
                condition=models.Q(solved_at__isnull=False),
                name="ticket_solved_by_channel",
            ),
            # The breach report reads tickets by the day their targets fell due.
            models.Index(fields=["first_response_due_at"], name="ticket_first_response_due"),
            models.Index(fields=["resolution_due_at"], name="ticket_resolution_due"),
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
            models.UniqueConstraint(
                fields=["requester", "idempotency_key"],
                condition=models.Q(idempotency_key__isnull=False),
                name="ticket_idempotency_key_unique",
            ),
            models.CheckConstraint(
                condition=~models.Q(channel="phone") | ~models.Q(phone_number=""),
                name="phone_ticket_has_a_number",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number}: {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def awaits_verification(self) -> bool:
        return self.verification_required and self.verified_at is None

    @property
    def queue_team(self) -> QueueTeam:
        """The routing queue team whose queue this ticket's callback or chat joins."""
        return Team(self.team).queue_team

    @property
    def phone_number_display(self) -> str:
        """The number to call as people read it: +39 06 1234 5678, not +390612345678."""
        return phone_number_display(self.phone_number) if self.phone_number else ""


class ServiceLevelTarget(models.Model):
    """How soon a ticket of a licence tier and channel must be answered and solved.

    Operations edit these in the admin; a ticket takes its due times from them when it is
    made (a change applies to tickets made afterwards).
    """

    licence_tier = models.CharField(_("licence"), max_length=20, choices=LicenceTier.choices)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    first_response_minutes = models.PositiveIntegerField(
        _("first response within (minutes)"),
        validators=[MinValueValidator(1)],
    )
    resolution_minutes = models.PositiveIntegerField(
        _("resolution within (minutes)"),
        validators=[MinValueValidator(1)],
    )
    business_hours_only = models.BooleanField(
        _("business hours only"),
        default=False,
        help_text=_(
            "Count only the hours the ticket’s queue is staffed (its channel’s and "
            "language’s service hours), in their own time zones."
        ),
    )

    class Meta:
        verbose_name = _("service-level target")
        verbose_name_plural = _("service-level targets")
        ordering = ["licence_tier", "channel"]
        constraints = [
            models.UniqueConstraint(
                fields=["licence_tier", "channel"], name="one_target_per_licence_and_channel"
            ),
            models.CheckConstraint(
                condition=models.Q(resolution_minutes__gte=models.F("first_response_minutes")),
                name="target_resolution_after_first_response",
                violation_error_message=_(
                    "The resolution target cannot be shorter than the first response target."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_licence_tier_display()} · {self.get_channel_display()}"

    @property
    def terms(self) -> TargetTerms:
        return TargetTerms(
            first_response=timedelta(minutes=self.first_response_minutes),
            resolution=timedelta(minutes=self.resolution_minutes),
            business_hours_only=self.business_hours_only,
        )


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
    CHAT_ACCEPTED = "chat_accepted", _("Chat taken by an agent")
    CHAT_MESSAGE = "chat_message", _("Chat message")
    CHAT_ENDED = "chat_ended", _("Chat ended")
    CHANNEL_CHANGED = "channel_changed", _("Contact method changed")


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


class CallbackRequest(models.Model):
    """A phone ticket's place in its callback queue (language × product area × team)."""

    ticket = models.OneToOneField(
        Ticket, on_delete=models.CASCADE, related_name="callback", verbose_name=_("ticket")
    )
    language = models.CharField(_("language"), max_length=8, choices=settings.SUPPORT_LANGUAGES)
    product_area = models.ForeignKey(
        ProductArea,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("product area"),
    )
    team = models.CharField(_("team"), max_length=20)
    enqueued_at = models.DateTimeField(_("in the queue since"), db_index=True)
    taken_at = models.DateTimeField(_("taken"), null=True, blank=True)
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("taken by"),
    )

    class Meta:
        verbose_name = _("callback")
        verbose_name_plural = _("callback queue")
        ordering = ["enqueued_at", "id"]
        indexes = [
            models.Index(
                fields=["language", "product_area", "team", "enqueued_at"],
                condition=models.Q(taken_at__isnull=True),
                name="callback_waiting",
            )
        ]

    def __str__(self) -> str:
        return f"{self.ticket.number} ({self.language}, {self.team})"

    @property
    def is_waiting(self) -> bool:
        return self.taken_at is None


class WaitQuote(models.Model):
    """The callback wait a customer was quoted when they asked, what it was worked out from,
    and the wait that followed: so that every figure can be checked against what happened."""

    ticket = models.OneToOneField(
        Ticket, on_delete=models.CASCADE, related_name="wait_quote", verbose_name=_("ticket")
    )
    # The queue quoted for (a later change of language does not move the quote).
    language = models.CharField(_("language"), max_length=8, choices=settings.SUPPORT_LANGUAGES)
    product_area = models.ForeignKey(
        ProductArea,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("product area"),
    )
    team = models.CharField(_("team"), max_length=20)
    quoted_at = models.DateTimeField(_("quoted"))
    expected_seconds = models.FloatField(_("quoted wait (seconds)"))
    low_seconds = models.FloatField(_("quoted median (seconds)"))
    high_seconds = models.FloatField(_("quoted 90th percentile (seconds)"))
    # The model's inputs.
    agents = models.PositiveIntegerField(_("agents on shift"))
    arrivals_per_hour = models.FloatField(_("arrivals per hour"))
    handle_seconds = models.FloatField(_("mean handle time (seconds)"))
    position = models.PositiveIntegerField(_("place in the queue"))
    taken_at = models.DateTimeField(_("taken"), null=True, blank=True)
    actual_seconds = models.FloatField(_("actual wait (seconds)"), null=True, blank=True)

    class Meta:
        verbose_name = _("wait quote")
        verbose_name_plural = _("wait quotes")
        ordering = ["-quoted_at", "-id"]
        # The report reads the quotes of a few weeks, queue by queue.
        indexes = [models.Index(fields=["quoted_at"], name="wait_quote_time")]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.expected_seconds:.0f}s"

    @property
    def inputs(self) -> WaitInputs:
        return WaitInputs(
            agents=self.agents,
            arrivals_per_hour=self.arrivals_per_hour,
            handle_seconds=self.handle_seconds,
            position=self.position,
            effective_handle_seconds=self.handle_seconds,
        )

    def as_wait(self) -> Wait | None:
        """The wait as the form showed it."""
        return Wait.of(
            WaitEstimate(
                self.expected_seconds, self.low_seconds, self.high_seconds, 1.0, self.inputs
            )
        )

    @property
    def is_inside_range(self) -> bool | None:
        """Whether the real wait fell inside the quoted range (read in whole minutes)."""
        if self.actual_seconds is None:
            return None
        return self.low_seconds - 30 <= self.actual_seconds <= self.high_seconds + 30


class VerificationLink(models.Model):
    """R-VERIFY: the Verify & Confirm link of a ticket a TSM passed to Enterprise Support.

    The emailed token is signed and expires; this row makes it single-use.
    """

    ticket = models.ForeignKey(
        Ticket,
        on_delete=models.CASCADE,
        related_name="verification_links",
        verbose_name=_("ticket"),
    )
    nonce = models.CharField(max_length=32, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("passed on by"),
    )
    thread_message_id = models.CharField(_("thread Message-ID"), max_length=250, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("Verify & Confirm link")
        verbose_name_plural = _("Verify & Confirm links")

    def __str__(self) -> str:
        return f"{self.ticket.number} ({self.created_at:%Y-%m-%d})"


class InboundStatus(models.TextChoices):
    ATTACHED = "attached", _("Attached to a ticket")
    KEPT_ASIDE = "kept_aside", _("Kept aside")


class InboundReason(models.TextChoices):
    NO_TOKEN = "no_token", _("No ticket reply address or thread")
    FORGED_TOKEN = "forged_token", _("Forged or damaged reply token")
    UNKNOWN_SENDER = "unknown_sender", _("Sender is not the ticket’s requester")
    TICKET_CLOSED = "ticket_closed", _("Ticket is closed")
    EMPTY = "empty", _("No new text")
    AUTO_REPLY = "auto_reply", _("Automatic reply (out of office, bounce)")
    UNPARSEABLE = "unparseable", _("Message could not be read")


class InboundEmail(models.Model):
    """A message that arrived at the reply domain (R-CONFIRM): attached, or kept for an agent.

    Nothing that reached the inbound server is dropped: mail that cannot be attached stays
    here with its reason until an agent attaches it or leaves it.
    """

    # Unique: the same message delivered twice is stored, and attached, once.
    message_id = models.CharField(
        _("Message-ID"), max_length=998, unique=True, null=True, blank=True
    )
    sender = models.CharField(_("from"), max_length=320, blank=True)
    recipients = models.TextField(_("to"), blank=True)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    body = models.TextField(_("new text"), blank=True)
    raw = models.TextField(_("raw message"))
    received_at = models.DateTimeField(_("received"), auto_now_add=True, db_index=True)
    ticket = models.ForeignKey(
        Ticket,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="inbound_emails",
        verbose_name=_("ticket"),
    )
    status = models.CharField(_("status"), max_length=16, choices=InboundStatus.choices)
    reason = models.CharField(
        _("kept aside because"), max_length=16, choices=InboundReason.choices, blank=True
    )
    event = models.ForeignKey(
        TicketEvent,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("timeline entry"),
    )
    attached_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("attached by"),
    )
    attached_at = models.DateTimeField(_("attached"), null=True, blank=True)

    class Meta:
        verbose_name = _("inbound email")
        verbose_name_plural = _("inbound email")
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["status", "-received_at"], name="inbound_status_recent"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=InboundStatus.values), name="inbound_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(reason__in=[*InboundReason.values, ""]),
                name="inbound_reason_valid",
            ),
            # Mail kept aside always says why.
            models.CheckConstraint(
                condition=models.Q(status=InboundStatus.ATTACHED) | ~models.Q(reason=""),
                name="inbound_kept_aside_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sender or '?'}: {self.subject or _('(no subject)')}"

    @property
    def is_kept_aside(self) -> bool:
        return self.status == InboundStatus.KEPT_ASIDE


# --- Attachments and conference calls ------------------------

ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
ATTACHMENT_MAX_FILES = 3


def attachment_upload_to(instance: Attachment, filename: str) -> str:
    """A random name under attachments/: the customer's file name never reaches the disk."""
    suffix = PurePath(filename).suffix.lower()[:8]
    return f"attachments/{uuid.uuid4().hex}{suffix}"


class Attachment(models.Model):
    """A file a customer sent with a request; served back only as a download."""

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("ticket")
    )
    file = models.FileField(_("file"), upload_to=attachment_upload_to, max_length=200)
    original_name = models.CharField(_("file name"), max_length=255)
    # Worked out from the file's extension and content, never taken from the browser.
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["uploaded_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(size__gt=0, size__lte=ATTACHMENT_MAX_BYTES),
                name="attachment_size_within_limit",
            ),
        ]

    def __str__(self) -> str:
        return self.original_name


class ConferenceBooking(models.Model):
    """A scheduled conference call: one Enterprise specialist, one 30-minute slot.

    The unique (host, starts_at) pair is what makes a slot impossible to book twice: two
    customers pressing "Book" at once both try to insert, and the database lets one in.
    """

    ticket = models.OneToOneField(
        Ticket, on_delete=models.CASCADE, related_name="conference", verbose_name=_("ticket")
    )
    starts_at = models.DateTimeField(_("starts"), db_index=True)
    host = models.ForeignKey(
        "routing.Agent",
        on_delete=models.PROTECT,
        related_name="conference_bookings",
        verbose_name=_("specialist"),
    )
    screen_sharing = models.BooleanField(_("screen sharing"), default=False)
    created_at = models.DateTimeField(_("booked"), auto_now_add=True)

    class Meta:
        verbose_name = _("conference call")
        verbose_name_plural = _("conference calls")
        ordering = ["starts_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["host", "starts_at"], name="conference_host_booked_once_per_slot"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket.number} {self.starts_at:%Y-%m-%d %H:%M} UTC"


# --- Live chat -------------------------------------------------------------------

CHAT_MESSAGE_MAX_CHARS = 4000


class ChatEndReason(models.TextChoices):
    CUSTOMER = "customer", _("The customer ended the chat")
    AGENT = "agent", _("The agent ended the chat")
    IDLE = "idle", _("Ended after a long silence")
    SWITCHED_TO_EMAIL = "email", _("Switched to email")
    SWITCHED_TO_PHONE = "phone", _("Switched to a phone callback")
    ABANDONED = "abandoned", _("The customer left before an agent answered")


class ChatSession(SweptRow):
    """A live chat: a chat-channel ticket while a customer and an agent write to each other.

    Waiting while ``accepted_at`` is empty, active until ``ended_at``. The messages live in
    ``ChatMessage`` while the chat runs; when it ends they are written into the ticket's
    timeline (``transcript_written_at``).
    """

    ticket = models.OneToOneField(
        Ticket, on_delete=models.CASCADE, related_name="chat", verbose_name=_("ticket")
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("agent"),
    )
    created_at = models.DateTimeField(_("started"), auto_now_add=True)
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ended by"),
    )
    end_reason = models.CharField(
        _("how it ended"), max_length=16, choices=ChatEndReason.choices, blank=True
    )
    last_message_at = models.DateTimeField(_("last message"), null=True, blank=True)
    # When the customer's page last asked for messages (kept to within a few seconds).
    customer_seen_at = models.DateTimeField(_("customer last seen"), null=True, blank=True)
    transcript_written_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("chat")
        verbose_name_plural = _("chats")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=models.Q(accepted_at__isnull=True, ended_at__isnull=True),
                name="chat_waiting",
            ),
            models.Index(
                fields=["agent", "accepted_at"],
                condition=models.Q(ended_at__isnull=True),
                name="chat_agent_active",
            ),
            models.Index(
                fields=["sweep_parked_at"],
                condition=models.Q(sweep_parked_at__isnull=False),
                name="chat_parked",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(accepted_at__isnull=True) | models.Q(agent__isnull=False),
                name="chat_accepted_has_an_agent",
            ),
            models.CheckConstraint(
                condition=models.Q(ended_at__isnull=True) | ~models.Q(end_reason=""),
                name="chat_ended_says_why",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket.number} chat"

    @property
    def is_waiting(self) -> bool:
        return self.accepted_at is None and self.ended_at is None

    @property
    def is_active(self) -> bool:
        return self.accepted_at is not None and self.ended_at is None

    @property
    def has_ended(self) -> bool:
        return self.ended_at is not None

    @property
    def state(self) -> str:
        """waiting, active or ended: what the pages compare to know they must redraw."""
        if self.ended_at is not None:
            return "ended"
        return "waiting" if self.accepted_at is None else "active"


class ChatMessageKind(models.TextChoices):
    MESSAGE = "message", _("Message")
    JOINED = "joined", _("An agent joined")
    ENDED = "ended", _("The chat ended")


class ChatMessage(models.Model):
    """One line of a chat. Ids grow in commit order within a chat (sends lock the chat), so a
    page that has seen id N asks for the ones after N and misses none."""

    session = models.ForeignKey(
        ChatSession, on_delete=models.CASCADE, related_name="messages", verbose_name=_("chat")
    )
    kind = models.CharField(
        _("kind"), max_length=16, choices=ChatMessageKind.choices, default=ChatMessageKind.MESSAGE
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("author"),
    )
    by_staff = models.BooleanField(_("from support"), default=False)
    body = models.TextField(_("message"), blank=True)
    # One key per composed message: a retried POST makes one message.
    client_key = models.CharField(max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(_("sent"), auto_now_add=True)

    class Meta:
        verbose_name = _("chat message")
        verbose_name_plural = _("chat messages")
        ordering = ["id"]
        indexes = [models.Index(fields=["session", "id"], name="chat_message_after")]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "client_key"],
                condition=~models.Q(client_key=""),
                name="chat_message_sent_once",
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=ChatMessageKind.values), name="chat_message_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.session_id}#{self.pk}"


class ChatPresence(models.Model):
    """An agent's switch in the chat console, kept alive by the console's heartbeat."""

    agent = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="chat_presence",
        verbose_name=_("agent"),
    )
    available = models.BooleanField(_("available for chat"), default=False)
    seen_at = models.DateTimeField(_("console last seen"))
    changed_at = models.DateTimeField(_("switched"))

    class Meta:
        verbose_name = _("chat presence")
        verbose_name_plural = _("chat presence")

    def __str__(self) -> str:
        return str(self.agent)


class ChatTranscriptRequest(SweptRow):
    """The customer asked for the transcript by email: one email per request key."""

    session = models.ForeignKey(
        ChatSession, on_delete=models.CASCADE, related_name="transcript_requests"
    )
    key = models.CharField(max_length=64)
    requested_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("transcript request")
        verbose_name_plural = _("transcript requests")
        indexes = [
            models.Index(
                fields=["sweep_parked_at"],
                condition=models.Q(sweep_parked_at__isnull=False),
                name="chat_transcript_parked",
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["session", "key"], name="chat_transcript_once_per_key")
        ]

    def __str__(self) -> str:
        return f"{self.session_id}: {self.key}"


# --- The queues as measured a moment ago ------------------------------------------------------


class QueueStatistic(models.Model):
    """One queue's slow-moving figures, recomputed by beat every few seconds
    (``tickets.queues.queue_statistics_refresh``) so that no page reads the tickets for them.

    A row per (method, routing team, language, product area) that had arrivals or finished
    requests lately, and a row per (method, team) with ``language`` empty for the whole team:
    arrivals in the arrival window before ``computed_at``, and the number and total seconds
    of the handle samples of the handle-time history (longer ones left out).
    """

    method = models.CharField(max_length=8)
    team = models.CharField(max_length=20)
    # Empty: every language and area of the team.
    language = models.CharField(max_length=8, blank=True)
    product_area = models.ForeignKey(
        ProductArea, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    arrivals = models.PositiveIntegerField(default=0)
    handled = models.PositiveIntegerField(default=0)
    handle_seconds = models.FloatField(default=0.0)
    computed_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["product_area", "language"], name="queue_statistic_area"),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.team} {self.language or '*'} {self.product_area_id}"
