"""Routing data in the admin: product areas, hours, agents and their shifts."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from routing.models import (
    Agent,
    AgentShift,
    LanguageWindow,
    ProductArea,
    ProductAreaTranslation,
    ServiceWindow,
)


class ProductAreaTranslationInline(admin.TabularInline[ProductAreaTranslation, ProductArea]):
    model = ProductAreaTranslation
    extra = 0


@admin.register(ProductArea)
class ProductAreaAdmin(admin.ModelAdmin[ProductArea]):
    list_display = [
        "name",
        "slug",
        "order",
        "is_active",
        "chat_languages",
        "conference_call_eligible",
        "enterprise_phone",
        "redirects_to_discover",
    ]
    list_editable = ["order", "is_active"]
    list_filter = ["is_active", "conference_call_eligible", "enterprise_phone"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [ProductAreaTranslationInline]


@admin.register(ServiceWindow)
class ServiceWindowAdmin(admin.ModelAdmin[ServiceWindow]):
    list_display = ["channel", "team", "weekday", "opens", "closes", "time_zone"]
    list_filter = ["channel", "team", "weekday", "time_zone"]
    ordering = ["channel", "team", "weekday", "opens"]


@admin.register(LanguageWindow)
class LanguageWindowAdmin(admin.ModelAdmin[LanguageWindow]):
    list_display = ["language", "weekday", "opens", "closes", "time_zone"]
    list_filter = ["language", "weekday", "time_zone"]
    ordering = ["language", "weekday", "opens"]


class AgentShiftInline(admin.TabularInline[AgentShift, Agent]):
    model = AgentShift
    extra = 0
    ordering = ["weekday", "opens"]


class AgentForm(forms.ModelForm[Agent]):
    # The languages are a JSON list in the database; agents tick them here.
    languages = forms.MultipleChoiceField(
        label=_("Languages"),
        choices=settings.SUPPORT_LANGUAGES,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Agent
        fields = [
            "user",
            "team",
            "languages",
            "product_areas",
            "time_zone",
            "available_for_chat",
            "is_active",
        ]

    def clean_languages(self) -> list[str]:
        return list(self.cleaned_data["languages"])


@admin.register(Agent)
class AgentAdmin(admin.ModelAdmin[Agent]):
    form = AgentForm
    list_display = [
        "user",
        "team",
        "language_list",
        "time_zone",
        "available_for_chat",
        "is_active",
    ]
    list_filter = ["team", "available_for_chat", "is_active", "time_zone"]
    search_fields = ["user__email", "user__first_name", "user__last_name"]
    autocomplete_fields = ["user"]
    filter_horizontal = ["product_areas"]
    list_select_related = ["user"]
    inlines = [AgentShiftInline]

    @admin.display(description=_("languages"))
    def language_list(self, agent: Agent) -> str:
        return ", ".join(agent.languages)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Agent]:
        return super().get_queryset(request).select_related("user")

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        initial = super().get_changeform_initial_data(request)
        initial.setdefault("languages", ["en"])
        return initial
