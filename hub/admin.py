from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from hub.models import EnterpriseSeat, Membership, Organisation, OrganisationDomain, User


class OrganisationDomainInline(admin.TabularInline[OrganisationDomain, Organisation]):
    model = OrganisationDomain
    extra = 0


class MembershipInline(admin.TabularInline[Membership, Organisation]):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]
    fields = ["user", "is_brand_admin", "is_billing_contact", "is_primary_contact"]


class EnterpriseSeatInline(admin.TabularInline[EnterpriseSeat, Organisation]):
    model = EnterpriseSeat
    extra = 0
    autocomplete_fields = ["user"]
    fields = ["user", "assigned_by", "assigned_at"]
    readonly_fields = ["assigned_by", "assigned_at"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin[Organisation]):
    list_display = ["name", "licence_tier", "environment", "success_packages"]
    list_filter = ["licence_tier", "environment"]
    search_fields = ["name", "domains__domain"]
    inlines = [OrganisationDomainInline, MembershipInline, EnterpriseSeatInline]


@admin.register(User)
class UserAdmin(DjangoUserAdmin[User]):
    list_display = ["email", "first_name", "last_name", "is_staff", "preferred_language"]
    search_fields = ["email", "username", "first_name", "last_name"]
    ordering = ["email"]
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        (_("Preferences"), {"fields": ("preferred_language", "time_zone")}),
    )
