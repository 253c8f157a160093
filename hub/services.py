"""Writes about organisations, members and staff."""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.db import transaction

from hub.models import StaffRole

# What each staff group may do in the admin (app_label.codename).
STAFF_PERMISSIONS: dict[StaffRole, list[str]] = {
    StaffRole.AGENT: [
        "tickets.view_ticket",
        "tickets.change_ticket",
        "tickets.view_ticketevent",
        "hub.view_organisation",
        "hub.view_user",
        "routing.view_productarea",
    ],
    StaffRole.TSM: [
        "tickets.view_ticket",
        "tickets.add_ticket",
        "tickets.change_ticket",
        "tickets.view_ticketevent",
        "hub.view_organisation",
        "hub.view_membership",
        "hub.view_enterpriseseat",
        "hub.view_user",
        "routing.view_productarea",
    ],
}


@transaction.atomic
def staff_groups_ensure() -> dict[StaffRole, Group]:
    """Create the staff groups with their permissions (idempotent)."""
    groups = {}
    for role, codes in STAFF_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role.value)
        wanted: list[Permission] = []
        for code in codes:
            app_label, codename = code.split(".")
            wanted.extend(
                Permission.objects.filter(content_type__app_label=app_label, codename=codename)
            )
        group.permissions.set(wanted)
        groups[role] = group
    return groups
