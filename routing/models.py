"""Routing data that operations edit in the admin: product areas (R-AREA)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

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
        return self.name

    def _translation(self) -> ProductAreaTranslation | None:
        language = (get_language() or settings.LANGUAGE_CODE).split("-")[0]
        # Uses the prefetched translations when the selector loaded them.
        for translation in self.translations.all():
            if translation.language == language:
                return translation
        return None

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
            models.UniqueConstraint(fields=["area", "language"], name="one_translation_per_language")
        ]

    def __str__(self) -> str:
        return f"{self.area} ({self.language})"
