"""Writes on routing data."""

from __future__ import annotations

from django.db import transaction

from routing.area_catalogue import PRODUCT_AREAS
from routing.models import ProductArea, ProductAreaTranslation


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
