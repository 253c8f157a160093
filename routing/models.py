"""Routing data that operations edit in the admin: product areas (R-AREA)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import time
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from hub.accounts.models import validate_time_zone
from routing.hours import WeeklyWindow
from routing.languages import support_language_codes

AREA_PICTURE_DIR = "img/areas"


def area_picture_choices() -> list[tuple[str, str]]:
    """The pictures shipped in static/img/areas, offered in the admin."""
    folder = Path(settings.BASE_DIR) / "static" / AREA_PICTURE_DIR
    return [
        (f"{AREA_PICTURE_DIR}/{p.name}", p.stem)
        for p in sorted(folder.glob("*"))
        if p.suffix in {".svg", ".png", ".webp", ".jpg"}
    ]


class ProductArea(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    description = models.TextField(_("description"))
    picture = models.CharField(
        _("picture"),
        max_length=200,
        choices=area_picture_choices,
        help_text=_("A picture shipped with the hub, under static/img/areas."),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)
    redirects_to_discover = models.BooleanField(
        _("redirect to the Discover team"),
        default=False,
        help_text=_("Requests for this area go to a separate team; no ticket is made here."),
    )
    chat_languages = models.JSONField(
        _("chat languages"),
        default=list,
        blank=True,
        help_text=_('Language codes chat is offered in for this area, e.g. ["en", "es"].'),
    )
    conference_call_eligible = models.BooleanField(_("conference calls offered"), default=False)
    enterprise_phone = models.BooleanField(
        _("Enterprise team answers the phone"),
        default=False,
        help_text=_("Seat holders' phone callbacks for this area go to the Enterprise team."),
    )

    class Meta:
        verbose_name = _("product area")
        verbose_name_plural = _("product areas")
        ordering = ["order", "name"]

    def __str__(self) -> str:
        """Its name in the current language: an agent's lists, filters and forms show it
        as the customer's pages do."""
        return self.localized_name

    def _translation(self) -> ProductAreaTranslation | None:
        language = (get_language() or settings.LANGUAGE_CODE).split("-")[0]
        for translation in self._translations():
            if translation.language == language:
                return translation
        return None

    def _translations(self) -> Iterable[ProductAreaTranslation]:
        """The prefetched translations when the selector loaded them. An area read on its
        own (a ticket's, an admin row's) borrows those of the process's shared copy of
        the areas (routing.configuration): a page of fifty tickets would otherwise read
        them fifty times."""
        if self.pk is None or "translations" in getattr(self, "_prefetched_objects_cache", {}):
            return self.translations.all() if self.pk is not None else ()
        from routing.configuration import current_configuration  # noqa: PLC0415 - it reads these models

        for shared in current_configuration().every_area:
            if shared.pk == self.pk:
                return shared.translations.all()
        return self.translations.all()

    @property
    def localized_name(self) -> str:
        translation = self._translation()
        return translation.name if translation else self.name

    @property
    def localized_description(self) -> str:
        translation = self._translation()
        return translation.description if translation else self.description


class ProductAreaTranslation(models.Model):
    area = models.ForeignKey(
        ProductArea, on_delete=models.CASCADE, related_name="translations", verbose_name=_("area")
    )
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"))

    class Meta:
        verbose_name = _("translation")
        verbose_name_plural = _("translations")
        constraints = [
            models.UniqueConstraint(
                fields=["area", "language"], name="one_translation_per_language"
            )
        ]

    def __str__(self) -> str:
        return f"{self.area} ({self.language})"


# --- Hours and staffing (R-METHODS, R-LANG-HOURS, R-ENT-HOURS) ---------------------------


class Weekday(models.IntegerChoices):
    # A label on its own (a table's row, a list): "Lunedì", where a date inside a sentence
    # writes "lunedì 3 dicembre" from Django's own msgid.
    MONDAY = 0, pgettext_lazy("day of the week", "Monday")
    TUESDAY = 1, pgettext_lazy("day of the week", "Tuesday")
    WEDNESDAY = 2, pgettext_lazy("day of the week", "Wednesday")
    THURSDAY = 3, pgettext_lazy("day of the week", "Thursday")
    FRIDAY = 4, pgettext_lazy("day of the week", "Friday")
    SATURDAY = 5, pgettext_lazy("day of the week", "Saturday")
    SUNDAY = 6, pgettext_lazy("day of the week", "Sunday")


class ServiceChannel(models.TextChoices):
    CHAT = "chat", _("Chat")
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")
    CONFERENCE = "conference", _("Scheduled conference call")


class SupportTeam(models.TextChoices):
    GENERAL = "general", _("General support")
    ENTERPRISE = "enterprise", _("Enterprise Support")
    ACCOUNT_SERVICES = "account_services", _("Account Services")


def validate_support_languages(value: object) -> None:
    known = support_language_codes()
    if not isinstance(value, list) or not all(isinstance(code, str) for code in value):
        raise ValidationError(_("Give a list of language codes."))
    unknown = sorted(set(value) - set(known))
    if unknown:
        raise ValidationError(
            _("Unknown support languages: %(codes)s."), params={"codes": ", ".join(unknown)}
        )


class WeeklyHours(models.Model):
    """One day's opening: ``closes`` at 00:00 means midnight at the end of the day."""

    weekday = models.PositiveSmallIntegerField(_("day"), choices=Weekday.choices)
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(
        _("closes"), help_text=_("00:00 means midnight at the end of the day.")
    )

    class Meta:
        abstract = True
        ordering = ["weekday", "opens"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes__gt=models.F("opens")) | models.Q(closes=time(0)),
                name="%(app_label)s_%(class)s_closes_after_opens",
                violation_error_message=_("It must close after it opens (00:00 is midnight)."),
            ),
            models.CheckConstraint(
                condition=models.Q(weekday__gte=0, weekday__lte=6),
                name="%(app_label)s_%(class)s_weekday_valid",
            ),
        ]

    def clean(self) -> None:
        super().clean()
        if (
            self.opens is not None
            and self.closes is not None
            and self.closes != time(0)
            and self.closes <= self.opens
        ):
            raise ValidationError(
                {"closes": _("It must close after it opens (00:00 is midnight).")}
            )

    def window_in(self, zone: str) -> WeeklyWindow:
        return WeeklyWindow(self.weekday, self.opens, self.closes, ZoneInfo(zone))


class ServiceWindow(WeeklyHours):
    """When a team serves a contact method, in a named time zone."""

    channel = models.CharField(_("contact method"), max_length=20, choices=ServiceChannel.choices)
    team = models.CharField(
        _("team"),
        max_length=20,
        choices=[
            (SupportTeam.GENERAL.value, SupportTeam.GENERAL.label),
            (SupportTeam.ENTERPRISE.value, SupportTeam.ENTERPRISE.label),
        ],
        default=SupportTeam.GENERAL,
    )
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="UTC", validators=[validate_time_zone]
    )

    class Meta(WeeklyHours.Meta):
        verbose_name = _("service hours")
        verbose_name_plural = _("service hours")
        ordering = ["channel", "team", "weekday", "opens"]
        indexes = [models.Index(fields=["channel", "team"], name="service_window_channel")]

    def __str__(self) -> str:
        return (
            f"{self.get_channel_display()} ({self.get_team_display()}): "
            f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M} "
            f"{self.time_zone}"
        )

    def as_window(self) -> WeeklyWindow:
        return self.window_in(self.time_zone)


class LanguageWindow(WeeklyHours):
    """When support in a language other than English is staffed (R-LANG-HOURS)."""

    language = models.CharField(_("language"), max_length=8, choices=settings.SUPPORT_LANGUAGES)
    time_zone = models.CharField(_("time zone"), max_length=64, validators=[validate_time_zone])

    class Meta(WeeklyHours.Meta):
        verbose_name = _("language hours")
        verbose_name_plural = _("language hours")
        ordering = ["language", "weekday", "opens"]

    def __str__(self) -> str:
        return (
            f"{self.get_language_display()}: {self.get_weekday_display()} "
            f"{self.opens:%H:%M}–{self.closes:%H:%M} {self.time_zone}"
        )

    def as_window(self) -> WeeklyWindow:
        return self.window_in(self.time_zone)


class Agent(models.Model):
    """A support agent's skills: who may pick up which queue."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="agent",
        verbose_name=_("user"),
        limit_choices_to={"is_staff": True},
    )
    team = models.CharField(
        _("team"), max_length=20, choices=SupportTeam.choices, default=SupportTeam.GENERAL
    )
    languages = models.JSONField(
        _("languages"),
        default=list,
        validators=[validate_support_languages],
        help_text=_("Support languages this agent helps in."),
    )
    product_areas = models.ManyToManyField(
        ProductArea,
        blank=True,
        related_name="agents",
        verbose_name=_("product areas"),
        help_text=_("Leave empty for an agent who covers every area."),
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default=settings.DEFAULT_USER_TIME_ZONE,
        validators=[validate_time_zone],
        help_text=_("Shifts are in this time zone."),
    )
    available_for_chat = models.BooleanField(_("takes chats"), default=False)
    is_active = models.BooleanField(_("on the roster"), default=True)

    class Meta:
        verbose_name = _("agent")
        verbose_name_plural = _("agents")
        ordering = ["user__email"]

    def __str__(self) -> str:
        return str(self.user)

    def speaks(self, language: str) -> bool:
        return language in self.languages


class AgentShift(WeeklyHours):
    """A weekly shift, in the agent's own time zone."""

    agent = models.ForeignKey(
        Agent, on_delete=models.CASCADE, related_name="shifts", verbose_name=_("agent")
    )

    class Meta(WeeklyHours.Meta):
        verbose_name = _("shift")
        verbose_name_plural = _("shifts")
        ordering = ["agent", "weekday", "opens"]

    def __str__(self) -> str:
        return f"{self.agent}: {self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"
