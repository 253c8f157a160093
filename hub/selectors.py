"""Reads about organisations and members."""

from __future__ import annotations

from django.db.models import QuerySet

from hub.models import Membership, User


def membership_of(user: User) -> Membership | None:
    """The user's membership with its organisation, or None for staff and strangers."""
    if not user.is_authenticated:
        return None
    return Membership.objects.select_related("organisation").filter(user=user).first()


def brand_admins_of(membership: Membership) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(organisation_id=membership.organisation_id, is_brand_admin=True)
        .select_related("user")
        .order_by("user__last_name", "user__first_name")
    )
