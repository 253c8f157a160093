"""The database guards the invariants, whatever code writes to it."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from hub.accounts.models import LicenceTier, Organisation, OrganisationDomain, User


@pytest.mark.django_db
def test_only_an_enterprise_licence_can_hold_success_packages() -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Organisation.objects.create(
            name="Tiny", licence_tier=LicenceTier.STANDARD, success_packages=1
        )
    Organisation.objects.create(name="Big", licence_tier=LicenceTier.ENTERPRISE, success_packages=2)


@pytest.mark.django_db
def test_an_unknown_licence_tier_is_refused_by_the_database() -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Organisation.objects.create(name="Odd", licence_tier="platinum")


@pytest.mark.django_db
def test_emails_are_unique_whatever_their_case() -> None:
    User.objects.create_user(username="a", email="Sam@Acme.example")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user(username="b", email="sam@acme.example")


@pytest.mark.django_db
def test_an_email_domain_belongs_to_one_organisation_only(acme: Organisation) -> None:
    OrganisationDomain.objects.create(organisation=acme, domain="acme.example")
    other = Organisation.objects.create(name="Other")
    with pytest.raises(IntegrityError), transaction.atomic():
        OrganisationDomain.objects.create(organisation=other, domain="ACME.example")


@pytest.mark.django_db
def test_a_user_time_zone_must_be_a_real_zone() -> None:
    user = User(username="z", email="z@acme.example", time_zone="Mars/Olympus")
    with pytest.raises(ValidationError) as error:
        user.full_clean()
    assert "time_zone" in error.value.message_dict


def test_seat_capacity_is_five_per_success_package() -> None:
    assert Organisation(success_packages=3).seat_capacity == 15
