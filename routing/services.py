"""Writes on routing data."""

from __future__ import annotations

from django.db import transaction

from routing.area_catalogue import PRODUCT_AREAS
from routing.configuration import configuration_changed
from routing.hours import DEFAULT_CHANNEL_HOURS, DEFAULT_LANGUAGE_HOURS
from routing.models import LanguageWindow, ProductArea, ProductAreaTranslation, ServiceWindow


@transaction.atomic
def product_areas_ensure_defaults() -> list[ProductArea]:
    """Create or refresh the eleven product areas of R-AREA with their translations."""
    areas = []
    for default in PRODUCT_AREAS:
        english = default.texts["en"]
        area, _ = ProductArea.objects.update_or_create(
            slug=default.slug,
            defaults={
                "name": english.name,
                "description": english.description,
                "picture": f"img/areas/{default.slug}.svg",
                "order": default.order,
                "redirects_to_discover": default.redirects_to_discover,
                "chat_languages": list(default.chat_languages),
                "conference_call_eligible": default.conference_call_eligible,
                "enterprise_phone": default.enterprise_phone,
            },
        )
        for language, text in default.texts.items():
            if language != "en":
                ProductAreaTranslation.objects.update_or_create(
                    area=area,
                    language=language,
                    defaults={"name": text.name, "description": text.description},
                )
        areas.append(area)
    return areas


@transaction.atomic
def service_hours_ensure_defaults() -> None:
    """Give every channel and language without hours the spec's defaults (hours an operator
    has set are kept)."""
    for (channel, team), windows in DEFAULT_CHANNEL_HOURS.items():
        if not ServiceWindow.objects.filter(channel=channel, team=team).exists():
            ServiceWindow.objects.bulk_create(
                ServiceWindow(
                    channel=channel,
                    team=team,
                    weekday=window.weekday,
                    opens=window.opens,
                    closes=window.closes,
                    time_zone=window.zone.key,
                )
                for window in windows
            )
    for language, windows in DEFAULT_LANGUAGE_HOURS.items():
        if not LanguageWindow.objects.filter(language=language).exists():
            LanguageWindow.objects.bulk_create(
                LanguageWindow(
                    language=language,
                    weekday=window.weekday,
                    opens=window.opens,
                    closes=window.closes,
                    time_zone=window.zone.key,
                )
                for window in windows
            )
    # bulk_create sends no signal.
    configuration_changed()
